/**
 * Where a computation runs, decided from its estimated cost (each operation's `cost`, in
 * nanoseconds of CPU, src/operations/operation.ts) before anything runs:
 *
 * - below INLINE_COST_LIMIT, inline on the main thread, where a worker round trip would cost
 *   more than the work;
 * - estimated over the time budget (COMPUTE_TIMEOUT_MS) on its own: refused at once with 413,
 *   naming what to shrink;
 * - otherwise in a worker thread (piscina), in one of two lanes: the short lane (WORKERS
 *   threads) for work under LONG_TASK_MS, the long lane (LONG_WORKERS threads) for the rest and
 *   for every body parsed by a worker. Short work never waits behind long work.
 *
 * Each lane keeps its own queue, so it knows what runs and what waits: admission is by
 * estimated work, not by count. When the work already waiting in a lane would not leave this
 * task time to finish within its budget, the answer is 503 at once with Retry-After set to the
 * estimated wait; QUEUE_LIMIT still bounds the number of tasks waiting.
 *
 * The pool heals: a lane's threads are started with the pool and kept alive (piscina's
 * minThreads), so a thread terminated because its client hung up or its budget ran out is
 * replaced at once and the next task starts on the new one; a task whose thread dies under it
 * gets a 503 the client may retry. On shutdown every accepted task is answered: the ones that
 * cannot finish before SHUTDOWN_TIMEOUT_MS get 503.
 *
 * Bytes cross between threads by transfer, not copy: a large request body goes to a worker as
 * the raw bytes it arrived in (the worker parses and validates it, src/runtime/worker.ts), and
 * an answer comes back as its UTF-8 JSON (or SVG), which the main thread only writes out.
 */
import { extname } from 'node:path'
import { inspect } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { LimitExceededError } from '../math/errors.js'
import { RemoteComputationError, ServiceUnavailableError } from '../errors.js'
import { gradeSheet, sheetCost, type PreparedSheet } from '../grading/grader.js'
import type { Limits } from '../operations/limits.js'
import type { Operation } from '../operations/operation.js'
import { matrixBackend, type BackendName, type BackendPreference } from '../math/backend.js'
import type { RuntimeOptions } from './options.js'
import { overBudgetMessage, seconds } from './budget.js'
import { rosterCost, type RosterTask } from '../grading/roster.js'
import type { StatementsTask } from '../grading/roster.js'
import { statementsCost } from '../pages/statements.js'
import { render, withRenderings, type Rendering } from '../renderings.js'
import { answerType, taskBytes, type AnswerType, type ComputationTask, type Outcome, type Task, type WorkerData } from './worker.js'

/**
 * A computation's answer: the value (run inline, serialised by the door), or the bytes a
 * worker (or the main thread, for text answers) wrote: JSON, an SVG picture when one was asked
 * for, a roster's CSV, a page's HTML.
 */
export type Answer = { value: unknown } | { bytes: Uint8Array, type: AnswerType }

/** The value of an answer, parsing a worker's JSON (GraphQL needs objects to select from). */
export function answerValue (answer: Answer): unknown {
  return 'bytes' in answer ? JSON.parse(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength).toString('utf8')) : answer.value
}

/** A bug met in a worker, carried back with the worker's stack (500; the handler logs it). */
export class WorkerError extends Error {
  constructor (readonly workerStack: string) {
    super(`a computation failed in a worker: ${workerStack.split('\n')[0]}`)
  }
}

/** The client went away before the answer: nothing to send (nginx's 499). */
export class ClientClosedError extends Error {
  readonly statusCode = 499
  readonly code = 'DLCHECK_CLIENT_CLOSED'
}

/**
 * Estimated CPU per byte of a body a worker parses and validates before it knows the real
 * cost (JSON.parse and Ajv on arrays of numbers: bench/cost.ts). The worker refuses the body
 * with 413 once parsed if the computation's own estimate is over budget.
 */
export const BODY_NS_PER_BYTE = 30

