/**
 * Swish h(x) = x·σ(βx) (question 1.1; Ramachandran, Zoph & Le, "Searching for activation
 * functions", 2017) and how far it is from its two limits on a closed interval [lo, hi]:
 *
 *   β → ∞:  h → ReLU(x),  |h(x) − ReLU(x)| = |x|·σ(−β|x|)
 *   β → 0:  h → x/2,      |h(x) − x/2|     = (|x|/2)·tanh(β|x|/2)
 *
 * (both from σ(t) = 1 − σ(−t) and σ(t) − ½ = ½·tanh(t/2)). As a function of u = |x| the first
 * is t·σ(−t)/β with t = βu, unimodal with its maximum at t* — the root of 1 + eᵗ = t·eᵗ,
 * i.e. t = 1 + e⁻ᵗ, t* = 1.27846454276107379510… — where it equals (t* − 1)/β = e^{−t*}/β
 * ≈ 0.2785/β. The second increases with u. So both maxima over [lo, hi] are exact: the first
 * at the |x| of the interval closest to t* / β, the second at the endpoint of largest |x|;
 * nothing is sampled.
 *
 * Every product βx is formed exactly (hi + lo, compensated.ts) so σ(βx) keeps a few ulps where
 * |βx| is large; a product that overflows gives the exact limits (ReLU and its step).
 */
import { compensatedSum, exactProduct, sigmoidDoubleDouble } from './compensated.js'
import { twoSum, type DoubleDouble } from './double-double.js'
import { ImpossibleInputError } from './errors.js'

/**
 * t* to the nearest double, by Newton on f(t) = (t − 1) − e⁻ᵗ, f′(t) = 1 + e⁻ᵗ, from 1.28
 * (quadratic convergence: 5 steps reach the fixed point; t − 1 is exact and f is evaluated to
 * ~0.2 ulp of t, so the fixed point is the correctly rounded t*, checked against mpmath).
 * Note: the correctly rounded double prints as 1.2784645427610737; "…738" is the real
 * number's 17th digit rounded, one ulp above.
 */
function peakNewton (): number {
  let t = 1.28
  for (let step = 0; step < 5; step++) {
    const e = Math.exp(-t)
    t -= ((t - 1) - e) / (1 + e)
  }
  return t
}

/** t* = 1.2784645427610737 (nearest double), the argmax of t·σ(−t). */
export const SWISH_PEAK = peakNewton()
/** t* − SWISH_PEAK = 1.0946994183093437e-16 (mpmath at 400 bits; swish.json's constants, asserted in the test): t* as a double-double. */
export const SWISH_PEAK_LO = 1.0946994183093437e-16
/** e^{−t*} = t* − 1 = 0.2784645427610738, the peak value of t·σ(−t) (t* − 1 is exact in binary). */
export const SWISH_PEAK_GAP = (SWISH_PEAK - 1) + SWISH_PEAK_LO

/** ln 2 − Math.LN2 (mpmath; also written to swish.json's constants). */
const LN2_LO = 2.3190468138462996e-17

/**
 * x·e^{hi + lo}. Where e^{hi} would underflow (hi < −708) it is formed as
 * e^{t + 1024·ln 2}·2^−1024 so a product x·eᵗ that is still a normal or subnormal double
 * (x up to 1.8e308, t down to about −1455) keeps its bits; the scaling by 2^−512 twice (|x| > 1)
 * or 2^−1024 at once (|x| ≤ 1) is exact except for the one final rounding.
 */
function timesExp (x: number, t: DoubleDouble): number {
  if (t.hi >= -708) {
    const e = Math.exp(t.hi)
    return x * (e + e * t.lo)
  }
  // |x|·eᵗ < 1.8e308·e^{−1500} underflows to a signed zero (also for t = −∞).
  if (t.hi < -1500) return x * 0
  const shifted = twoSum(t.hi, 1024 * Math.LN2)
  const e = Math.exp(shifted.hi)
  const scaled = e + e * (shifted.lo + t.lo + 1024 * LN2_LO)
  return Math.abs(x) > 1 ? ((x * 2 ** -512) * scaled) * 2 ** -512 : (x * scaled) * 2 ** -1024
}

