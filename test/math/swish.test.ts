import fc from 'fast-check'
import t from 'tap'
import { exactProduct } from '../../src/math/compensated.js'
import { ImpossibleInputError } from '../../src/math/errors.js'
import { SWISH_PEAK, SWISH_PEAK_GAP, SWISH_PEAK_LO, swish, swishDerivative, swishDistances, type SwishDistances } from '../../src/math/swish.js'
import { epsilons, errorInEpsilons } from '../helpers/epsilons.js'
import { loadFixture } from '../helpers/fixtures.js'
import { closeness, type Tolerance } from '../helpers/numeric.js'

interface DistanceCase {
  name: string
  beta: number
  interval: [number, number]
  expected: SwishDistances & { interiorPeak: boolean }
}
interface PointCase { name: string, beta: number, x: number, expected: { swish: number, derivative: number } }
interface Constant { name: string, value: number, lo: number, gap?: number }

const fixture = loadFixture<DistanceCase>('swish') as ReturnType<typeof loadFixture<DistanceCase>> & { points: PointCase[], constants: Constant[] }
// Measured: ≤ 2.2 ε·|expected| (the derivative), ≤ 1.4 for the distances; 4 leaves room for libm.
const TOLERANCE = epsilons(4)

t.test('JSDoc examples', async (t) => {
  t.equal(swish(1, 1), 0.7310585786300049)
  t.equal(swish(1, -40), -1.6993417021166355e-16)
  t.ok(Object.is(swish(1e300, -1e308), -0), 'βx = −∞: the limit ReLU(x) = 0, from below')
  t.equal(swishDerivative(1, 0), 0.5)
  t.equal(swishDerivative(1, 1), 0.9276705118714867)
  t.equal(swishDerivative(1, -SWISH_PEAK), 2.3843834755243112e-17)
  t.strictSame(swishDistances(1, [-10, 10]), { distanceToRelu: 0.2784645427610738, argmaxRelu: -1.2784645427610737, distanceToHalfIdentity: 4.999546021312976, argmaxHalfIdentity: -10 })
  t.equal(swishDistances(10, [0.5, 2]).distanceToRelu, 0.003346425462142428)
})

t.test('t* (Newton in float64) is mpmath\'s root rounded to nearest', async (t) => {
  const star = fixture.constants.find((c) => c.name === 'tStar')!
  t.equal(SWISH_PEAK, star.value)
  t.equal(SWISH_PEAK_LO, star.lo, 't* − SWISH_PEAK')
  t.equal(SWISH_PEAK_GAP, star.gap, 'e^{−t*} = t* − 1, correctly rounded')
  t.not(SWISH_PEAK, 1.278464542761074, 'one ulp above: the double of t*\'s 17-digit rounding 1.2784645427610738')
  t.equal(Math.LN2, fixture.constants.find((c) => c.name === 'ln2')!.value)
  // 1 + e^t = t·e^t at the double: the residual is of the order of ulp(t*)·f′(t*).
  const residual = 1 + Math.exp(SWISH_PEAK) - SWISH_PEAK * Math.exp(SWISH_PEAK)
  t.ok(Math.abs(residual) < 4e-15, `residual ${residual}`)
})

function check (misses: string[], what: string, actual: number, expected: number, tolerance: Tolerance = TOLERANCE): number {
  const miss = closeness(actual, expected, tolerance)
  if (miss !== null) misses.push(`${what}: ${miss}`)
  return errorInEpsilons(actual, expected)
}

t.test('interval maxima agree with mpmath on every reference case', async (t) => {
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  t.ok(fixture.cases.filter((c) => c.expected.interiorPeak).length >= 20, 'enough cases with t* / β inside')
  let worst = 0
  for (const c of fixture.cases) {
    const result = swishDistances(c.beta, c.interval)
    const misses: string[] = []
    worst = Math.max(worst,
      check(misses, 'distanceToRelu', result.distanceToRelu, c.expected.distanceToRelu),
      check(misses, 'distanceToHalfIdentity', result.distanceToHalfIdentity, c.expected.distanceToHalfIdentity))
    // An endpoint is returned as is; the interior peak t* / β is rounded twice (t*, then ÷β).
    check(misses, 'argmaxRelu', result.argmaxRelu, c.expected.argmaxRelu, c.expected.interiorPeak ? epsilons(2) : { rel: 0 })
    check(misses, 'argmaxHalfIdentity', result.argmaxHalfIdentity, c.expected.argmaxHalfIdentity, { rel: 0 })
    t.strictSame(misses, [], `${c.name}: β = ${c.beta}, [${c.interval.join(', ')}]`)
  }
  t.comment(`largest error of the maxima: ${worst.toFixed(2)} ε·|expected|`)
})