/** How to run one computation. */
export interface ExecuteOptions {
  /**
   * Makes a signal aborted when the client disconnects; called only for a pooled task, so the
   * many small inline ones allocate no AbortController and add no listener.
   */
  disconnection?: () => AbortSignal
  /** the answer as an SVG picture or a LaTeX answer instead of JSON (src/renderings.ts) */
  rendering?: Rendering
  /** JSON with these renderings as fields, as GraphQL selects them (not with `rendering`) */
  attach?: readonly Rendering[]
}

// The worker sits beside this file: worker.js in dist/ (npm start) or build/ (npm test),
// worker.ts in src/ (the benches, run with tsx). TypeScript loads in the worker with tsx, a dev
// dependency. JavaScript loads with no flags: a thread runs pure computations, and this
// process's own flags (a test runner's module hooks, an agent's --import) would only slow
// every thread's start (by about 0.4 s of CPU under tap's).
const EXTENSION = extname(fileURLToPath(import.meta.url))
const WORKER = fileURLToPath(new URL(`./worker${EXTENSION}`, import.meta.url))
const LOADER_FLAGS: Record<string, string[]> = { '.ts': ['--import', 'tsx'], '.js': [] }

/** (503) A computation still running when the shutdown's grace ends. */
const unfinishedAtShutdown = (): ServiceUnavailableError =>
  new ServiceUnavailableError('the server is shutting down and this computation could not finish in time; retry (another replica answers)', 'DLCHECK_SHUTTING_DOWN', 1)

/** A task admitted to a lane: waiting in its queue, or running on one of its threads. */
interface Job {
  task: ComputationTask
  transferList?: ArrayBuffer[]
  estimateNs: number
  /** performance.now() when it started on a thread */
  startedAt?: number
  /** aborts the task: piscina terminates the thread running it */
  controller: AbortController
  /** why it was stopped, answered to its client */
  stoppedBy?: Error
  resolve: (answer: Answer) => void
  reject: (error: Error) => void
}

type PoolOptions = Pick<RuntimeOptions, 'matrixBackend' | 'workers' | 'longWorkers' | 'longTaskMs' | 'queueLimit' | 'computeTimeoutMs' | 'inlineCostLimit' | 'shutdownTimeoutMs'>

/** One piscina pool of threads that are kept alive, with the queue in front of it. */
class Lane {
  readonly piscina: Piscina<Task, Outcome>
  readonly running = new Set<Job>()
  readonly waiting: Job[] = []
  /** a thread has loaded the worker's modules and answered */
  up = false
  /** the matrix kernels that thread loaded */
  kernels: BackendName | undefined

  constructor (readonly name: 'short' | 'long', readonly threads: number, matrixBackend: BackendPreference) {
    this.piscina = new Piscina<Task, Outcome>({
      filename: WORKER,
      workerData: { matrixBackend } satisfies WorkerData,
      execArgv: LOADER_FLAGS[EXTENSION],
      // Threads start with the pool and a terminated one is replaced at once (piscina's
      // _ensureMinimumWorkers), so a task never waits for a thread to be started on demand.
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity
    })
    // piscina counts its first threads ready before they have loaded anything; a first task
    // answered says the modules are loaded (and loads them before real work arrives).
    this.ping()
  }

  /** Until a ping is answered (a thread that dies while loading is replaced, and pinged again). */
  private ping (): void {
    this.piscina.run({ kind: 'ping' }).then((answer) => {
      this.kernels = new TextDecoder().decode(answer as Uint8Array) as BackendName
      this.up = true
    }, () => { if (!this.closing) setTimeout(() => this.ping(), 100).unref() })
  }

  /** set when the pool closes: no more pings */
  closing = false

  /** Estimated nanoseconds until a thread is free for a task admitted now. */
  waitNs (now: number): number {
    let remaining = 0
    for (const job of this.running) remaining += Math.max(0, job.estimateNs - (now - job.startedAt!) * 1e6)
    for (const job of this.waiting) remaining += job.estimateNs
    // A free thread starts the task at once; otherwise the work ahead shares the threads.
    return this.running.size < this.threads && this.waiting.length === 0 ? 0 : remaining / this.threads
  }
}

/** One lane's load, as /metrics reports it. */
export interface LaneStats { lane: 'short' | 'long', threads: number, running: number, queued: number, waitSeconds: number }

