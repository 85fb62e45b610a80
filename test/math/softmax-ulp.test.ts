/**
 * Every softmax, log-softmax and log-sum-exp entry within one ulp of the correctly rounded
 * value (faithful), on the reference suite and on a stress suite built to break float64
 * implementations: dominance, log-sum-exp cancelling to near 0, subnormal outputs and inputs,
 * awkward temperatures (scripts/reference/gen_softmax_stress.py, mpmath with certified
 * rounding). The distance is counted in representable doubles, so it is exact.
 */
import t from 'tap'
import { expScaled } from '../../src/math/exp-double-double.js'
import { addTriple, divideToTriple, expTriple, multiplyTriple, sumOf } from '../../src/math/triple-double.js'
import { normaliser, scaleByPowerOfTwo } from '../../src/math/double-double.js'
import { softmaxStable } from '../../src/math/softmax.js'
import { loadFixture } from '../helpers/fixtures.js'

interface Case {
  name: string
  x: number[] | number[][]
  temperature: number
  expected: { softmax: unknown, logSoftmax: unknown, logSumExp: unknown }
}

const bits = new Float64Array(1)
const integers = new BigInt64Array(bits.buffer)
/** A double's place among all doubles, in order (−0 and +0 share 0). */
function place (x: number): bigint {
  bits[0] = x
  const b = integers[0]
  return b < 0n ? -(b & 0x7fffffffffffffffn) : b
}
/** How many doubles apart a and b are; equal non-finite values are 0 apart. */
export function ulpDistance (a: number, b: number): number {
  if (a === b) return 0
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity
  const d = place(a) - place(b)
  return Number(d < 0n ? -d : d)
}

t.test('ulpDistance counts doubles', async (t) => {
  t.equal(ulpDistance(1, 1 + 2 ** -52), 1)
  t.equal(ulpDistance(-0, 0), 0)
  t.equal(ulpDistance(5e-324, -5e-324), 2)
  t.equal(ulpDistance(Infinity, Infinity), 0)
  t.equal(ulpDistance(1, Infinity), Infinity)
})

for (const fixture of ['softmax', 'softmax-stress']) {
  t.test(`${fixture}.json: every entry within one ulp`, async (t) => {
    const { cases } = loadFixture<Case>(fixture)
    t.ok(cases.length >= 140, `${cases.length} cases`)
    const counts = { entries: 0, exact: 0, oneUlp: 0 }
    const off: string[] = []
    for (const c of cases) {
      const batched = Array.isArray(c.x[0])
      const rows = (batched ? c.x : [c.x]) as number[][]
      rows.forEach((row, r) => {
        const pick = <T>(value: unknown): T => (batched ? (value as T[])[r] : value as T)
        const got = softmaxStable(row, c.temperature)
        const compare = (what: string, value: number, expected: number | null): void => {
          // null: the exact value is beyond float64; the other tests check what is returned then.
          if (expected === null) return
          const distance = ulpDistance(value, expected)
          counts.entries++
          if (distance === 0) counts.exact++
          else if (distance === 1) counts.oneUlp++
          else off.push(`${c.name}${batched ? `[${r}]` : ''} ${what}: ${value} is ${distance} ulps from ${expected}`)
        }
        pick<Array<number | null>>(c.expected.softmax).forEach((v, i) => compare(`softmax[${i}]`, got.softmax[i], v))
        pick<Array<number | null>>(c.expected.logSoftmax).forEach((v, i) => compare(`logSoftmax[${i}]`, got.logSoftmax[i], v))
        compare('logSumExp', got.logSumExp, pick<number | null>(c.expected.logSumExp))
      })
    }
    t.strictSame(off, [], `${counts.entries} entries: ${counts.exact} correctly rounded, ${counts.oneUlp} one ulp off, none further`)
  })
}

t.test('the double-double exponential: e^d as m·2^k, relative error below 2^-75', async (t) => {
  // Against the triple-double exponential, itself accurate to 2^-135.
  // Independent of the triple-double code: e^{−ln 2} is 1/2, with ln 2 to two parts.
  const half = expScaled(-0.6931471805599453, -2.3190468138462996e-17)
  t.ok(Math.abs((half.hi + half.lo) * 2 ** half.exponent - 0.5) <= 2 ** -80, 'e^{−ln 2} = 1/2')
  t.ok(Math.abs(half.lo * 2 ** half.exponent + (half.hi * 2 ** half.exponent - 0.5)) <= 2 ** -78, `its low part carries the digits: ${half.hi}, ${half.lo}`)
  for (const d of [0, -1e-300, -0.5, -1, -Math.LN2, -37.25, -100.123456789, -745.5, -799.9]) {
    const e = expScaled(d, 0)
    t.ok(e.hi >= 0.998 && e.hi < 2, `${d}: the mantissa ${e.hi} is 2^(j/256) times nearly 1`)
    if (d < -170) continue
    const reference = expTriple([d, 0, 0])
    const scale = 2 ** e.exponent
    const error = addTriple([e.hi * scale, e.lo * scale, 0], [-reference[0], -reference[1], -reference[2]])
    t.ok(Math.abs(error[0]) <= 2 ** -75 * reference[0], `e^${d}: ${error[0] / reference[0]} relative`)
  }
})

