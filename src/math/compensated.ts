/**
 * Compensated building blocks shared by swish.ts and logistic-mixture.ts: an exact product
 * βx = hi + lo, an exact-to-double-double dot product wᵀx (Ogita, Rump & Oishi, "Accurate sum
 * and dot product", SIAM J. Sci. Comput. 26(6), 2005, algorithm Dot2), Neumaier's summation,
 * and σ(hi + lo) to first order in lo.
 *
 * Why: σ(t) has relative condition number |t|·σ(−t), so the rounding of t = βx or t = wᵀx
 * alone costs |t|·ε relatively in σ(t) — 700 ulps at t = −700. Carrying the rounding error of
 * t as `lo` and applying σ(hi + lo) ≈ σ(hi)·(1 + σ(−hi)·lo) removes that amplification.
 */
import { sigmoid } from './activations.js'
import { twoProduct, twoSum, type DoubleDouble } from './double-double.js'

/** Veltkamp's split inside twoProduct overflows beyond this magnitude. */
const SPLIT_LIMIT = 2 ** 996
/** Below this |a·b| the partial products of twoProduct may underflow, and the correction is irrelevant to every caller. */
const TINY_PRODUCT = 2 ** -900

/**
 * a·b = hi + lo exactly when |a·b| is in [2^-900, 2^1024); otherwise lo = 0 (an overflowed
 * or astronomically small product needs no correction).
 * An operand beyond Veltkamp's range is scaled by 2^-100 and the other by 2^100 (both exact:
 * |a·b| < 2^1024 and |a| ≥ 2^996 force |b| < 2^28).
 * @example exactProduct(1 + 2 ** -30, 1 + 2 ** -30) // { hi: 1 + 2 ** -29, lo: 2 ** -60 }
 */
export function exactProduct (a: number, b: number): DoubleDouble {
  const hi = a * b
  if (!Number.isFinite(hi) || Math.abs(hi) < TINY_PRODUCT) return { hi, lo: 0 }
  const product = Math.abs(a) >= SPLIT_LIMIT
    ? twoProduct(a * 2 ** -100, b * 2 ** 100)
    : Math.abs(b) >= SPLIT_LIMIT ? twoProduct(a * 2 ** 100, b * 2 ** -100) : twoProduct(a, b)
  // Within rounding of 2^1024, Veltkamp's high parts can round up and their product overflow
  // (found by the fuzz test: swish(MAX_VALUE, 1) was NaN); the correction is then negligible.
  return Number.isFinite(product.lo) ? product : { hi, lo: 0 }
}

/** v·2^k without intermediate overflow of 2^k (|k| up to 2·1074 + 2·1023). */
function timesPowerOfTwo (v: number, k: number): number {
  while (k > 1000) {
    v *= 2 ** 1000
    k -= 1000
  }
  while (k < -1000) {
    v *= 2 ** -1000
    k += 1000
  }
  return v * 2 ** k
}

/** The exponent e with 2^e ≤ max |v_i| < 2^(e+1), roughly (0 for a zero vector). */
function maxExponent (v: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]))
  return max === 0 ? 0 : Math.floor(Math.log2(max))
}

/**
 * wᵀx as hi + lo, as if computed in twice the working precision (Dot2: TwoProduct for each
 * product, TwoSum for the running sum, the errors summed apart). Both vectors are first scaled
 * by powers of two so their largest entries are near 1 — no product overflows or leaves
 * Veltkamp's range even for entries near 1e308 — and the result is scaled back; a result
 * beyond the float64 range comes back as ±∞ (the sign is still right), never NaN.
 * @param w - finite entries
 * @param x - finite entries, same length as w
 * @example dotDoubleDouble([1e16, 1, -1e16], [1, 1, 1]) // { hi: 1, lo: 0 }
 */
export function dotDoubleDouble (w: ArrayLike<number>, x: ArrayLike<number>): DoubleDouble {
  const kw = maxExponent(w)
  const kx = maxExponent(x)
  let hi = 0
  let lo = 0
  for (let i = 0; i < w.length; i++) {
    const product = twoProduct(timesPowerOfTwo(w[i], -kw), timesPowerOfTwo(x[i], -kx))
    const sum = twoSum(hi, product.hi)
    hi = sum.hi
    lo += sum.lo + product.lo
  }
  const total = twoSum(hi, lo)
  const scaledHi = timesPowerOfTwo(total.hi, kw + kx)
  if (!Number.isFinite(scaledHi)) return { hi: scaledHi, lo: 0 }
  return { hi: scaledHi, lo: timesPowerOfTwo(total.lo, kw + kx) }
}

/**
 * σ(hi + lo) = σ(hi) + σ(hi)·σ(−hi)·lo + O(lo²), with σ from activations.ts (no overflow).
 * @example sigmoidDoubleDouble({ hi: 0, lo: 0 }) // 0.5
 */
export function sigmoidDoubleDouble (t: DoubleDouble): number {
  const s = sigmoid(t.hi)
  return s + s * (sigmoid(-t.hi) * t.lo)
}

/**
 * Σ v_i by Neumaier's compensated summation (error ≈ ε·|Σ v_i| + n·ε²·Σ|v_i|); ±∞ when the
 * running sum overflows.
 * @example compensatedSum([1, 1e100, 1, -1e100]) // 2
 */
export function compensatedSum (values: ArrayLike<number>): number {
  let sum = 0
  let compensation = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    const t = sum + v
    compensation += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum
    sum = t
  }
  // An overflowed sum stays ±∞ (its compensation would be NaN).
  return Number.isFinite(sum) ? sum + compensation : sum
}
