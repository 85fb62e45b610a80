/** The time budget's words, shared by the pool (main thread) and its workers. */

/** Nanoseconds as seconds to two significant digits, for messages. */
export const seconds = (ns: number): string => (ns / 1e9).toPrecision(2)

/** The 413 for work estimated over the budget on its own. */
export function overBudgetMessage (estimateNs: number, budgetMs: number, path: string): string {
  return `this computation is estimated at about ${seconds(estimateNs)} s of CPU, over the time budget of ${budgetMs} ms (COMPUTE_TIMEOUT_MS); ` +
    `send a smaller input (fewer entries, a smaller network or batch, fewer epochs: see ${path} in openapi.yaml for what its cost grows with), or raise COMPUTE_TIMEOUT_MS on the server`
}
