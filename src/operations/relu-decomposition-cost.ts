/** The cost estimate of /relu-decomposition, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'

/** Validation and the response. */
const REQUEST_NS = 3_000
/**
 * Per breakpoint: its term object and its part of both formulas (plain and LaTeX), each
 * printing two numbers as shortest decimals, and their JSON; long formulas add string
 * building and garbage collection.
 */
const BREAKPOINT_NS = 3_000
/** Per ReLU term evaluated at a point: the term's value into an array for the compensated sum. */
const TERM_EVALUATION_NS = 45
/** Per point of x: the compensated sum's setup and f(x), a double, in the answer. */
const POINT_NS = 150 + JSON_DOUBLE_NS

export function reluDecompositionNanoseconds (input: { breakpoints: unknown[], x?: unknown[] }): number {
  const terms = input.breakpoints.length + 1
  const points = input.x?.length ?? 0
  return REQUEST_NS + terms * BREAKPOINT_NS + points * (terms * TERM_EVALUATION_NS + POINT_NS)
}
