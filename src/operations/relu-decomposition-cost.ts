/** The cost estimate of /relu-decomposition, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'

/** Validation and the response. */
const REQUEST_NS = 3_000
/**
 * Per breakpoint, up to a thousand: its slope and breakpoint as linear forms (src/math/
 * linear-form.ts), its term object and its part of both formulas (plain and LaTeX), each
 * printing two numbers as shortest decimals, and their JSON.
 */
const BREAKPOINT_NS = 4_500
/**
 * The same with a symbol anywhere in the input: the changes of slope and the constant are sums
 * of linear forms over every symbol they hold, and each coefficient is written as a sum.
 */
const SYMBOLIC_BREAKPOINT_NS = 12_000
/**
 * Beyond a thousand breakpoints the cost per breakpoint grows as (breakpoints/1000)^0.3,
 * doubling per tenfold: the live terms and formula pieces grow with the input, and every major
 * garbage collection marks all of them again.
 */
const BREAKPOINT_GROWTH = 0.3
/** Per ReLU term evaluated at a point: the term's value into an array for the compensated sum. */
const TERM_EVALUATION_NS = 50
/** Per point of x: the compensated sum's setup and f(x), a double, in the answer. */
const POINT_NS = 150 + JSON_DOUBLE_NS

const isSymbol = (value: unknown): boolean => typeof value === 'string'

export function reluDecompositionNanoseconds (input: { breakpoints: unknown[], slopes: unknown[], at?: { x: unknown, y: unknown }, x?: unknown[] }): number {
  const terms = input.breakpoints.length + 1
  const points = input.x?.length ?? 0
  const symbolic = input.breakpoints.some(isSymbol) || input.slopes.some(isSymbol) || isSymbol(input.at?.x) || isSymbol(input.at?.y)
  const perBreakpoint = (symbolic ? SYMBOLIC_BREAKPOINT_NS : BREAKPOINT_NS) * Math.max(1, terms / 1000) ** BREAKPOINT_GROWTH
  return REQUEST_NS + terms * perBreakpoint + points * (terms * TERM_EVALUATION_NS + POINT_NS)
}