/** x·σ(hi + lo); below t = −708, σ(t) = eᵗ/(1 + eᵗ) = eᵗ to within 2^−1021 relatively. */
function timesSigmoid (x: number, t: DoubleDouble): number {
  return t.hi < -708 ? timesExp(x, t) : x * sigmoidDoubleDouble(t)
}

export interface SwishDistances {
  /** max over [lo, hi] of |x·σ(βx) − ReLU(x)| */
  distanceToRelu: number
  /** max over [lo, hi] of |x·σ(βx) − x/2| */
  distanceToHalfIdentity: number
  /** an x of [lo, hi] where distanceToRelu is reached (the smallest one on a tie ±x) */
  argmaxRelu: number
  /** an x of [lo, hi] where distanceToHalfIdentity is reached (lo on a tie |lo| = |hi|) */
  argmaxHalfIdentity: number
}

/** @throws {ImpossibleInputError} unless β > 0 and finite */
function checkBeta (beta: number): void {
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new ImpossibleInputError(`beta must be positive and finite (h(x) = x·σ(βx) with β > 0), got ${beta}`)
  }
}

/** @throws {ImpossibleInputError} unless x is finite */
function checkX (x: number): void {
  if (!Number.isFinite(x)) throw new ImpossibleInputError(`x must be finite, got ${x}`)
}

function negate (t: DoubleDouble): DoubleDouble {
  return { hi: -t.hi, lo: -t.lo }
}

/**
 * h(x) = x·σ(βx).
 * @param beta - β > 0, finite
 * @param x - finite
 * @returns x·σ(βx); where βx overflows, its limit ReLU(x) (x, or −0 for x < 0)
 * @throws {ImpossibleInputError} β ≤ 0 or non-finite, x non-finite
 * @example swish(1, 1) // 0.7310585786300049
 * @example swish(1, -40) // -1.6993417021166355e-16
 * @example swish(1e300, -1e308) // -0
 */
export function swish (beta: number, x: number): number {
  checkBeta(beta)
  checkX(x)
  return timesSigmoid(x, exactProduct(beta, x))
}

/**
 * h′(x) = σ(βx) + βx·σ(βx)·σ(−βx) = σ(t)·(1 + t·σ(−t)), t = βx.
 *
 * For t < 0 the factor 1 + t·σ(−t) = (1 + t + eᵗ)/(1 + eᵗ) cancels at t = −t* (where h′ = 0),
 * so it is written with δ = t + t* (exact to double-double) as
 *   1 + t + eᵗ = δ + e^{−t*}·expm1(δ)          (because 1 − t* + e^{−t*} = 0),
 * a sum of two terms of the same sign, and h′ = eᵗ·(1 + t + eᵗ)/(1 + eᵗ)².
 * @param beta - β > 0, finite
 * @param x - finite
 * @returns h′(x); where βx overflows, the limit of ReLU′: 1 for x > 0, −0 for x < 0
 * @throws {ImpossibleInputError} β ≤ 0 or non-finite, x non-finite
 * @example swishDerivative(1, 0) // 0.5
 * @example swishDerivative(1, 1) // 0.9276705118714867
 * h′ vanishes at −t*; at the double nearest it (mpmath: 2.3843834755243115e-17):
 * @example swishDerivative(1, -SWISH_PEAK) // 2.3843834755243112e-17
 */
export function swishDerivative (beta: number, x: number): number {
  checkBeta(beta)
  checkX(x)
  const t = exactProduct(beta, x)
  if (!Number.isFinite(t.hi)) return t.hi > 0 ? 1 : -0
  if (t.hi >= 0) {
    const s = sigmoidDoubleDouble(t)
    return s + s * (t.hi * sigmoidDoubleDouble(negate(t)))
  }
  const shifted = plusPeak(t)
  const numerator = shifted + SWISH_PEAK_GAP * Math.expm1(shifted)
  const denominator = 1 + Math.exp(t.hi)
  return timesExp(numerator, t) / (denominator * denominator)
}

