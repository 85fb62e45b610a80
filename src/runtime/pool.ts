/**
 * Where a computation runs. Cheap ones run inline on the main thread (a worker round trip
 * would cost more than they do); ones whose estimated cost is above INLINE_COST_LIMIT run in
 * a piscina worker pool, so a long HVP never blocks /health, /ready or small requests.
 *
 * The pool's queue is bounded (QUEUE_LIMIT): when it is full the answer is 503 with
 * Retry-After, not an ever-growing backlog. Every pooled task has a time budget
 * (COMPUTE_TIMEOUT_MS, queue wait included) and the client's disconnection as abort signals:
 * piscina drops a queued task and terminates the worker running an aborted one, so the CPU
 * really stops.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { RemoteComputationError, ServiceUnavailableError } from '../math/errors.js'
import type { Limits } from '../operations/limits.js'
import type { Operation } from '../operations/operation.js'
import type { RuntimeOptions } from './options.js'
import type { Outcome, Task } from './worker.js'

/** A computation's answer: the value (run inline) or its JSON (written by a worker). */
export type Answer = { value: unknown } | { json: string }

/** The value of an answer, parsing a worker's JSON (GraphQL needs objects to select from). */
export function answerValue (answer: Answer): unknown {
  return 'json' in answer ? JSON.parse(answer.json) : answer.value
}

/** The client went away before the answer: nothing to send (nginx's 499). */
export class ClientClosedError extends Error {
  readonly statusCode = 499
  readonly code = 'DLCHECK_CLIENT_CLOSED'
}

// The worker sits beside this file: worker.js in dist/ (npm start), worker.ts in src/ (tsx,
// tap). TypeScript loads in the worker with tsx, a dev dependency: tap's own loader would
// compile the worker's modules again in every thread, which takes seconds. For JavaScript the
// worker inherits this process's flags.
const EXTENSION = extname(fileURLToPath(import.meta.url))
const WORKER = fileURLToPath(new URL(`./worker${EXTENSION}`, import.meta.url))
const LOADER_FLAGS: Record<string, string[]> = { '.ts': ['--import', 'tsx'] }

export class ComputationPool {
  private readonly piscina: Piscina<Task, Outcome> | undefined
  /** pooled tasks running or waiting */
  private inFlight = 0

  constructor (private readonly options: Pick<RuntimeOptions, 'workers' | 'queueLimit' | 'computeTimeoutMs' | 'inlineCostLimit'>, readonly limits: Limits) {
    if (options.workers > 0) {
      this.piscina = new Piscina<Task, Outcome>({
        filename: WORKER,
        execArgv: LOADER_FLAGS[EXTENSION],
        // Threads start with the first heavy task and then live as long as the service:
        // starting one costs more than most tasks.
        minThreads: 0,
        maxThreads: options.workers,
        // The queue is bounded here (execute counts its tasks), not by piscina's maxQueue:
        // piscina parks a task that has an abort signal in a side queue its limit does not
        // count (piscina 5.3, _returnUndistributedTask), so maxQueue never refused ours.
        idleTimeout: Infinity
      })
    }
  }

  /** Tasks waiting for a worker (for /ready). */
  get queued (): number {
    return Math.max(0, this.inFlight - this.options.workers)
  }

  /** Whether the workers can take tasks (for /ready); true without a pool. */
  get ready (): boolean {
    return true
  }

  /** Every worker busy and QUEUE_LIMIT tasks waiting: the next heavy task gets 503. */
  get saturated (): boolean {
    return this.piscina !== undefined && this.inFlight >= this.options.workers + this.options.queueLimit
  }

  /** The operation's estimated cost: 0 when it has none or the input is too odd to estimate (run will refuse it). */
  static cost (operation: Operation, input: unknown): number {
    try {
      const cost = operation.cost?.(input as never) ?? 0
      return Number.isFinite(cost) ? cost : 0
    } catch {
      return 0
    }
  }

  /**
   * @param disconnection - makes a signal aborted when the client disconnects; called only
   *   for a pooled task, so the many small inline ones allocate no AbortController and add
   *   no listener (measured at 5–15 % of a tiny request, BENCHMARKS.md)
   * @throws {ComputationError} the operation's 4xx, or 503 when the queue is full or the budget runs out
   * @throws {ClientClosedError} when the disconnection signal aborted first
   */
  async execute (operation: Operation, input: unknown, disconnection?: () => AbortSignal): Promise<Answer> {
    if (this.piscina === undefined || ComputationPool.cost(operation, input) <= this.options.inlineCostLimit) {
      return { value: operation.run(input as never, this.limits) }
    }
    const signal = disconnection?.()
    if (this.saturated) {
      throw new ServiceUnavailableError(`every worker is busy and ${this.options.queueLimit} computations are waiting (QUEUE_LIMIT); retry shortly`, 'DLCHECK_OVERLOADED', this.retryAfterSeconds())
    }
    const budget = AbortSignal.timeout(this.options.computeTimeoutMs)
    let outcome: Outcome
    this.inFlight++
    try {
      outcome = await this.piscina.run({ name: operation.name, input, limits: this.limits }, { signal: signal === undefined ? budget : AbortSignal.any([signal, budget]) })
    } catch (error) {
      if (signal?.aborted === true) throw new ClientClosedError('the client closed the connection before the answer')
      if (budget.aborted) {
        throw new ServiceUnavailableError(`the computation ran over its time budget of ${this.options.computeTimeoutMs} ms (COMPUTE_TIMEOUT_MS) and was stopped; send a smaller input, or raise COMPUTE_TIMEOUT_MS on the server`, 'DLCHECK_TIMEOUT', 1)
      }
      throw error
    } finally {
      this.inFlight--
    }
    if ('error' in outcome) throw new RemoteComputationError(outcome.error.statusCode, outcome.error.code, outcome.error.message)
    return outcome
  }

  /** How long the queue takes to drain at the mean task time, in whole seconds (1 … 60). */
  private retryAfterSeconds (): number {
    const mean = this.piscina!.histogram.runTime.mean
    const seconds = Math.ceil((this.queued * (Number.isFinite(mean) ? mean : 1000)) / this.options.workers / 1000)
    return Math.min(60, Math.max(1, seconds))
  }

  /** Stops the workers; queued and running tasks are rejected. */
  async close (): Promise<void> {
    await this.piscina?.destroy()
  }
}
