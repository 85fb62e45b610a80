/**
 * What every operation's cost estimate shares (see `Operation.cost`): the price of writing an
 * answer's JSON, which dominates most large answers, and the guard that keeps an estimate
 * finite. Each operation's own constants are in its `*-cost.ts` file; `npm run bench:cost`
 * measures them all against the estimates (BENCHMARKS.md, "Cost model").
 */

/**
 * JSON.stringify of one double that needs its full 15–17 significant digits (a softmax
 * probability, a gradient entry): V8 prints the shortest round-trip decimal, and that search,
 * not the copying, is most of the cost.
 */
export const JSON_DOUBLE_NS = 190
/** JSON.stringify of a small integer (an index, a zero of a dense matrix): a few digits, no search. */
export const JSON_INTEGER_NS = 30
/** JSON.stringify of a short string ("0", "w_{3,1}"): quotes and an escape scan. */
export const JSON_SHORT_STRING_NS = 45

/**
 * The estimate itself, never NaN or ±∞: schema-valid input may still be absurd (10³⁰⁰ epochs),
 * and then run refuses it, so any finite value will do; the largest one keeps "too much".
 */
export function finiteCost (nanoseconds: number): number {
  return nanoseconds < Number.MAX_VALUE ? nanoseconds : Number.MAX_VALUE
}
