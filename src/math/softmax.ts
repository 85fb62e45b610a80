/**
 * Softmax, log-softmax and log-sum-exp, stable and relatively accurate (questions 1.3–1.4).
 *
 * With z = x / T, m = max_j z_j and k its first index (PyTorch's argmax convention):
 *
 *   logSumExp(z)   = m + log1p(s),        s = Σ_{j≠k} e^{z_j − m}
 *   logSoftmax(z)_i = (z_i − m) − log1p(s)
 *   softmax(z)_i    = e^{z_i − m} / (1 + s)
 *
 * The shift by m is the translation invariance of question 1.3 (S(x + c) = S(x)), so no
 * exponential overflows; writing the sum as 1 + s and taking log1p(s) keeps log-sum-exp
 * relatively accurate when one entry dominates: logSumExp([0, −40]) = log1p(e^{−40}) =
 * 4.248354255291589e-18, where log(1 + e^{−40}), PyTorch 2.13's answer and SciPy 1.17's
 * log_softmax's, is 0 (Blanchard, Higham & Higham, "Accurately computing the log-sum-exp and softmax
 * functions", IMA J. Numer. Anal. 41(4), 2021, algorithm 2).
 *
 * Beyond that paper, z_i − m is formed as (x_i − x_max)/T with the subtraction's and the
 * division's rounding errors carried as a double-double correction, so e^{z_i − m} keeps a
 * relative error of a few ulps even when z_i − m is near −700, and s is summed with
 * Neumaier's compensated summation so a million entries do not accumulate n·ε.
 */
import { divide, twoSum, type DoubleDouble } from './double-double.js'

export interface SoftmaxResult {
  softmax: Float64Array
  logSoftmax: Float64Array
  logSumExp: number
  /** max_j x_j / T */
  max: number
  /** first index of the maximum */
  argmax: number
}

export interface NaiveSoftmaxResult {
  softmax: Float64Array
  logSoftmax: Float64Array
  logSumExp: number
  /** Σ e^{z_j} overflowed to +∞ (some z_j > 709.78). */
  overflow: boolean
  /** Σ e^{z_j} fell below the smallest normal double (2.2250738585072014e-308): every term underflowed. */
  underflow: boolean
}

/** First index of the maximum, as `torch.argmax` and `numpy.argmax`. */
export function argmax (x: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i
  return best
}

/** (x_i − x_max)/T as a double-double; −∞ when the difference leaves the float64 range. */
function shiftedLogit (xi: number, xMax: number, temperature: number): DoubleDouble {
  const difference = twoSum(xi, -xMax)
  if (!Number.isFinite(difference.hi)) {
    // |x_i − x_max| > 1.8e308: only a huge temperature brings it back into range.
    const z = xi / temperature - xMax / temperature
    return { hi: Number.isFinite(z) ? z : -Infinity, lo: 0 }
  }
  return temperature === 1 ? difference : divide(difference, temperature)
}

/** e^{hi + lo} ≈ e^{hi}·(1 + lo), exact to first order since |lo| ≤ ulp(hi). */
function expDoubleDouble (z: DoubleDouble): number {
  return Math.exp(z.hi) * (1 + z.lo)
}

/**
 * Stable softmax, log-softmax and log-sum-exp of `x / temperature`.
 * @param x - logits, at least one finite entry
 * @param temperature - T > 0
 * @returns every quantity of the module comment; non-finite results only where the true
 *   value is outside the float64 range (e.g. logSumExp of 1e308 / 1e-3)
 * @throws {RangeError} when x is empty
 * (The last entry is 1 ulp below the correctly rounded …219: 1/(1 + s) rounds twice.)
 * @example softmaxStable([0, -40]).logSumExp // 4.248354255291589e-18
 * @example softmaxStable([1, 2, 3]).softmax  // [0.09003057317038046, 0.24472847105479764, 0.6652409557748218]
 */
export function softmaxStable (x: ArrayLike<number>, temperature = 1): SoftmaxResult {
  const n = x.length
  if (n === 0) throw new RangeError('softmaxStable: x must have at least one entry')
  const k = argmax(x)
  const xMax = x[k]
  // z_j − m as hi + lo in two typed arrays (no per-entry objects survive the loop).
  const shiftedHi = new Float64Array(n)
  const shiftedLo = new Float64Array(n)
  const exponentials = new Float64Array(n)
  exponentials[k] = 1
  // Neumaier's compensated sum of e^{z_j − m}, j ≠ k.
  let sum = 0
  let compensation = 0
  for (let j = 0; j < n; j++) {
    if (j === k) continue
    const z = shiftedLogit(x[j], xMax, temperature)
    shiftedHi[j] = z.hi
    shiftedLo[j] = z.lo
    const e = expDoubleDouble(z)
    exponentials[j] = e
    const t = sum + e
    compensation += Math.abs(sum) >= e ? (sum - t) + e : (e - t) + sum
    sum = t
  }
  const s = sum + compensation
  const log1pS = Math.log1p(s)
  const denominator = 1 + s
  const softmax = new Float64Array(n)
  const logSoftmax = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    softmax[j] = exponentials[j] / denominator
    logSoftmax[j] = (shiftedHi[j] - log1pS) + shiftedLo[j]
  }
  const max = divide({ hi: xMax, lo: 0 }, temperature)
  const total = twoSum(max.hi, log1pS)
  const logSumExp = Number.isFinite(total.hi) ? total.hi + (total.lo + max.lo) : total.hi
  return { softmax, logSoftmax, logSumExp, max: max.hi, argmax: k }
}

/**
 * The textbook formulas of question 1.4 evaluated in float64 without the shift:
 * S = Σ e^{z_j}, softmax_i = e^{z_i}/S, logSoftmax_i = z_i − log S, logSumExp = log S.
 * Overflow (S = ∞) gives NaN softmax and ∞ log-sum-exp; underflow (S = 0) gives −∞/NaN.
 * @example softmaxNaive([1000, 1001]).overflow // true
 */
export function softmaxNaive (x: ArrayLike<number>, temperature = 1): NaiveSoftmaxResult {
  const n = x.length
  const exponentials = new Float64Array(n)
  let denominator = 0
  for (let j = 0; j < n; j++) {
    exponentials[j] = Math.exp(x[j] / temperature)
    denominator += exponentials[j]
  }
  const logDenominator = Math.log(denominator)
  const softmax = new Float64Array(n)
  const logSoftmax = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    softmax[j] = exponentials[j] / denominator
    logSoftmax[j] = x[j] / temperature - logDenominator
  }
  return {
    softmax,
    logSoftmax,
    logSumExp: logDenominator,
    overflow: denominator === Infinity,
    underflow: denominator < 2.2250738585072014e-308
  }
}
