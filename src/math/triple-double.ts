/**
 * Triple-double arithmetic (a value as the unevaluated sum of three doubles, about 150 bits),
 * for the one quantity of the softmax family double-double cannot give to an ulp: a
 * log-sum-exp that cancels (m ≈ −log1p(s)), where the result can be 2^-56 of the terms it is
 * made of (Lauter, "Basic building blocks for a triple-double intermediate format", INRIA
 * RR-5702, 2005, whose renormalisation this follows in a simpler, slower form: it runs on
 * rare rows only). Everything here is exact-transformation based: TwoSum and TwoProduct.
 */
import { INVERSE_STEP } from './exp-double-double.js'
import { add, multiply, normaliser, scaleBy, scaleByPowerOfTwo, twoProduct, twoSum, type DoubleDouble } from './double-double.js'

/** hi + mid + lo, each part far below the ulp of the one before. */
export type TripleDouble = [number, number, number]

/** a + b, b a double: the sum carried down three levels (an error below 2^-150 of the sum). */
function plus (a: TripleDouble, b: number): TripleDouble {
  const high = twoSum(a[0], b)
  const middle = twoSum(a[1], high.lo)
  return renormalise(high.hi, middle.hi, a[2] + middle.lo)
}

function renormalise (a: number, b: number, c: number): TripleDouble {
  const low = twoSum(b, c)
  const high = twoSum(a, low.hi)
  const middle = twoSum(high.lo, low.lo)
  return [high.hi, middle.hi, middle.lo]
}

/** The sum of doubles, exactly as far as three doubles hold it. */
export function sumOf (terms: readonly number[]): TripleDouble {
  let total: TripleDouble = [0, 0, 0]
  for (const term of terms) total = plus(total, term)
  return total
}

export function addTriple (a: TripleDouble, b: TripleDouble): TripleDouble {
  return plus(plus(plus(a, b[0]), b[1]), b[2])
}

/** a · b: the products that reach 2^-150 of the result, each exact or negligible. */
export function multiplyTriple (a: TripleDouble, b: TripleDouble): TripleDouble {
  const p00 = twoProduct(a[0], b[0])
  const p01 = twoProduct(a[0], b[1])
  const p10 = twoProduct(a[1], b[0])
  return sumOf([p00.hi, p00.lo, p01.hi, p10.hi, p01.lo, p10.lo, a[1] * b[1], a[0] * b[2], a[2] * b[0]])
}

/**
 * x / d for doubles, to three parts: each remainder is exact (a division's remainder is
 * representable), on x and d scaled by the power of two that puts d in [1, 2) (normaliser), so
 * that a subnormal or a huge d keeps TwoProduct exact.
 */
export function divideToTriple (x: number, d: number): TripleDouble {
  const q0 = x / d
  if (!Number.isFinite(q0) || q0 === 0) return [q0, 0, 0]
  const k = normaliser(d)
  const divisor = scaleBy(d, k)
  const dividend = scaleBy(x, k)
  const p0 = twoProduct(q0, divisor)
  const r0 = (dividend - p0.hi) - p0.lo
  const q1 = r0 / divisor
  const p1 = twoProduct(q1, divisor)
  const r1 = (r0 - p1.hi) - p1.lo
  return renormalise(q0, q1, r1 / divisor)
}

/** A BigInt fixed-point number with FRACTION bits, as a triple-double (each conversion rounds to nearest). */
const FRACTION = 200n
function fromFixed (value: bigint): TripleDouble {
  const parts: number[] = []
  let rest = value
  for (let i = 0; i < 3; i++) {
    const part = Number(rest) / 2 ** 200
    parts.push(part)
    // part·2^200 is an integer: the parts are at least 2^-160 here.
    rest -= BigInt(part * 2 ** 200)
  }
  return renormalise(parts[0], parts[1], parts[2])
}

/** ⌊√n⌋ for n > 0: Newton's iteration from above decreases to it (Crandall & Pomerance, algorithm 9.2.11). */
function squareRoot (n: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2))
  for (;;) {
    const next = (x + n / x) >> 1n
    if (next >= x) return x
    x = next
  }
}

/**
 * 2^(j/256), j = 0 … 255, and 1/k!, k = 0 … 11, as triple-doubles, computed once, on first
 * use, in BigInt fixed point: 2^(1/256) by eight square roots, its powers by products.
 */
let tables: { powers: TripleDouble[], inverseFactorials: TripleDouble[] } | undefined
function tablesOnce (): NonNullable<typeof tables> {
  if (tables !== undefined) return tables
  const one = 1n << FRACTION
  let root = 2n * one
  for (let i = 0; i < 8; i++) root = squareRoot(root << FRACTION)
  const powers: TripleDouble[] = []
  let power = one
  for (let j = 0; j < 256; j++) {
    powers.push(fromFixed(power))
    power = (power * root) >> FRACTION
  }
  const inverseFactorials: TripleDouble[] = []
  let factorial = 1n
  for (let k = 0; k <= 11; k++) {
    if (k > 0) factorial *= BigInt(k)
    inverseFactorials.push(fromFixed(one / factorial))
  }
  tables = { powers, inverseFactorials }
  return tables
}

/** ln 2 / 256 in four parts, the first two of 33 bits: N·part is exact for |N| < 2^20 (z ≥ −2800). */
const STEP = [0.0027076061742263846, -1.6409824503478524e-13, 8.18036886433622e-24, 5.424460095700112e-40] as const

/**
 * e^z for a triple-double z in [−745, 0], relative error about 2^-135 while the result is
 * normal (below 2^-1022 its parts round to the subnormal grid): Tang's reduction as in
 * src/math/exp-double-double.ts, with e^r by its Taylor polynomial of degree 11 (|r| ≤ 1.36e-3).
 */
export function expTriple (z: TripleDouble): TripleDouble {
  const { powers, inverseFactorials } = tablesOnce()
  const n = Math.round(z[0] * INVERSE_STEP)
  const j = n & 255
  const p2 = twoProduct(n, STEP[2])
  // z[0] − n·STEP[0] is exact (Sterbenz), and so is n·STEP[1].
  const r = sumOf([z[0] - n * STEP[0], -n * STEP[1], -p2.hi, -p2.lo, -n * STEP[3], z[1], z[2]])
  // e^r = 1 + r + r²/2 + r³·q(r): the first three in triple-double; r³·q(r) < 4.2e-10 needs
  // only double-double (its relative 2^-104 is 2^-135 of the sum), by Horner on r's two
  // leading parts with 1/k! to two parts.
  const rr = { hi: r[0], lo: r[1] }
  let q: DoubleDouble = { hi: inverseFactorials[11][0], lo: inverseFactorials[11][1] }
  for (let k = 10; k >= 3; k--) q = add(multiply(q, rr), { hi: inverseFactorials[k][0], lo: inverseFactorials[k][1] })
  const cube = multiply(multiply(q, rr), multiply(rr, rr))
  const square = multiplyTriple(r, r)
  const polynomial = addTriple(addTriple(sumOf([1, r[0], r[1], r[2]]), [square[0] / 2, square[1] / 2, square[2] / 2]), [cube.hi, cube.lo, 0])
  const m = multiplyTriple(powers[j], polynomial)
  const exponent = (n - j) / 256
  return [scaleByPowerOfTwo(m[0], exponent), scaleByPowerOfTwo(m[1], exponent), scaleByPowerOfTwo(m[2], exponent)]
}
