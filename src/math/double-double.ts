/**
 * Error-free transformations (Knuth's TwoSum, Dekker/Veltkamp's TwoProduct) used to carry
 * the rounding error of a subtraction or a division one step further, so that the softmax
 * family stays accurate to a few ulps even when an exponent argument is large
 * (Muller et al., Handbook of Floating-Point Arithmetic, 2nd ed., §4.3–4.4).
 */

/** A value `hi + lo` with `|lo| ≤ ulp(hi)/2`. */
export interface DoubleDouble { hi: number, lo: number }

/** Knuth's TwoSum: `a + b = hi + lo` exactly (for finite `a`, `b` whose sum does not overflow). */
export function twoSum (a: number, b: number): DoubleDouble {
  const hi = a + b
  const bVirtual = hi - a
  const aVirtual = hi - bVirtual
  const lo = (a - aVirtual) + (b - bVirtual)
  return { hi, lo }
}

const SPLITTER = 134217729 // 2^27 + 1, Veltkamp's constant for binary64
/** Beyond this magnitude Veltkamp's split overflows; callers scale first. */
const SPLIT_LIMIT = 2 ** 996

function split (a: number): DoubleDouble {
  const t = SPLITTER * a
  const hi = t - (t - a)
  return { hi, lo: a - hi }
}

/** Dekker's TwoProduct: `a · b = hi + lo` exactly, for `|a|, |b| < 2^996` and no underflow. */
export function twoProduct (a: number, b: number): DoubleDouble {
  const hi = a * b
  const as = split(a)
  const bs = split(b)
  const lo = ((as.hi * bs.hi - hi) + as.hi * bs.lo + as.lo * bs.hi) + as.lo * bs.lo
  return { hi, lo }
}

/**
 * `(a.hi + a.lo) / d` as a double-double with a relative error of a few ulps of binary64²:
 * q = fl(a.hi / d), then the exact remainder a − q·d (TwoProduct) gives the correction.
 * @throws never; returns `lo = 0` where the correction cannot be formed (non-finite values).
 */
export function divide (a: DoubleDouble, d: number): DoubleDouble {
  const hi = a.hi / d
  // A correction below ulp(hi) is irrelevant for non-finite, zero or astronomically large
  // quotients (every caller exponentiates them), and Veltkamp's split would overflow there.
  if (!Number.isFinite(hi) || hi === 0 || Math.abs(hi) >= SPLIT_LIMIT) return { hi, lo: 0 }
  // Scale a huge dividend and divisor together by an exact power of two so the split fits.
  const scale = Math.abs(d) >= SPLIT_LIMIT || Math.abs(a.hi) >= SPLIT_LIMIT ? 2 ** -60 : 1
  const product = twoProduct(hi, d * scale)
  const remainder = ((a.hi * scale - product.hi) - product.lo) + a.lo * scale
  return { hi, lo: remainder / (d * scale) }
}