export class ComputationPool {
  private readonly lanes: { short: Lane, long: Lane } | undefined
  private closing = false
  /** While draining (ms since the epoch): work admitted must be estimated to finish by then. */
  private drainDeadline: number | undefined

  constructor (private readonly options: PoolOptions, readonly limits: Limits) {
    if (options.workers > 0) {
      this.lanes = { short: new Lane('short', options.workers, options.matrixBackend), long: new Lane('long', Math.max(1, options.longWorkers), options.matrixBackend) }
    }
  }

  /** Every lane has a thread up (for /ready): a fresh pool is not ready until its threads have loaded. */
  get ready (): boolean {
    return this.lanes === undefined || (this.lanes.short.up && this.lanes.long.up)
  }

  /** The matrix kernels the computations run on: the threads', once one has answered, else this thread's. */
  get kernels (): BackendName {
    return this.lanes?.short.kernels ?? matrixBackend().name
  }

  /** Tasks running on a thread, both lanes. */
  get running (): number {
    return this.lanes === undefined ? 0 : this.lanes.short.running.size + this.lanes.long.running.size
  }

  /** Tasks waiting for a thread, both lanes (for /ready). */
  get queued (): number {
    return this.lanes === undefined ? 0 : this.lanes.short.waiting.length + this.lanes.long.waiting.length
  }

  /**
   * Each lane's threads, tasks running and waiting, and the estimated seconds of work ahead of a
   * task admitted now (for /metrics); [] without a pool (WORKERS=0).
   */
  laneStats (now = performance.now()): LaneStats[] {
    if (this.lanes === undefined) return []
    return [this.lanes.short, this.lanes.long].map((lane) => ({
      lane: lane.name,
      threads: lane.threads,
      running: lane.running.size,
      queued: lane.waiting.length,
      waitSeconds: lane.waitNs(now) / 1e9
    }))
  }

  /** A lane whose threads are busy and whose queue is full: its next task gets 503 (for /ready). */
  get saturated (): boolean {
    if (this.lanes === undefined) return false
    const full = (lane: Lane): boolean => lane.running.size >= lane.threads && lane.waiting.length >= this.options.queueLimit
    return full(this.lanes.short) || full(this.lanes.long)
  }

  /**
   * The operation's estimated cost in nanoseconds. An estimate that throws or is not finite
   * means an input too odd to size: run will refuse it, so it counts as nothing.
   */
  static cost (operation: Operation, input: unknown): number {
    try {
      const cost = operation.cost(input)
      return Number.isFinite(cost) && cost > 0 ? cost : 0
    } catch {
      return 0
    }
  }

  /**
   * The answer of a computation small enough to run here (under INLINE_COST_LIMIT, or no
   * pool), computed at once without a promise; undefined when it belongs to a worker
   * (`execute` places it). A computation over the time budget is refused as in `execute`.
   * The input's parameter vectors must be numbers already (routes.ts decodes REST's binary
   * ones; GraphQL's are lists).
   */
  inline (operation: Operation, input: unknown): { value: unknown } | undefined {
    return this.place(operation, input).placement === 'inline' ? { value: operation.run(input, this.limits) } : undefined
  }

  /** The estimate and placement of a computation; one over the time budget is refused here. */
  private place (operation: Operation, input: unknown): { estimateNs: number, placement: 'inline' | 'short' | 'long' } {
    const estimateNs = ComputationPool.cost(operation, input)
    const placement = this.placement(estimateNs)
    if (placement === 'refused') {
      operation.checkLimits?.(input, this.limits)
      throw new LimitExceededError(overBudgetMessage(estimateNs, this.options.computeTimeoutMs, operation.path))
    }
    return { estimateNs, placement }
  }

