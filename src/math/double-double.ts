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

/** `a + b` with `|a| ≥ |b|` (or a = 0): Dekker's Fast2Sum, exact. */
function fastTwoSum (a: number, b: number): DoubleDouble {
  const hi = a + b
  return { hi, lo: b - (hi - a) }
}

/** `a + b` of two double-doubles, relative error about 2^-104 (Muller et al. §14.2, "sloppy" add with a final renormalisation). */
export function add (a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const s = twoSum(a.hi, b.hi)
  const t = twoSum(a.lo, b.lo)
  const u = fastTwoSum(s.hi, s.lo + t.hi)
  return fastTwoSum(u.hi, u.lo + t.lo)
}

/** `a · b` of two double-doubles, relative error about 2^-104 (for magnitudes inside TwoProduct's range). */
export function multiply (a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const p = twoProduct(a.hi, b.hi)
  return fastTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

/** `a / b` of two double-doubles: a quotient and one correction from the exact remainder. */
export function quotient (a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q1 = a.hi / b.hi
  const r = add(a, multiply(b, { hi: -q1, lo: 0 }))
  const q2 = r.hi / b.hi
  const r2 = add(r, multiply(b, { hi: -q2, lo: 0 }))
  const q = fastTwoSum(q1, q2)
  return fastTwoSum(q.hi, q.lo + r2.hi / b.hi)
}

/** 2^e for integer e in [−1022, 1023], by index e + 1022: a load, where `2 ** e` is a call. */
const POWERS_OF_TWO = Float64Array.from({ length: 2046 }, (_, i) => 2 ** (i - 1022))

/** 2^e for an integer e in [−1022, 1023]. */
export const powerOfTwo = (e: number): number => POWERS_OF_TWO[e + 1022]

/** `x · 2^e` for an integer e ≤ 1023 and 2^-50 < |x| < 2^50 (or 0), rounded once even when the result is subnormal (2^e alone would underflow first). */
export function scaleByPowerOfTwo (x: number, e: number): number {
  if (e >= -1022) return x * POWERS_OF_TWO[e + 1022]
  // Below 2^-2022·x the result is 0 for the |x| < 2^50 callers pass.
  if (e < -2022) return x * 0
  // Two steps and one rounding: x·2^(e + 1000) is normal for those x, then exact until the last.
  return (x * POWERS_OF_TWO[e + 2022]) * POWERS_OF_TWO[22]
}