t.test('values and derivatives agree with mpmath, extremes included', async (t) => {
  t.ok(fixture.points.length >= 100, `${fixture.points.length} points`)
  let worstValue = 0
  let worstDerivative = 0
  for (const c of fixture.points) {
    const misses: string[] = []
    worstValue = Math.max(worstValue, check(misses, 'swish', swish(c.beta, c.x), c.expected.swish))
    worstDerivative = Math.max(worstDerivative, check(misses, 'derivative', swishDerivative(c.beta, c.x), c.expected.derivative))
    t.strictSame(misses, [], `${c.name}: β = ${c.beta}, x = ${c.x}`)
  }
  t.comment(`largest error: swish ${worstValue.toFixed(2)}, derivative ${worstDerivative.toFixed(2)} ε·|expected|`)
})

t.test('overflowing βx gives the exact limits, never ∞ or NaN', async (t) => {
  t.equal(swish(1e300, 1e308), 1e308)
  t.equal(swishDerivative(1e300, 1e308), 1)
  t.ok(Object.is(swishDerivative(1e300, -1e308), -0))
  t.equal(swish(1.7976931348623157e308, 5e-324), 5e-324, 'β·x = 8.9e-16: σ = ½ + 2e-16, x·σ rounds to x')
  t.equal(swishDerivative(1, 1e308), 1)
  t.equal(swishDistances(1e300, [-1e308, 1e308]).distanceToHalfIdentity, 5e307)
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true })
  const beta = fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true })
  fc.assert(fc.property(beta, finite, (b, x) => Number.isFinite(swish(b, x)) && Number.isFinite(swishDerivative(b, x))))
  fc.assert(fc.property(beta, finite, finite, (b, a, z) => {
    const result = swishDistances(b, [Math.min(a, z), Math.max(a, z)])
    return Object.values(result).every(Number.isFinite)
  }))
})

t.test('properties', async (t) => {
  const beta = fc.double({ min: 1e-3, max: 1e3, noNaN: true })
  const bound = fc.double({ min: -1e4, max: 1e4, noNaN: true })
  t.test('no point of the interval beats the maxima, and the argmax reaches them', async (t) => {
    fc.assert(fc.property(beta, bound, bound, (b, a, z) => {
      const lo = Math.min(a, z)
      const hi = Math.max(a, z)
      const r = swishDistances(b, [lo, hi])
      if (r.argmaxRelu < lo || r.argmaxRelu > hi || r.argmaxHalfIdentity < lo || r.argmaxHalfIdentity > hi) return false
      const reluGap = (x: number): number => Math.abs(swish(b, x) - Math.max(0, x))
      const halfGap = (x: number): number => Math.abs(swish(b, x) - x / 2)
      // The gaps computed naively here cancel (swish(x) ≈ x or ≈ x/2): allow 2ε·|x| absolutely,
      // and two subnormal steps for x near 5e-324.
      const allowance = (x: number): number => 2 * Number.EPSILON * Math.abs(x) + 2 * Number.MIN_VALUE
      for (let k = 0; k <= 64; k++) {
        const x = lo + (hi - lo) * k / 64
        if (reluGap(x) > r.distanceToRelu + allowance(x) || halfGap(x) > r.distanceToHalfIdentity + allowance(x)) return false
      }
      return Math.abs(reluGap(r.argmaxRelu) - r.distanceToRelu) <= 2 * allowance(r.argmaxRelu) + 4 * Number.EPSILON * r.distanceToRelu &&
        Math.abs(halfGap(r.argmaxHalfIdentity) - r.distanceToHalfIdentity) <= 2 * allowance(r.argmaxHalfIdentity)
    }))
    t.pass('checked by fast-check')
  })
  t.test('question 1.1: larger β approaches ReLU, smaller β approaches x/2', async (t) => {
    fc.assert(fc.property(beta, beta, bound, bound, (b1, b2, a, z) => {
      const lo = Math.min(a, z)
      const hi = Math.max(a, z)
      const [small, large] = b1 <= b2 ? [b1, b2] : [b2, b1]
      const s = swishDistances(small, [lo, hi])
      const l = swishDistances(large, [lo, hi])
      return l.distanceToRelu <= s.distanceToRelu * (1 + 4 * Number.EPSILON) &&
        s.distanceToHalfIdentity <= l.distanceToHalfIdentity * (1 + 4 * Number.EPSILON) &&
        l.distanceToRelu <= SWISH_PEAK_GAP / large * (1 + 2 * Number.EPSILON)
    }))
    t.equal(swishDistances(1e6, [-1, 1]).distanceToRelu, SWISH_PEAK_GAP / 1e6, 'sup |h − ReLU| = 0.2785/β → 0')
    t.ok(swishDistances(1e-6, [-1, 1]).distanceToHalfIdentity < 2.6e-7, 'sup |h − x/2| ≈ β/4 on [−1, 1] → 0')
  })
  t.test('the derivative matches central differences of swish', async (t) => {
    fc.assert(fc.property(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: -20, max: 20, noNaN: true }), (b, x) => {
      const h = 1e-5 * Math.max(1, Math.abs(x))
      const difference = (swish(b, x + h) - swish(b, x - h)) / (2 * h)
      return Math.abs(difference - swishDerivative(b, x)) <= 1e-6 * (1 + b * b)
    }))
    t.pass('checked by fast-check')
  })
})

