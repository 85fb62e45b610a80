import t from 'tap'
import { createHmac } from 'node:crypto'
import { Ajv } from 'ajv'
import { expectedAnswer, Grader } from '../../src/grading/grader.js'
import { questions, questionsById } from '../../src/grading/questions.js'
import { VariantRandom } from '../../src/grading/variants.js'
import { AJV_OPTIONS } from '../../src/validation.js'
import { SWISH_PEAK } from '../../src/math/swish.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'

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
  const grader = new Grader(SECRET, DEFAULT_SERVICE_LIMITS)
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  for (const question of questions) {
    const validate = ajv.compile(question.params)
    const seen = new Set<string>()
    for (const student of STUDENTS) {
      const { params, statement } = grader.variant(question.id, student)
      if (!validate(params)) t.fail(`${question.id} ${student}: ${JSON.stringify(validate.errors)}`)
      const expected = expectedAnswer(question, params, DEFAULT_SERVICE_LIMITS)
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
  const first = new Grader(SECRET, DEFAULT_SERVICE_LIMITS)
  const restarted = new Grader(Buffer.from(SECRET), DEFAULT_SERVICE_LIMITS)
  const other = new Grader(Buffer.from('another-secret-0123456789'), DEFAULT_SERVICE_LIMITS)
  let differ = 0
  for (const question of questions) {
    for (const student of STUDENTS.slice(0, 20)) {
      t.strictSame(restarted.variant(question.id, student), first.variant(question.id, student))
      if (JSON.stringify(other.variant(question.id, student)) !== JSON.stringify(first.variant(question.id, student))) differ++
    }
  }
  t.ok(differ > 0.8 * questions.length * 20, `${differ} of ${questions.length * 20} variants change with the secret`)
  // Pinned: a change here reshuffles every student's variant mid-course.
  for (const [id, params] of Object.entries(PINNED)) t.strictSame(first.variant(id, 'ada@example.edu').params, params, id)
})

const PINNED = {
  '1.1-swish': { beta: 20, interval: [-0.0625, 0.05] },
  '1.2-relu-decomposition': { breakpoints: [-3, -2], slopes: [-2, 3], at: { x: 6, y: -5 } },
  '2-logistic-mixture': { pi: [0.75, 0.15, 0.1], weights: [[1, -3], [-2, -1], [0, 0]], x: [2, -1] },
  '3.2-param-count': { sizes: [128, 64, 256, 256, 10] }
}

/** Each of the 120 students' variant of a question, with its expected answer. */
function variants<P> (id: string): Array<{ params: P, expected: number | number[] }> {
  const grader = new Grader(SECRET, DEFAULT_SERVICE_LIMITS)
  const question = questionsById.get(id)!
  return STUDENTS.map((student) => {
    const params = grader.variant(id, student).params as P
    return { params, expected: expectedAnswer(question, params, DEFAULT_SERVICE_LIMITS) as number | number[] }
  })
}

/** How many times each key occurs. */
const tally = (keys: string[]): Record<string, number> => keys.reduce<Record<string, number>>((counts, key) => ({ ...counts, [key]: (counts[key] ?? 0) + 1 }), {})

t.test('1.1: every β of the set, intervals with and without the maximiser ±t*/β, endpoints as short decimals', async (t) => {
  const drawn = variants<{ beta: number, interval: [number, number] }>('1.1-swish')
  t.strictSame(Object.keys(tally(drawn.map(({ params }) => String(params.beta)))).sort(), ['0.5', '1', '10', '2', '20', '5'])
  const where = tally(drawn.map(({ params: { beta, interval: [lo, hi] } }) => {
    const uMax = Math.max(-lo, hi)
    const uMin = lo <= 0 && hi >= 0 ? 0 : Math.min(Math.abs(lo), Math.abs(hi))
    const peak = SWISH_PEAK / beta
    return peak < uMin ? 'nearer 0 than the interval' : peak > uMax ? 'farther from 0 than the interval' : 'inside'
  }))
  t.ok(Object.values(where).length === 3 && Object.values(where).every((count) => count >= 15), JSON.stringify(where))
  for (const { params: { beta, interval }, expected } of drawn) {
    t.ok(interval[0] < interval[1] && interval.every((x) => /^-?\d+(\.\d{1,4})?$/.test(String(x))), `[${interval.join(', ')}]`)
    // The far end of |x| is 0.25/β to 2.5/β: never below 0.25·σ(−0.25)/β = 0.1094/β.
    t.ok((expected as number) * beta >= 0.1094, `β = ${beta}, [${interval.join(', ')}]: ${String(expected)}`)
  }
})

