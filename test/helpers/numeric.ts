/**
 * Relative comparisons in stdlib-js's style: |Δ| ≤ tol·|expected| (or an absolute floor for
 * values that underflow), printing the input, the expected value, Δ and the tolerance.
 */
export interface Tolerance {
  /** relative tolerance */
  rel: number
  /** absolute floor, for entries whose true value underflows */
  abs?: number
}

/**
 * Null when `actual` is within tolerance of `expected`, else a description of the miss.
 * `expected === null` means "not finite in float64": `actual` must then be non-finite or null.
 */
export function closeness (actual: number | null, expected: number | null, tolerance: Tolerance): string | null {
  if (expected === null) return actual === null || !Number.isFinite(actual) ? null : `expected a non-finite value (null), got ${actual}`
  if (actual === null) return `expected ${expected}, got null`
  const delta = Math.abs(actual - expected)
  const allowed = Math.max(tolerance.rel * Math.abs(expected), tolerance.abs ?? 0)
  return delta <= allowed ? null : `expected ${expected}, got ${actual}, |Δ| = ${delta} > ${allowed} (rel ${tolerance.rel}${tolerance.abs === undefined ? '' : `, abs ${tolerance.abs}`})`
}

/** Every miss in two equally long arrays, with its index; empty when all agree. */
export function arrayCloseness (actual: ArrayLike<number | null>, expected: ArrayLike<number | null>, tolerance: Tolerance, field: string): string[] {
  if (actual.length !== expected.length) return [`${field}: length ${actual.length}, expected ${expected.length}`]
  const misses: string[] = []
  for (let i = 0; i < expected.length; i++) {
    const miss = closeness(actual[i], expected[i], tolerance)
    if (miss !== null) misses.push(`${field}[${i}]: ${miss}`)
  }
  return misses
}
