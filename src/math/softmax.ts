/**
 * Softmax, log-softmax and log-sum-exp, stable and faithfully rounded (questions 1.3–1.4).
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
 * Beyond that paper, every entry is faithfully rounded: within one ulp of the exact value,
 * and correctly rounded for all but about 1 % of entries (test/math/softmax-ulp.test.ts, against
 * mpmath with certified rounding, on a suite built to break float64 implementations). That
 * takes carrying each quantity to well beyond 53 bits before its one final rounding:
 * - z_j − m is (x_j − x_max)/T as a double-double (the subtraction's and division's errors kept);
 * - e^{z_j − m} as a double-double mantissa and a separate power of two (expScaledInto,
 *   relative error 2^-82), so that terms in the subnormal range keep their digits;
 * - s is their double-double sum, rescaled to its largest term, and log1p(s) a Newton step
 *   from Math.log1p (or its series when s is small), to about 2^-72 or better;
 * - softmax_j = e^{z_j − m} · (1/(1 + s)), log-softmax_j = (z_j − m) − log1p(s) (no
 *   cancellation: both terms are ≤ 0) and log-sum-exp = m + log1p(s), each in double-double.
 * Log-sum-exp alone can cancel: when m ≈ −log1p(s) the result can be 2^-56 of its terms, so
 * there (|m + L| < 2^-12·L) it is recomputed as log1p(Σ_j e^{z_j} − 1) in triple-double.
 */
import { add, divide, multiply, powerOfTwo, quotient, scaleByPowerOfTwo, SPLITTER, twoProduct, twoSum, type DoubleDouble } from './double-double.js'
import { expScaled, expScaledInto } from './exp-double-double.js'
import { addTriple, divideToTriple, expTriple, sumOf, type TripleDouble } from './triple-double.js'

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

/** (x_i − x_max)/T as a double-double, for T ≠ 1; −∞ when the difference leaves the float64 range. */
function shiftedLogit (xi: number, xMax: number, temperature: number): DoubleDouble {
  const difference = twoSum(xi, -xMax)
  if (!Number.isFinite(difference.hi)) {
    // |x_i − x_max| > 1.8e308: only a huge temperature brings it back into range.
    const z = xi / temperature - xMax / temperature
    return { hi: Number.isFinite(z) ? z : -Infinity, lo: 0 }
  }
  return divide(difference, temperature)
}

/** Terms e^{z_j − m} below 2^-(this) of the largest add nothing a double-double can hold. */
const NEGLIGIBLE_SCALE = 120

/**
 * log1p(s) for s = S·2^K (S a double-double sum, K its scale), as L·2^scale with L a
 * double-double of relative error about 2^-72 at worst (s near 2^-10). A small s takes the series
 * s − s²/2 + s³/3 − …, kept scaled so that an s deep in the subnormal range keeps its digits;
 * a larger one a Newton step on e^y = 1 + s from Math.log1p: y ← y + (1 + s)·e^{−y} − 1,
 * which squares the starting error (e^{−y} from expScaled, to 2^-82).
 */
function log1pScaled (S: DoubleDouble, K: number, onePlusS: DoubleDouble): { hi: number, lo: number, scale: number } {
  const s = scaleByPowerOfTwo(S.hi, K)
  if (s < 2 ** -10) {
    // s^8/8 < 2^-73·s: seven terms; the first correction in double-double.
    const first = twoProduct(S.hi, s)
    let tail = 0
    for (let power = 3, term = s * s; power <= 7 && term !== 0; power++, term *= s) tail += (power % 2 === 1 ? 1 : -1) * S.hi * term / power
    const sum = add(S, { hi: -first.hi / 2, lo: -first.lo / 2 - S.lo * s / 2 + tail })
    return { hi: sum.hi, lo: sum.lo, scale: K }
  }
  const y = Math.log1p(onePlusS.hi - 1 + onePlusS.lo)
  const e = expScaled(-y, 0)
  const power = 2 ** e.exponent
  const delta = add(multiply(onePlusS, { hi: e.hi * power, lo: e.lo * power }), { hi: -1, lo: 0 })
  // log(1 + δ) = δ − δ²/2 to well below an ulp of y (|δ| is about 2^-52).
  const refined = add({ hi: y, lo: 0 }, { hi: delta.hi, lo: delta.lo - delta.hi * delta.hi / 2 })
  return { hi: refined.hi, lo: refined.lo, scale: 0 }
}

