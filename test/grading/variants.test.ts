import t from 'tap'
import { createHmac } from 'node:crypto'
import { Ajv } from 'ajv'
import { Grader } from '../../src/grading/grader.js'
import { questions } from '../../src/grading/questions.js'
import { VariantRandom } from '../../src/grading/variants.js'
import { AJV_OPTIONS } from '../../src/http/validation.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'

const SECRET = Buffer.from('test-variant-secret-0123456789')
const STUDENTS = Array.from({ length: 120 }, (_, i) => `student${i}@example.edu`)

t.test('the stream is HMAC-SHA256(secret, "id\\0student\\0block") read as big-endian uint32s', async (t) => {
  const random = new VariantRandom(SECRET, '3.6-hvp', 'ada')
  const draws = Array.from({ length: 10 }, () => random.integer(0, 2 ** 32 - 1))
  const block = (n: number) => createHmac('sha256', SECRET).update(`3.6-hvp\0ada\0${n}`).digest()
  const words = [0, 1].flatMap((n) => Array.from({ length: 8 }, (_, i) => block(n).readUInt32BE(4 * i)))
  t.strictSame(draws, words.slice(0, 10), 'crosses into the second block after 8 draws')
})

t.test('integers are uniform in their range, without modulo bias', async (t) => {
  const random = new VariantRandom(SECRET, 'uniformity', 'test')
  const counts = new Array(6).fill(0)
  for (let i = 0; i < 60_000; i++) counts[random.integer(-2, 3) + 2]++
  // χ² with 5 degrees of freedom: 20.5 is the 0.999 quantile.
  const chi2 = counts.reduce((sum, c) => sum + (c - 10_000) ** 2 / 10_000, 0)
  t.ok(chi2 < 20.5, `χ² = ${chi2.toFixed(2)} for counts ${counts.join(', ')}`)
  // 3 does not divide 2^32: rejection sampling must still keep every draw in range.
  for (let i = 0; i < 1000; i++) t.ok([7, 8, 9].includes(random.integer(7, 9)) || t.fail('out of range'))
  t.throws(() => random.integer(3, 2), RangeError)
  for (let i = 0; i < 200; i++) if (random.nonZero(-1, 1) === 0) t.fail('nonZero gave 0')
  t.ok(['a', 'b'].includes(random.pick(['a', 'b'])))
})

t.test('every question\'s variants are valid, answerable and readable', async (t) => {
  const grader = new Grader(SECRET, DEFAULT_LIMITS)
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  for (const question of questions) {
    const validate = ajv.compile(question.params)
    const seen = new Set<string>()
    for (const student of STUDENTS) {
      const { params, statement } = grader.variant(question.id, student)
      if (!validate(params)) t.fail(`${question.id} ${student}: ${JSON.stringify(validate.errors)}`)
      const expected = grader.expected(question, params)
      const entries = typeof expected === 'number' ? [expected] : expected.flat()
      // Readable: small matrices, and numbers a student can write down.
      if (entries.length > 225 || entries.some((x) => !Number.isFinite(x) || Math.abs(x) > 1e7)) t.fail(`${question.id} ${student}: ${JSON.stringify(expected)}`)
      if (question.answer.shape.startsWith('integer') && !entries.every(Number.isInteger)) t.fail(`${question.id}: non-integer ${entries.join(', ')}`)
      t.equal(typeof statement, 'string')
      seen.add(JSON.stringify(params))
    }
    // Question 5.3 draws from 8 networks; the others from thousands or more.
    t.ok(seen.size >= Math.min(8, STUDENTS.length / 2), `${question.id}: ${seen.size} distinct variants for ${STUDENTS.length} students`)
  }
})

t.test('variants are stable across restarts and replicas, and depend on the secret', async (t) => {
  const first = new Grader(SECRET, DEFAULT_LIMITS)
  const restarted = new Grader(Buffer.from(SECRET), DEFAULT_LIMITS)
  const other = new Grader(Buffer.from('another-secret-0123456789'), DEFAULT_LIMITS)
  let differ = 0
  for (const question of questions) {
    for (const student of STUDENTS.slice(0, 20)) {
      t.strictSame(restarted.variant(question.id, student), first.variant(question.id, student))
      if (JSON.stringify(other.variant(question.id, student)) !== JSON.stringify(first.variant(question.id, student))) differ++
    }
  }
  t.ok(differ > 150, `${differ} of 180 variants change with the secret`)
  // Pinned: a change here reshuffles every student's variant mid-course.
  t.strictSame(first.variant('3.2-param-count', 'ada@example.edu').params, PINNED)
})

const PINNED = { sizes: [128, 64, 256, 256, 10] }