t.test('triple-double pieces', async (t) => {
  // 1/3 to three parts: 3 × it is 1 within 2^-150.
  const third = divideToTriple(1, 3)
  const product = multiplyTriple(third, [3, 0, 0])
  t.ok(Math.abs(sumOf([product[0], product[1], product[2], -1])[0]) < 2 ** -150)
  // e^{−ln 2}·2 = 1 within 2^-130, ln 2 to three parts.
  const half = expTriple([-0.6931471805599453, -2.3190468138462996e-17, -5.707708438416212e-34])
  t.ok(Math.abs(sumOf([2 * half[0], 2 * half[1], 2 * half[2], -1])[0]) < 2 ** -130, 'e^{−ln 2} = 1/2')
  t.strictSame(expTriple([0, 0, 0]), [1, 0, 0])
})

t.test('scaling by a power of two rounds once, into the subnormals', async (t) => {
  t.equal(scaleByPowerOfTwo(1.5, -10), 1.5 / 1024)
  t.equal(scaleByPowerOfTwo(1.25, -1074), 2 ** -1074, '1.25·2^-1074 rounds down')
  t.equal(scaleByPowerOfTwo(1.5, -1074), 2 ** -1073, '1.5·2^-1074, a tie, rounds to even')
  t.equal(scaleByPowerOfTwo(1.5, -1500), 0)
  t.equal(scaleByPowerOfTwo(1.5, -2100), 0)
})

t.test('x_i − x_max beyond float64 with a temperature: log-softmax −∞ where it is', async (t) => {
  const result = softmaxStable([1.7e308, -1.7e308], 0.5)
  t.strictSame(Array.from(result.softmax), [1, 0])
  t.equal(result.logSoftmax[1], -Infinity)
})

t.test('normaliser puts |d|·2^k in [1, 2), just below a power of two too', async (t) => {
  for (const d of [1, 1.5, -3, 7e-312, 5e-324, 1.7e308, (2 - 2 ** -52) * 2 ** 99, 2 ** 100, -(1 - 2 ** -53)]) {
    const scaled = Math.abs(d) * 2 ** Math.min(normaliser(d), 1000) * 2 ** Math.max(normaliser(d) - 1000, 0)
    t.ok(scaled >= 1 && scaled < 2, `${d}: ${scaled}`)
  }
})

t.test('a cancelling row ignores terms below e^-745', async (t) => {
  const ln2 = 0.6931471805599453
  t.equal(softmaxStable([-ln2, -ln2, -800]).logSumExp, softmaxStable([-ln2, -ln2]).logSumExp)
  t.equal(softmaxStable([-ln2, -ln2]).logSumExp, 2.3190468138462996e-17, 'ln 2 − fl(ln 2), correctly rounded')
})

t.test('huge and subnormal temperatures keep the quotient x/T to its last digits', async (t) => {
  // The remainder x − q·T of a division by T = 7e-312 underflows unless the division is scaled.
  const row = softmaxStable([8.546176476334e-312, -2.0151213411e-312], 7e-312)
  t.ok(Number.isFinite(row.logSumExp) && row.softmax[0] > row.softmax[1])
  // 1e-310 and 3e-310 are not exactly 1 : 3, so compare with the quotient of the same doubles
  // scaled into the normal range by 2^1000, where no scaling is needed.
  for (const [x, d, scale] of [[1e-310, 3e-310, 2 ** 1000], [1e300, 3e300, 2 ** -1000]]) {
    const quotient = divideToTriple(x, d)
    const reference = divideToTriple(x * scale, d * scale)
    t.ok(Math.abs(addTriple(quotient, [-reference[0], -reference[1], -reference[2]])[0]) < 2 ** -150, `${x} / ${d} to three parts`)
  }
  t.strictSame(divideToTriple(1e300, 1e-300), [Infinity, 0, 0], 'an overflowing quotient')
})