/**
 * Stable softmax, log-softmax and log-sum-exp of `x / temperature`, each entry faithfully
 * rounded (within one ulp of the exact value): see the module comment.
 * @param x - logits, at least one finite entry
 * @param temperature - T > 0
 * @returns every quantity of the module comment; non-finite results only where the true
 *   value is outside the float64 range (e.g. logSumExp of 1e308 / 1e-3)
 * @throws {RangeError} when x is empty
 * @example softmaxStable([0, -40]).logSumExp // 4.248354255291589e-18
 * @example softmaxStable([1, 2, 3]).softmax  // [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]
 */
export function softmaxStable (x: ArrayLike<number>, temperature = 1): SoftmaxResult {
  const n = x.length
  if (n === 0) throw new RangeError('softmaxStable: x must have at least one entry')
  const k = argmax(x)
  const xMax = x[k]
  // z_j − m as hi + lo, and e^{z_j − m} as (hi + lo)·2^exponent, in typed arrays (no
  // per-entry objects: the loops below are written out in scalars); the high parts wait in
  // the answer's own arrays, which the second loop overwrites. An exponent of NO_TERM is a
  // term of 0.
  const softmax = new Float64Array(n)
  const logSoftmax = new Float64Array(n)
  const shiftedHi = logSoftmax
  const shiftedLo = new Float64Array(n)
  const termHi = softmax
  const termLo = new Float64Array(n)
  const termExponent = new Int32Array(n).fill(NO_TERM)
  const e = new Float64Array(3)
  // s = Σ_{j≠k} e^{z_j − m} = (S_hi + S_lo)·2^K: a double-double sum rescaled to its largest
  // term, so that terms in the subnormal range keep their digits.
  let sHi = 0
  let sLo = 0
  let K = -Infinity
  for (let j = 0; j < n; j++) {
    if (j === k) continue
    let zHi: number
    let zLo: number
    if (temperature === 1) {
      // TwoSum: x_j − x_max exactly (it overflows only past 1.8e308, where e^z is 0).
      zHi = x[j] - xMax
      const virtual = zHi - x[j]
      zLo = (x[j] - (zHi - virtual)) + (-xMax - virtual)
      if (!Number.isFinite(zHi)) { zHi = -Infinity; zLo = 0 }
    } else {
      const z = shiftedLogit(x[j], xMax, temperature)
      zHi = z.hi
      zLo = z.lo
    }
    shiftedHi[j] = zHi
    shiftedLo[j] = zLo
    // Below −800, e^z < 2^-1154: even 2^24 of them sum below half the smallest subnormal, so
    // no output can show them (softmax_j is 0, and log-softmax_j is z_j − log1p(s)).
    if (!(zHi >= -800)) continue
    expScaledInto(zHi, zLo, e)
    const exponent = e[2]
    termHi[j] = e[0]
    termLo[j] = e[1]
    termExponent[j] = exponent
    if (exponent > K) {
      const shrink = K - exponent < -NEGLIGIBLE_SCALE ? 0 : powerOfTwo(K - exponent)
      sHi *= shrink
      sLo *= shrink
      K = exponent
    }
    if (exponent - K >= -NEGLIGIBLE_SCALE) {
      // S += term·2^(exponent − K), a double-double sum (TwoSum on the high parts).
      const shift = powerOfTwo(exponent - K)
      const aHi = e[0] * shift
      const sum = sHi + aHi
      const virtual = sum - sHi
      const error = (sHi - (sum - virtual)) + (aHi - virtual) + sLo + e[1] * shift
      sHi = sum + error
      sLo = error - (sHi - sum)
    }
  }
  const S = { hi: sHi, lo: sLo }
  // 1 + s: s below 2^-1000 is a correction no double-double of 1 can hold.
  const onePlusS = K === -Infinity || K < -1000
    ? { hi: 1, lo: 0 }
    : add({ hi: 1, lo: 0 }, { hi: scaleByPowerOfTwo(sHi, K), lo: scaleByPowerOfTwo(sLo, K) })
  const log1pS = K === -Infinity ? { hi: 0, lo: 0, scale: 0 } : log1pScaled(S, K, onePlusS)
  const lHi = scaleByPowerOfTwo(log1pS.hi, log1pS.scale)
  const lLo = scaleByPowerOfTwo(log1pS.lo, log1pS.scale)
  // 1/(1 + s) once; each probability is then one double-double product.
  const inverse = quotient({ hi: 1, lo: 0 }, onePlusS)
  const iHi = inverse.hi
  const iLo = inverse.lo
  let t = SPLITTER * iHi
  const iH = t - (t - iHi)
  const iL = iHi - iH
  for (let j = 0; j < n; j++) {
    if (j === k) {
      softmax[j] = iHi + iLo
      // −log1p(s), rounded once at its own scale (it may be subnormal).
      logSoftmax[j] = -scaleByPowerOfTwo(log1pS.hi + log1pS.lo, log1pS.scale)
      continue
    }
    if (termExponent[j] !== NO_TERM) {
      // term·(1/(1 + s)): Dekker's product of the high parts, plus the cross terms.
      const a = termHi[j]
      const product = a * iHi
      t = SPLITTER * a
      const aH = t - (t - a)
      const aL = a - aH
      const lo = ((aH * iH - product) + aH * iL + aL * iH) + aL * iL + (a * iLo + termLo[j] * iHi)
      softmax[j] = scaleByPowerOfTwo(product + lo, termExponent[j])
    }
    // (z_j − m) − log1p(s): two terms of one sign, no cancellation.
    const dHi = shiftedHi[j]
    if (dHi === -Infinity) {
      // x_j − x_max below −1.8e308: log-softmax_j is outside float64.
      logSoftmax[j] = -Infinity
      continue
    }
    const sum = dHi - lHi
    const virtual = sum - dHi
    logSoftmax[j] = sum + ((dHi - (sum - virtual)) + (-lHi - virtual) + shiftedLo[j] - lLo)
  }
  const L = { hi: lHi, lo: lLo }
  const max = divide({ hi: xMax, lo: 0 }, temperature)
  let logSumExp: number
  if (!Number.isFinite(max.hi)) logSumExp = max.hi
  else if (max.hi === 0) logSumExp = scaleByPowerOfTwo(log1pS.hi + log1pS.lo, log1pS.scale)
  else {
    const total = add(max, L)
    // m ≈ −log1p(s): the sum keeps about 2^-80 of L, too little for a result this much smaller.
    logSumExp = Math.abs(total.hi) < CANCELLATION * L.hi ? logSumExpCancelling(x, temperature) : total.hi + total.lo
  }
  return { softmax, logSoftmax, logSumExp, max: max.hi, argmax: k }
}

