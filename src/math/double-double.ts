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

/** 2^27 + 1, Veltkamp's constant for binary64: the hot loops that split inline use it too. */
export const SPLITTER = 134217729
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
 * `x · 2^k` in two exact steps, for the k of `normaliser` (up to 1074, where 2^k alone is ∞).
 */
export function scaleBy (x: number, k: number): number {
  const half = Math.trunc(k / 2)
  return (x * 2 ** half) * 2 ** (k - half)
}

/** The k with |d|·2^k in [1, 2), for a finite d ≠ 0 (subnormals included). */
export function normaliser (d: number): number {
  const k = -Math.floor(Math.log2(Math.abs(d)))
  // log2 is exact at powers of two and never decreases, so ⌊log2 |d|⌋ is one too high only
  // just below a power of two, where log2 rounds up to the integer: d = (2 − 2^-52)·2^99.
  return Math.abs(scaleBy(d, k)) < 1 ? k + 1 : k
}

/**
 * `(a.hi + a.lo) / d` as a double-double with a relative error of a few ulps of binary64²:
 * q = fl(a.hi / d), then the exact remainder a − q·d (TwoProduct) gives the correction. The
 * division runs on a and d scaled by the power of two that puts d in [1, 2), so the
 * remainder stays exact for a subnormal or a huge d (TwoProduct of q and d would underflow,
 * or overflow in Veltkamp's split).
 * @throws never; returns `lo = 0` where the correction cannot matter (non-finite, zero or
 *   astronomically large quotients, which every caller exponentiates)
 */
export function divide (a: DoubleDouble, d: number): DoubleDouble {
  const hi = a.hi / d
  if (!Number.isFinite(hi) || hi === 0 || Math.abs(hi) >= SPLIT_LIMIT) return { hi, lo: 0 }
  const k = normaliser(d)
  const divisor = scaleBy(d, k)
  // |a·2^k| ≈ |hi|·|divisor| < 2^997: no overflow; an underflow only touches quotients whose
  // correction is below the smallest subnormal anyway.
  const dividend = scaleBy(a.hi, k)
  const product = twoProduct(hi, divisor)
  const remainder = ((dividend - product.hi) - product.lo) + scaleBy(a.lo, k)
  return { hi, lo: remainder / divisor }
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

/**
 * `x · 2^e` for an integer e ≤ 1023 and |x| < 2^50, rounded once even when the result is
 * subnormal (2^e alone would underflow first). An x far below 1 (a double-double's low part)
 * may lose digits in the first step when e < −1022; they are below the result's own ulp then.
 */
export function scaleByPowerOfTwo (x: number, e: number): number {
  if (e >= -1022) return x * POWERS_OF_TWO[e + 1022]
  // Below 2^-2022·x the result is 0 for the |x| < 2^50 callers pass.
  if (e < -2022) return x * 0
  // Two steps and one rounding: x·2^(e + 1000) is normal for those x, then exact until the last.
  return (x * POWERS_OF_TWO[e + 2022]) * POWERS_OF_TWO[22]
}