/** δ = (t.hi + t.lo) + t*, t* as SWISH_PEAK + SWISH_PEAK_LO; exact up to one final rounding near δ = 0 (Sterbenz). */
function plusPeak (t: DoubleDouble): number {
  return compensatedSum([t.hi, SWISH_PEAK, t.lo, SWISH_PEAK_LO])
}

/** |x|·σ(−β|x|) at u = |x|. */
function reluGap (beta: number, u: number): number {
  return timesSigmoid(u, negate(exactProduct(beta, u)))
}

/**
 * (u/2)·tanh(βu/2). Where βu < 2^-30, tanh(βu/2) = βu/2 to 2^-62 relatively and the value is
 * β·u²/4; if βu is then subnormal (β itself subnormal, u ≥ 1) it is formed from β·2^200 so
 * that no bits are lost.
 */
function halfIdentityGap (beta: number, u: number): number {
  const t = beta * u
  if (t >= 2 ** -30) return 0.5 * (u * Math.tanh(0.5 * t))
  if (t >= 2 ** -968 || u < 1) return 0.25 * t * u
  return (beta * 2 ** 200 * u) * (u * 2 ** -202)
}

/**
 * The largest distances on [lo, hi] between h(x) = x·σ(βx) and its two limits, ReLU(x)
 * (β → ∞) and x/2 (β → 0), with where they are reached (module comment).
 * @param beta - β > 0, finite
 * @param interval - [lo, hi], finite, lo ≤ hi (a single point when equal)
 * @throws {ImpossibleInputError} β ≤ 0 or non-finite; an interval bound non-finite; lo > hi
 * @example swishDistances(1, [-10, 10]) // { distanceToRelu: 0.2784645427610738, argmaxRelu: -1.2784645427610737, distanceToHalfIdentity: 4.999546021312976, argmaxHalfIdentity: -10 }
 * At x = 0.5, since t* / β = 0.128 lies left of the interval:
 * @example swishDistances(10, [0.5, 2]).distanceToRelu // 0.003346425462142428
 */
export function swishDistances (beta: number, interval: readonly [number, number]): SwishDistances {
  checkBeta(beta)
  const [lo, hi] = interval
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new ImpossibleInputError(`interval bounds must be finite, got [${lo}, ${hi}]`)
  }
  if (lo > hi) throw new ImpossibleInputError(`interval must have lo ≤ hi, got lo = ${lo} > hi = ${hi}`)
  // |x| over [lo, hi] ranges over [uMin, uMax].
  const uMax = Math.max(-lo, hi)
  const uMin = lo <= 0 && hi >= 0 ? 0 : Math.min(Math.abs(lo), Math.abs(hi))
  // The smallest x of [lo, hi] with |x| = u (−u when it is inside); `+ 0` turns −0 into 0.
  const leftmostWithMagnitude = (u: number): number => (-u >= lo ? -u : u) + 0

  const peak = SWISH_PEAK / beta // +∞ when β is tiny: then it is beyond uMax
  let distanceToRelu: number
  let reluAt: number
  if (peak < uMin) {
    reluAt = uMin
    distanceToRelu = reluGap(beta, uMin)
  } else if (peak > uMax) {
    reluAt = uMax
    distanceToRelu = reluGap(beta, uMax)
  } else {
    // The peak is inside: its value is exact, not h at the rounded abscissa.
    reluAt = peak
    distanceToRelu = SWISH_PEAK_GAP / beta
  }
  return {
    distanceToRelu,
    distanceToHalfIdentity: halfIdentityGap(beta, uMax),
    argmaxRelu: leftmostWithMagnitude(reluAt),
    argmaxHalfIdentity: leftmostWithMagnitude(uMax)
  }
}