/** The exponent of a term too small to compute (e^z with z < −800). */
const NO_TERM = -0x7fffffff

/**
 * Below this fraction of log1p(s), a log-sum-exp has cancelled beyond double-double's reach:
 * L is known to about 2^-80, so a result of 2^-12·L keeps 2^-68 of itself, a faithful margin.
 */
const CANCELLATION = 2 ** -12

/**
 * log Σ_j e^{z_j} when it is near 0 (|m + log1p(s)| < 2^-12·log1p(s)): the sum A = Σ e^{z_j}
 * is near 1, so log-sum-exp = log1p(A − 1) with A − 1 formed in triple-double
 * (src/math/triple-double.ts), every z_j = x_j/T to three parts. A − 1 can be as small as the
 * rounding error of a term (x = [−fl(e^{−700}), −700] gives 8.5e-322), so every term down to
 * e^{−745}, the last that rounds to a nonzero double, is counted. About 15 times the cost of
 * the double-double path per distinct entry (1.4 µs); rows reach it only when they cancel,
 * log-probabilities normalised again being the common case (src/operations/softmax-stable-cost.ts).
 */
function logSumExpCancelling (x: ArrayLike<number>, temperature: number): number {
  let A: TripleDouble = [0, 0, 0]
  // Equal logits (ties, a row of −log n) share one exponential: the triple-double one costs
  // microseconds.
  let previous = NaN
  let term: TripleDouble = [0, 0, 0]
  for (let j = 0; j < x.length; j++) {
    if (x[j] !== previous) {
      previous = x[j]
      const z = temperature === 1 ? [x[j], 0, 0] as TripleDouble : divideToTriple(x[j], temperature)
      term = z[0] >= -745.2 ? expTriple(z) : [0, 0, 0]
    }
    A = addTriple(A, term)
  }
  const u = addTriple(A, [-1, 0, 0])
  // log1p(u) = u − u²/2 + u³/3 − …: |u| < 2^-8 here (|m + L| < 2^-12·log n, n < 2^24), so
  // ten terms leave below 2^-80·|u|; u² = u0² + 2·u0·u1 to the digits that count.
  const square = twoProduct(u[0], u[0])
  let tail = -u[0] * u[1]
  for (let power = 3, term = square.hi * u[0]; power <= 10; power++, term *= u[0]) tail += (power % 2 === 1 ? term : -term) / power
  const result = addTriple(u, sumOf([-square.hi / 2, -square.lo / 2, tail]))
  return result[0] + (result[1] + result[2])
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
