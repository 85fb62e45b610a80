import fc from 'fast-check'
import t from 'tap'
import { divide, twoProduct, twoSum } from '../../src/math/double-double.js'
import { argmax, softmaxNaive, softmaxStable } from '../../src/math/softmax.js'
import { loadFixture } from '../helpers/fixtures.js'
import { arrayCloseness, closeness } from '../helpers/numeric.js'

interface SoftmaxCase {
  name: string
  x: number[] | number[][]
  temperature: number
  expected: {
    softmax: Array<number | null> | Array<Array<number | null>>
    logSoftmax: Array<number | null> | Array<Array<number | null>>
    logSumExp: number | null | Array<number | null>
    max: number | null | Array<number | null>
    argmax: number | number[]
  }
  scipyLogSumExp?: number | null
}

// The bar: relative 1e-13 against mpmath, absolute 1e-300 for underflowed probabilities.
const PROBABILITY = { rel: 1e-13, abs: 1e-300 }
const LOGARITHM = { rel: 1e-13 }

t.test('JSDoc examples', async (t) => {
  t.equal(softmaxStable([0, -40]).logSumExp, 4.248354255291589e-18)
  t.strictSame(Array.from(softmaxStable([1, 2, 3]).softmax), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], 'each entry correctly rounded (mpmath)')
  t.equal(softmaxNaive([1000, 1001]).overflow, true)
})

t.test('agrees with mpmath (300 bits) on every reference case', async (t) => {
  const fixture = loadFixture<SoftmaxCase>('softmax')
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  for (const c of fixture.cases) {
    const batched = Array.isArray(c.x[0])
    const rows = (batched ? c.x : [c.x]) as number[][]
    const pick = <T>(value: unknown, r: number): T => (batched ? (value as T[])[r] : value as T)
    const misses: string[] = []
    rows.forEach((row, r) => {
      const result = softmaxStable(row, c.temperature)
      misses.push(...arrayCloseness(result.softmax, pick<Array<number | null>>(c.expected.softmax, r), PROBABILITY, `softmax[${r}]`))
      misses.push(...arrayCloseness(result.logSoftmax, pick<Array<number | null>>(c.expected.logSoftmax, r), LOGARITHM, `logSoftmax[${r}]`))
      const lse = closeness(result.logSumExp, pick<number | null>(c.expected.logSumExp, r), LOGARITHM)
      if (lse !== null) misses.push(`logSumExp[${r}]: ${lse}`)
      // max is x_max / T, one correctly rounded division: it must be identical.
      const expectedMax = pick<number | null>(c.expected.max, r)
      if (expectedMax === null ? Number.isFinite(result.max) : result.max !== expectedMax) misses.push(`max[${r}]: ${result.max} ≠ ${expectedMax}`)
      if (result.argmax !== pick<number>(c.expected.argmax, r)) misses.push(`argmax[${r}]: ${result.argmax}`)
    })
    t.strictSame(misses, [], `${c.name} (T = ${c.temperature}): ${JSON.stringify(c.x).slice(0, 120)}`)
  }
})

t.test('beats SciPy where one entry dominates (log1p form)', async (t) => {
  const fixture = loadFixture<SoftmaxCase>('softmax')
  const dominant = fixture.cases.find((c) => c.name === 'dominant-0-minus40')!
  t.equal(dominant.scipyLogSumExp, 0, 'SciPy rounds log(1 + e^-40) to 0')
  t.equal(softmaxStable(dominant.x as number[]).logSumExp, 4.248354255291589e-18)
})