t.test('impossible inputs are 422 with the numbers', async (t) => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => swish(0, 1), /beta must be positive and finite .*got 0/],
    [() => swish(-2, 1), /got -2/],
    [() => swishDerivative(Number.NaN, 1), /got NaN/],
    [() => swishDistances(Infinity, [0, 1]), /got Infinity/],
    [() => swish(1, Infinity), /x must be finite, got Infinity/],
    [() => swishDerivative(1, Number.NaN), /x must be finite, got NaN/],
    [() => swishDistances(1, [-Infinity, 1]), /interval bounds must be finite, got \[-Infinity, 1\]/],
    [() => swishDistances(1, [0, Number.NaN]), /got \[0, NaN\]/],
    [() => swishDistances(1, [2, 1]), /interval must have lo ≤ hi, got lo = 2 > hi = 1/]
  ]
  for (const [call, message] of cases) {
    t.throws(call, message)
    t.throws(call, ImpossibleInputError)
    try { call() } catch (error) { t.equal((error as ImpossibleInputError).statusCode, 422) }
  }
})

t.test('ties and degenerate intervals', async (t) => {
  t.strictSame(swishDistances(1, [0, 0]), { distanceToRelu: 0, distanceToHalfIdentity: 0, argmaxRelu: 0, argmaxHalfIdentity: 0 })
  t.ok(Object.is(swishDistances(1, [-0, 0]).argmaxHalfIdentity, 0), 'no −0 argmax')
  const symmetric = swishDistances(2, [-3, 3])
  t.equal(symmetric.argmaxRelu, -SWISH_PEAK / 2, 'the smaller of ±t* / β')
  t.equal(symmetric.argmaxHalfIdentity, -3, 'lo on a tie |lo| = |hi|')
  t.equal(swishDistances(2, [-0.5, 3]).argmaxRelu, SWISH_PEAK / 2, '+t* / β when −t* / β is outside')
})

t.test('products within rounding of the largest double keep the ReLU limits (found by the fuzz test)', async (t) => {
  const MAX = Number.MAX_VALUE
  t.strictSame(exactProduct(MAX, 1), { hi: MAX, lo: 0 }, 'Veltkamp\'s high parts would overflow: no correction')
  t.equal(swish(MAX, 1), 1, 'β = MAX, x = 1: h = x')
  t.equal(swishDerivative(MAX, 1), 1)
  t.equal(swish(1, MAX), MAX, 'x = MAX: h = ReLU(x)')
  t.equal(swish(1, -MAX), -0)
  t.equal(swishDerivative(1, MAX), 1)
  t.equal(swishDerivative(1, -MAX), -0)
})
