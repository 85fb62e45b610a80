/**
 * e^d for a double-double d = hi + lo ≤ 0, as m·2^k with m a double-double: relative error
 * about 2^-80, far below the half-ulp a final rounding to binary64 may spend, and no
 * overflow or underflow whatever d (the scale 2^k is kept apart). The softmax family uses it
 * so that every entry is faithfully rounded (src/math/softmax.ts).
 *
 * The reduction is Tang's table method (Tang, "Table-driven implementation of the
 * exponential function in IEEE floating-point arithmetic", ACM TOMS 15(2), 1989):
 * d = (256k + j)·(ln 2/256) + r with |r| ≤ ln 2/512, ln 2/256 in three parts so that the
 * products with the multiple are exact (Cody & Waite), then e^d = 2^k · 2^(j/256) · e^r with
 * 2^(j/256) tabulated as double-doubles and e^r = 1 + r + r²/2 in double-double plus a
 * polynomial tail in binary64 (|r³/6| < 4.2e-10, so the tail's own rounding is below 2^-84).
 */
import { add, multiply, SPLITTER, twoProduct, type DoubleDouble } from './double-double.js'

/** ln 2 / 256 in three parts: HI has at most 33 significant bits, so HI·N is exact for |N| < 2^20. */
const STEP_HI = 0.0027076061742263846
const STEP_MID = -1.6409824502660487e-13
const STEP_LO = -5.1268353194473654e-30
/** 256 / ln 2: the multiple of ln 2/256 nearest an argument. */
export const INVERSE_STEP = 369.3299304675746

/** j·(ln 2/256) as a double-double, exact to about 2^-110 for 0 ≤ j < 2^20. */
function multipleOfStep (j: number): DoubleDouble {
  const mid = twoProduct(j, STEP_MID)
  return add({ hi: j * STEP_HI, lo: 0 }, { hi: mid.hi, lo: mid.lo + j * STEP_LO })
}

/** 2^(j/256) for j = 0 … 255 as double-doubles: e^x by its Taylor series in double-double, once at load. */
const POWERS: readonly DoubleDouble[] = Array.from({ length: 256 }, (_, j) => {
  const x = multipleOfStep(j)
  let term: DoubleDouble = { hi: 1, lo: 0 }
  let sum: DoubleDouble = { hi: 1, lo: 0 }
  // x < ln 2: the 30th term is below 2^-110 of the sum.
  for (let n = 1; n <= 30; n++) {
    const product = multiply(term, x)
    term = { hi: product.hi / n, lo: 0 }
    // (hi + lo)/n to double-double: the remainder of hi/n, plus lo/n.
    const exact = twoProduct(term.hi, n)
    term.lo = ((product.hi - exact.hi) - exact.lo + product.lo) / n
    sum = add(sum, term)
  }
  return sum
})

/** The result of expScaled: e^d = (hi + lo)·2^exponent, with hi + lo in [0.998, 2). */
export interface ScaledExponential { exponent: number, hi: number, lo: number }

/** POWERS as two flat arrays, for the allocation-free path. */
const POWERS_HI = Float64Array.from(POWERS, (power) => power.hi)
const POWERS_LO = Float64Array.from(POWERS, (power) => power.lo)

/**
 * e^(hi + lo) into out[0] + out[1] (the mantissa m) and out[2] (the exponent k):
 * e^(hi + lo) = m·2^k. The softmax loops call it once per entry, so the double-double steps
 * are written out here (TwoSum, Veltkamp/Dekker TwoProduct) rather than built from objects.
 * @param hi - finite, ≥ −1e5 (callers drop smaller arguments)
 * @param lo - the double-double's low part, |lo| ≤ ulp(hi)
 */
export function expScaledInto (hi: number, lo: number, out: Float64Array): void {
  const n = Math.round(hi * INVERSE_STEP)
  const j = n & 255
  // mid = n·STEP_MID exactly, as midHi + midLo (Dekker; n has at most 25 bits).
  const midHi = n * STEP_MID
  let t = SPLITTER * n
  const nHi = t - (t - n)
  const nLo = n - nHi
  t = SPLITTER * STEP_MID
  const sHi = t - (t - STEP_MID)
  const sLo = STEP_MID - sHi
  const midLo = ((nHi * sHi - midHi) + nHi * sLo + nLo * sHi) + nLo * sLo
  // r = (hi − n·STEP_HI) − mid + (lo − n·STEP_LO), the first difference exact (Sterbenz).
  const a = hi - n * STEP_HI
  let sum = a - midHi
  let virtual = sum - a
  let error = (a - (sum - virtual)) + (-midHi - virtual)
  const rest = error - midLo - n * STEP_LO + lo
  const rHi = sum + rest
  const rLo = rest - (rHi - sum)
  // e^r = 1 + r + r²/2 + tail: r² exactly (Dekker), the tail in binary64.
  const square = rHi * rHi
  t = SPLITTER * rHi
  const rH = t - (t - rHi)
  const rL = rHi - rH
  const squareLo = ((rH * rH - square) + 2 * rH * rL) + rL * rL + 2 * rHi * rLo
  const tail = square * rHi * (1 / 6 + rHi * (1 / 24 + rHi * (1 / 120 + rHi * (1 / 720 + rHi / 5040))))
  // 1 + rHi exactly, then the smaller terms, which are below 2^-10 of it.
  sum = 1 + rHi
  virtual = sum - 1
  error = (1 - (sum - virtual)) + (rHi - virtual)
  // r²/2 plus the rest with TwoSum: a plain sum would round at 2^-74.
  const halfSquare = square / 2
  const rest2 = error + rLo + squareLo / 2 + tail
  const small = halfSquare + rest2
  virtual = small - halfSquare
  const smallLo = (halfSquare - (small - virtual)) + (rest2 - virtual)
  const seriesHi = sum + small
  const seriesLo = (small - (seriesHi - sum)) + smallLo
  // m = 2^(j/256)·series, a double-double product.
  const pHi = POWERS_HI[j]
  const product = pHi * seriesHi
  t = SPLITTER * pHi
  const aHi = t - (t - pHi)
  const aLo = pHi - aHi
  t = SPLITTER * seriesHi
  const bHi = t - (t - seriesHi)
  const bLo = seriesHi - bHi
  const productLo = ((aHi * bHi - product) + aHi * bLo + aLo * bHi) + aLo * bLo + (pHi * seriesLo + POWERS_LO[j] * seriesHi)
  const mHi = product + productLo
  out[0] = mHi
  out[1] = productLo - (mHi - product)
  out[2] = (n - j) / 256
}

const scratch = new Float64Array(3)

/** e^(hi + lo) as (m_hi + m_lo)·2^exponent (expScaledInto, as an object). */
export function expScaled (hi: number, lo: number): ScaledExponential {
  expScaledInto(hi, lo, scratch)
  return { exponent: scratch[2], hi: scratch[0], lo: scratch[1] }
}
