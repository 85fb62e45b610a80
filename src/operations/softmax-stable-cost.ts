/** The cost estimate of /softmax-stable, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'

/** Validation, the response object and its fixed fields. */
const REQUEST_NS = 3_000
/**
 * Per entry, the stable formula: the two answer doubles (softmax, log-softmax), and the
 * double-double shift, exponential, sum and products that make each entry faithful (about
 * 80 ns), and the copies through NonFiniteCollector.
 */
const ENTRY_NS = 2 * JSON_DOUBLE_NS + 200
/**
 * A row whose log-sum-exp cancels (log-probabilities normalised again, say) is recomputed in
 * triple-double, about 1.4 µs more per distinct entry: the estimate cannot foresee it without
 * that work, so such a row can cost up to about four times its estimate. COMPUTE_TIMEOUT_MS
 * still bounds it: past the budget its worker is stopped and the answer is 503.
 */
/** Per entry with naive: true, two more doubles and the unshifted exp. */
const NAIVE_ENTRY_NS = 2 * JSON_DOUBLE_NS + 80
/**
 * Per row of a batch: five typed arrays, the row's field names for warnings, an object and
 * five more arrays in the answer (logSumExp, max, argmax and the two vectors).
 */
const ROW_NS = 2_500
/** Per row with naive: true, three typed arrays, its field names and five more answer fields. */
const NAIVE_ROW_NS = 2_500

export function softmaxStableNanoseconds (input: { x: number[] | number[][], naive?: boolean }): number {
  const naive = input.naive === true
  let rows = 1
  let entries = input.x.length
  if (Array.isArray(input.x[0])) {
    rows = input.x.length
    entries = 0
    for (const row of input.x as number[][]) entries += row.length
  }
  return REQUEST_NS +
    rows * (ROW_NS + (naive ? NAIVE_ROW_NS : 0)) +
    entries * (ENTRY_NS + (naive ? NAIVE_ENTRY_NS : 0))
}
