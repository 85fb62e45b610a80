/**
 * Error in units of ε·|expected| (ε = 2^-52), with the smallest normal as the floor of
 * |expected| so that results in the subnormal range are measured absolutely (2^-1074 steps
 * count as 1). Used to report the largest error against a reference, next to `closeness`.
 */
const SMALLEST_NORMAL = 2.2250738585072014e-308

export function errorInEpsilons (actual: number, expected: number): number {
  if (actual === expected) return 0
  return Math.abs(actual - expected) / (Math.max(Math.abs(expected), SMALLEST_NORMAL) * Number.EPSILON)
}

/** The tolerance of `closeness` for k·ε relatively, with the same subnormal floor. */
export function epsilons (k: number): { rel: number, abs: number } {
  return { rel: k * Number.EPSILON, abs: k * SMALLEST_NORMAL * Number.EPSILON }
}
