/** The cost estimate of /swish, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'

/** The two closed-form maxima and the response: a few microseconds. */
const REQUEST_NS = 3_000
/**
 * Per point of x: h and h′ in double-double arithmetic (exp, expm1, an exact product) and the
 * two doubles of the answer, which dominate; large arrays add garbage collection.
 */
const POINT_NS = 2 * JSON_DOUBLE_NS + 350

export function swishNanoseconds (input: { x?: number[] }): number {
  return REQUEST_NS + (input.x?.length ?? 0) * POINT_NS
}