t.test('properties', async (t) => {
  const logits = fc.array(fc.double({ min: -700, max: 700, noNaN: true }), { minLength: 1, maxLength: 50 })
  t.test('softmax sums to 1 and log-softmax is its logarithm', async (t) => {
    fc.assert(fc.property(logits, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (x, temperature) => {
      const result = softmaxStable(x, temperature)
      const sum = result.softmax.reduce((a, b) => a + b, 0)
      if (Math.abs(sum - 1) > 4 * x.length * Number.EPSILON) return false
      return result.softmax.every((p, i) => p < 1e-300 || Math.abs(Math.exp(result.logSoftmax[i]) - p) <= 1e-12 * p)
    }))
    t.pass('checked by fast-check')
  })
  t.test('translation invariance S(x + c) = S(x) holds bit for bit when x + c is exact', async (t) => {
    const integers = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 50 })
    fc.assert(fc.property(integers, fc.integer({ min: -1e9, max: 1e9 }), (x, c) => {
      const shifted = softmaxStable(x.map((v) => v + c))
      const original = softmaxStable(x)
      return shifted.softmax.every((p, i) => p === original.softmax[i]) &&
        shifted.logSoftmax.every((p, i) => p === original.logSoftmax[i])
    }))
    t.pass('checked by fast-check')
  })
  t.test('logSumExp ≥ max, and equals it plus log n for equal entries', async (t) => {
    fc.assert(fc.property(logits, (x) => softmaxStable(x).logSumExp >= Math.max(...x)))
    t.equal(softmaxStable([3, 3, 3, 3]).logSumExp, 3 + Math.log(4))
  })
})

t.test('extreme magnitudes', async (t) => {
  const huge = softmaxStable([1e308, -1e308])
  t.strictSame(Array.from(huge.softmax), [1, 0])
  t.equal(huge.logSoftmax[1], -Infinity, 'x_i − m = −2e308 is outside float64')
  t.equal(huge.logSumExp, 1e308)
  const cooled = softmaxStable([1.7e308, -1.7e308], 1e10)
  t.equal(cooled.logSoftmax[1], -3.4e298, 'a huge temperature brings the overflowed difference back into range')
  const hot = softmaxStable([1e308, 0], 1e-3)
  t.equal(hot.logSumExp, Infinity, 'x/T overflows: reported as non-finite, the op sends null')
  t.strictSame(Array.from(hot.softmax), [1, 0])
  t.equal(softmaxStable([5]).logSumExp, 5)
  t.throws(() => softmaxStable([]), RangeError)
})

t.test('naive formula (question 1.4)', async (t) => {
  const overflow = softmaxNaive([1000, 1001, 1002])
  t.equal(overflow.overflow, true)
  t.ok(overflow.softmax.every(Number.isNaN), 'e^1000/∞ is NaN')
  const underflow = softmaxNaive([-1000, -1001])
  t.equal(underflow.underflow, true)
  t.equal(underflow.logSumExp, -Infinity)
  const fine = softmaxNaive([1, 2, 3], 2)
  const stable = softmaxStable([1, 2, 3], 2)
  t.strictSame(arrayCloseness(fine.softmax, stable.softmax, { rel: 1e-15 }, 'softmax'), [])
  t.equal(fine.overflow || fine.underflow, false)
})

t.test('argmax takes the first maximum, as torch.argmax', async (t) => {
  t.equal(argmax([1, 3, 3, 2]), 1)
  t.equal(softmaxStable([2, 2]).argmax, 0)
})

t.test('error-free transformations', async (t) => {
  const sum = twoSum(1, 1e-20)
  t.strictSame(sum, { hi: 1, lo: 1e-20 })
  const product = twoProduct(1 + 2 ** -30, 1 + 2 ** -30)
  t.strictSame(product, { hi: 1 + 2 ** -29, lo: 2 ** -60 })
  // 1/3 = fl(1/3) + (1/3 − fl(1/3)); the residual is 1/(3·2^54) exactly.
  const third = divide({ hi: 1, lo: 0 }, 3)
  t.equal(third.hi, 1 / 3)
  t.ok(Math.abs(third.lo - 1 / (3 * 2 ** 54)) <= 1e-16 * third.lo, `lo = ${third.lo}`)
  // Beyond Veltkamp's range the operands are scaled by 2^-60; 1e300 and 1e10 are integers,
  // so BigInt gives the exact remainder.
  const big = divide({ hi: 1e300, lo: 0 }, 1e10)
  const remainder = BigInt(1e300) - BigInt(big.hi) * BigInt(1e10)
  t.ok(Math.abs(big.lo - Number(remainder) / 1e10) <= 1e-15 * Math.abs(big.lo), `lo = ${big.lo}`)
  t.strictSame(divide({ hi: 1e305, lo: 0 }, 1e-5), { hi: Infinity, lo: 0 }, 'an overflowed quotient needs no correction')
  t.strictSame(divide({ hi: 1e305, lo: 0 }, 10), { hi: 1e304, lo: 0 }, 'nor does one beyond 2^996')
})