  /**
   * Runs an operation on a parsed, validated input whose parameter vectors are numbers (as
   * for `inline`).
   *
   * @throws {ComputationError} the operation's 4xx; 413 when its estimate is over the time
   *   budget; 503 when the lane cannot take it in budget, the budget runs out, or its thread dies
   * @throws {ClientClosedError} when the client disconnected first
   */
  async execute (operation: Operation, input: unknown, options: ExecuteOptions = {}): Promise<Answer> {
    const { estimateNs, placement } = this.place(operation, input)
    const { rendering, attach } = options
    if (placement === 'inline') {
      const value = operation.run(input, this.limits)
      if (rendering !== undefined) return { bytes: new TextEncoder().encode(render(operation, rendering, value, input, this.limits)), type: rendering }
      return { value: withRenderings(operation, value, input, this.limits, attach ?? []) }
    }
    return await this.submit({ kind: 'operation', name: operation.name, input, limits: this.limits, rendering, attach, estimateNs }, estimateNs, placement, options)
  }

  /**
   * Where a computation of this estimate runs: refused (over the time budget on its own),
   * inline (under INLINE_COST_LIMIT, or no pool), or a lane. Bodies too large to parse on the
   * main thread always go to the long lane (executeBody).
   */
  placement (estimateNs: number): 'refused' | 'inline' | 'short' | 'long' {
    if (estimateNs > this.options.computeTimeoutMs * 1e6) return 'refused'
    if (this.lanes === undefined || estimateNs <= this.options.inlineCostLimit) return 'inline'
    return estimateNs > this.options.longTaskMs * 1e6 ? 'long' : 'short'
  }