t.test('1.2: integer answers, the point left of β, on the flat part and right of α', async (t) => {
  const drawn = variants<{ breakpoints: [number, number], slopes: [number, number], at: { x: number, y: number } }>('1.2-relu-decomposition')
  const where = tally(drawn.map(({ params: { breakpoints: [beta, alpha], at } }) => at.x < beta ? 'left' : at.x > alpha ? 'right' : 'flat'))
  t.ok(where.left >= 15 && where.flat >= 15 && where.right >= 15, JSON.stringify(where))
  for (const { params, expected } of drawn) {
    t.ok((expected as number[]).every(Number.isInteger) && params.slopes.every((s) => s !== 0), JSON.stringify({ params, expected }))
    t.strictSame((expected as number[]).slice(0, 2), [-params.slopes[0], params.slopes[1]], 'b is minus the left slope, a the right one')
  }
})

t.test('2: K and d in 2–3, π in twentieths summing to 1, logits that differ so that π matters', async (t) => {
  const drawn = variants<{ pi: number[], weights: number[][], x: number[] }>('2-logistic-mixture')
  t.strictSame(Object.keys(tally(drawn.map(({ params }) => `K = ${params.pi.length}, d = ${params.x.length}`))).sort(), ['K = 2, d = 2', 'K = 2, d = 3', 'K = 3, d = 2', 'K = 3, d = 3'])
  for (const { params: { pi, weights, x }, expected } of drawn) {
    t.ok(pi.every((p) => /^0\.\d\d?$/.test(String(p)) && Number.isInteger(Math.round(p * 20)) && Math.abs(p * 20 - Math.round(p * 20)) < 1e-12), JSON.stringify(pi))
    t.ok(Math.abs(pi.reduce((sum, p) => sum + p, 0) - 1) <= 1e-9, `Σπ = ${pi.reduce((sum, p) => sum + p, 0)}`)
    const logits = weights.map((w) => w.reduce((sum, weight, j) => sum + weight * x[j], 0))
    t.equal(new Set(logits).size, pi.length, `distinct logits ${JSON.stringify(logits)}`)
    t.ok((expected as number) > 0 && (expected as number) < 1)
  }
  t.equal(new Set(drawn.map(({ expected }) => expected)).size, STUDENTS.length, 'a different answer for every student')
})

t.test('3.1: A symmetric, 2 × 2 or 3 × 3, diagonally dominant: λ_max > 0 is the largest root of det(A − λI)', async (t) => {
  const drawn = variants<{ A: number[][] }>('3.1-largest-eigenvalue')
  t.strictSame(Object.keys(tally(drawn.map(({ params }) => `${params.A.length} × ${params.A.length}`))).sort(), ['2 × 2', '3 × 3'])
  /** det(A − λI) by cofactors: independent of the Hessian-vector products the answer comes from. */
  const characteristic = (A: number[][], λ: number): number => {
    const m = A.map((row, i) => row.map((entry, j) => i === j ? entry - λ : entry))
    return m.length === 2
      ? m[0][0] * m[1][1] - m[0][1] * m[1][0]
      : m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  }
  for (const { params: { A }, expected } of drawn) {
    const n = A.length
    const λ = expected as number
    t.ok(A.every((row, i) => row.length === n && row.every((entry, j) => Number.isInteger(entry) && entry === A[j][i])), `symmetric integers ${JSON.stringify(A)}`)
    t.ok(A.every((row, i) => row[i] > row.reduce((sum, entry, j) => j === i ? sum : sum + Math.abs(entry), 0)), `diagonally dominant ${JSON.stringify(A)}`)
    // A root: |det(A − λI)| tiny against the product of the matrix's scale; the largest: for
    // μ above λ (up to Gershgorin's bound) the sign is (−1)ⁿ, as past the last root.
    const scale = Math.max(...A.map((row) => row.reduce((sum, entry) => sum + Math.abs(entry), 0)))
    t.ok(λ > 0 && λ <= scale && Math.abs(characteristic(A, λ)) <= 1e-9 * scale ** n, `${JSON.stringify(A)}: λ = ${λ}`)
    const above = Array.from({ length: 50 }, (_, k) => λ + (scale + 1 - λ) * (k + 1) / 50 + 1e-9 * scale)
    t.ok(above.every((μ) => Math.sign(characteristic(A, μ)) === (-1) ** n), `${JSON.stringify(A)}: no root above ${λ}`)
  }
})