  /**
   * Runs an operation on a body the main thread has not parsed: the bytes are moved to a
   * worker of the long lane, which parses, validates (the same schema and messages as
   * Fastify's), checks the estimate against the budget, computes and serialises. With no pool,
   * the same steps run inline.
   */
  async executeBody (operation: Operation, bytes: Uint8Array, options: ExecuteOptions = {}): Promise<Answer> {
    const task = { kind: 'body' as const, name: operation.name, bytes, limits: this.limits, rendering: options.rendering, budgetNs: this.options.computeTimeoutMs * 1e6 }
    if (this.lanes === undefined) return { bytes: taskBytes(task), type: task.rendering ?? 'json' }
    // Moved, not copied: the buffer must own its whole ArrayBuffer to be transferred.
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes)
    task.bytes = owned
    return await this.submit(task, bytes.byteLength * BODY_NS_PER_BYTE, 'long', options, [owned.buffer as ArrayBuffer])
  }

  /**
   * Grades a prepared answer sheet (src/grading/grader.ts) by the estimate of its items'
   * computations: inline when small, else in a worker.
   */
  async grade (sheet: PreparedSheet, options: ExecuteOptions = {}): Promise<Answer> {
    const estimateNs = sheetCost(sheet)
    const placement = this.placement(estimateNs)
    if (placement === 'refused') throw new LimitExceededError(overBudgetMessage(estimateNs, this.options.computeTimeoutMs, '/grade'))
    if (placement === 'inline') return { value: gradeSheet(sheet, this.limits) }
    return await this.submit({ kind: 'grade', sheet, limits: this.limits, estimateNs }, estimateNs, placement, options)
  }

  /** A roster (src/grading/roster.ts), JSON or CSV: inline when small, else in a worker. */
  async roster (roster: RosterTask, options: ExecuteOptions = {}): Promise<Answer> {
    return await this.text({ kind: 'roster', roster, estimateNs: rosterCost(roster) }, '/variants', options)
  }

  /** A student's page of statements (src/pages/statements.ts): inline when small, else in a worker. */
  async statements (page: StatementsTask, options: ExecuteOptions = {}): Promise<Answer> {
    return await this.text({ kind: 'statements', page, estimateNs: statementsCost(page) }, '/statements', options)
  }

  /** A task whose answer is text written by the task itself, wherever it runs. */
  private async text (task: ComputationTask & { estimateNs: number }, path: string, options: ExecuteOptions): Promise<Answer> {
    const placement = this.placement(task.estimateNs)
    if (placement === 'refused') throw new LimitExceededError(overBudgetMessage(task.estimateNs, this.options.computeTimeoutMs, path))
    if (placement === 'inline') return { bytes: taskBytes(task), type: answerType(task) }
    return await this.submit(task, task.estimateNs, placement, options)
  }

  private async submit (task: ComputationTask, estimateNs: number, laneName: 'short' | 'long', options: ExecuteOptions, transferList?: ArrayBuffer[]): Promise<Answer> {
    if (this.closing) throw new ServiceUnavailableError('the server is shutting down; retry (another replica answers)', 'DLCHECK_SHUTTING_DOWN', 1)
    const lane = this.lanes![laneName]
    const now = performance.now()
    const waitNs = lane.waitNs(now)
    const busy = lane.running.size >= lane.threads
    // A request that came in before the shutdown (its body still arriving, say) is answered
    // when its work can finish within the grace; otherwise another replica is the better bet.
    if (this.drainDeadline !== undefined && Date.now() + (waitNs + estimateNs) / 1e6 > this.drainDeadline) {
      throw new ServiceUnavailableError('the server is shutting down and this computation would not finish before it stops; retry (another replica answers)', 'DLCHECK_SHUTTING_DOWN', 1)
    }
    if (busy && lane.waiting.length >= this.options.queueLimit) {
      throw new ServiceUnavailableError(`every ${lane.name}-lane worker is busy and ${this.options.queueLimit} computations are waiting (QUEUE_LIMIT); retry in ${retryAfter(waitNs)} s`, 'DLCHECK_OVERLOADED', retryAfter(waitNs))
    }
    if (busy && waitNs + estimateNs > this.options.computeTimeoutMs * 1e6) {
      throw new ServiceUnavailableError(`the ${lane.name}-lane workers have about ${seconds(waitNs)} s of work waiting, and this computation (about ${seconds(estimateNs)} s) would not finish within the time budget of ${this.options.computeTimeoutMs} ms (COMPUTE_TIMEOUT_MS); retry in ${retryAfter(waitNs)} s`, 'DLCHECK_OVERLOADED', retryAfter(waitNs))
    }
    const signal = options.disconnection?.()
    return await new Promise<Answer>((resolve, reject) => {
      const job: Job = { task, transferList, estimateNs, controller: new AbortController(), resolve, reject }
      // Admitted while draining, a task's budget ends with the grace: the drain may have
      // returned already, and nothing else would stop it before the process exits.
      const graceMs = this.drainDeadline === undefined ? Infinity : this.drainDeadline - Date.now()
      const budgetMs = Math.min(this.options.computeTimeoutMs, graceMs)
      task.deadline = Date.now() + budgetMs
      // Tasks start in the order they were admitted, so the one running always reaches its
      // budget before those waiting behind it: this fires on a running task, and dispatch
      // refuses the waiting ones that can no longer finish in time.
      const overrun = (): Error => graceMs < this.options.computeTimeoutMs
        ? unfinishedAtShutdown()
        : new ServiceUnavailableError(`the computation ran over its time budget of ${this.options.computeTimeoutMs} ms (COMPUTE_TIMEOUT_MS), queue wait included, and was stopped; send a smaller input, or raise COMPUTE_TIMEOUT_MS on the server`, 'DLCHECK_TIMEOUT', 1)
      const budget = setTimeout(() => this.stop(lane, job, overrun()), budgetMs)
      const hangUp = (): void => this.stop(lane, job, new ClientClosedError('the client closed the connection before the answer'))
      signal?.addEventListener('abort', hangUp, { once: true })
      job.resolve = (answer) => { clearTimeout(budget); signal?.removeEventListener('abort', hangUp); resolve(answer) }
      job.reject = (error) => { clearTimeout(budget); signal?.removeEventListener('abort', hangUp); reject(error) }
      if (signal?.aborted === true) return hangUp()
      lane.waiting.push(job)
      this.dispatch(lane)
    })
  }

  /** Starts waiting tasks while the lane has free threads. */
  private dispatch (lane: Lane): void {
    while (lane.running.size < lane.threads && lane.waiting.length > 0) {
      const job = lane.waiting.shift()!
      // The work ahead took longer than estimated: rather than start what would be stopped
      // unfinished, answer now (a large body's own estimate is checked by its worker).
      if (Date.now() + job.estimateNs / 1e6 > job.task.deadline!) {
        job.stoppedBy = new ServiceUnavailableError(`this computation (about ${seconds(job.estimateNs)} s) could no longer finish within its time budget of ${this.options.computeTimeoutMs} ms (COMPUTE_TIMEOUT_MS) when a worker was free, and was not started; retry shortly`, 'DLCHECK_OVERLOADED', 1)
        job.reject(job.stoppedBy)
        continue
      }
      job.startedAt = performance.now()
      lane.running.add(job)
      const type = answerType(job.task)
      // A job stopped meanwhile has been answered already: its resolve and reject are no-ops.
      lane.piscina.run(job.task, { signal: job.controller.signal, transferList: job.transferList }).then((outcome) => {
        try {
          job.resolve(outcomeAnswer(outcome, type))
        } catch (error) {
          job.reject(error as Error)
        }
      }, (error: Error) => {
        // Aborted by us: stop() has answered. Otherwise the thread died under the task (out of
        // memory, a crash): the client may retry, on a fresh thread.
        if (job.stoppedBy === undefined) {
          job.reject(lostThread(error)
            ? new ServiceUnavailableError(`the worker running this computation was lost (${error.message}); retry`, 'DLCHECK_WORKER_LOST', 1)
            : new WorkerError(inspect(error)))
        }
      }).finally(() => {
        lane.running.delete(job)
        this.dispatch(lane)
      })
    }
  }

  /** Stops a task, waiting or running, and answers its client with `reason`. */
  private stop (lane: Lane, job: Job, reason: Error): void {
    // Idempotent: a second reason (the budget after a hang-up) changes nothing.
    job.stoppedBy ??= reason
    const index = lane.waiting.indexOf(job)
    if (index >= 0) lane.waiting.splice(index, 1)
    else job.controller.abort(reason)
    job.reject(reason)
  }

  /**
   * Graceful shutdown, step one: the tasks admitted keep their threads and answer as usual,
   * and any still unanswered when `graceMs` runs out is stopped with 503, so every accepted
   * request gets an answer before the process exits. Until close, a new task (from a request
   * the server took before it stopped listening) is admitted only when it is estimated to
   * finish within the grace.
   */
  async drain (graceMs: number): Promise<void> {
    this.drainDeadline = Date.now() + graceMs
    if (this.lanes === undefined) return
    const lanes = [this.lanes.short, this.lanes.long]
    const pending = (): Job[] => lanes.flatMap((lane) => [...lane.running, ...lane.waiting])
    const deadline = Date.now() + graceMs
    while (pending().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    for (const lane of lanes) {
      for (const job of [...lane.running, ...lane.waiting]) {
        this.stop(lane, job, unfinishedAtShutdown())
      }
    }
  }

  /** Stops the threads (after drain, nothing is left to answer). */
  async close (): Promise<void> {
    this.closing = true
    if (this.lanes === undefined) return
    this.lanes.short.closing = this.lanes.long.closing = true
    await Promise.all([this.lanes.short.piscina.destroy(), this.lanes.long.piscina.destroy()])
  }
}

/** A worker's outcome as an answer, or its error. */
function outcomeAnswer (outcome: Outcome, type: AnswerType): Answer {
  if (outcome instanceof Uint8Array) return { bytes: outcome, type }
  if ('error' in outcome) {
    const { statusCode, code, message, retryAfterSeconds } = outcome.error
    if (retryAfterSeconds !== undefined) throw new ServiceUnavailableError(message, code, retryAfterSeconds)
    throw new RemoteComputationError(statusCode, code, message)
  }
  throw new WorkerError(outcome.internal)
}

/**
 * Whether piscina rejected a task because its thread went away (it exited, was terminated or
 * ran out of memory), rather than because the task could not be sent (a value structured
 * cloning refuses: a bug, 500).
 */
function lostThread (error: Error & { code?: string }): boolean {
  return /worker exited|Terminating worker thread/i.test(error.message) || error.code === 'ERR_WORKER_OUT_OF_MEMORY'
}

/** Retry-After in whole seconds: the estimated wait, at least 1 and at most a minute. */
const retryAfter = (waitNs: number): number => Math.min(60, Math.max(1, Math.ceil(waitNs / 1e9)))
