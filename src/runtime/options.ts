/**
 * How the service holds up under load: the worker pool, overload and abuse protection,
 * timeouts and shutdown. Each is an env variable (docs/limits.md); the
 * defaults suit one instance on a small machine.
 */
import { availableParallelism } from 'node:os'

export interface RuntimeOptions {
  /** worker threads for short computations (WORKERS); 0 runs everything on the main thread */
  workers: number
  /** worker threads for long computations and large bodies, at least 1 when WORKERS > 0 (LONG_WORKERS) */
  longWorkers: number
  /** estimated time above which a computation is long and runs in the long lane, ms (LONG_TASK_MS) */
  longTaskMs: number
  /** request bodies larger than this are parsed in a worker, not on the main thread, bytes (WORKER_BODY_BYTES) */
  workerBodyBytes: number
  /** computations waiting in one lane before 503 (QUEUE_LIMIT) */
  queueLimit: number
  /** time budget of one computation, queue wait included, ms; estimated longer: 413 (COMPUTE_TIMEOUT_MS) */
  computeTimeoutMs: number
  /** estimated CPU time above which a computation goes to the pool, ns (INLINE_COST_LIMIT) */
  inlineCostLimit: number
  /** requests per client per window; 0 turns rate limiting off (RATE_LIMIT_MAX) */
  rateLimitMax: number
  /** the rate limit's window, ms (RATE_LIMIT_WINDOW_MS) */
  rateLimitWindowMs: number
  /** event-loop delay (worst, including a stall in progress) above which requests get 503, ms; 0 off (MAX_EVENT_LOOP_DELAY_MS) */
  maxEventLoopDelayMs: number
  /** heap in use (sampled every 10 ms) above which requests get 503, bytes; 0 off (MAX_HEAP_USED_BYTES) */
  maxHeapUsedBytes: number
  /** time to receive a whole request, ms: slow-loris guard (REQUEST_TIMEOUT_MS) */
  requestTimeoutMs: number
  /** idle socket timeout, ms (CONNECTION_TIMEOUT_MS) */
  connectionTimeoutMs: number
  /** idle keep-alive socket lifetime, ms (KEEP_ALIVE_TIMEOUT_MS) */
  keepAliveTimeoutMs: number
  /** longest graceful shutdown before a forced exit, ms (SHUTDOWN_TIMEOUT_MS) */
  shutdownTimeoutMs: number
  /** trust X-Forwarded-For from a proxy in front (nginx), for client addresses and rate limits (TRUST_PROXY) */
  trustProxy: boolean
}

export const DEFAULT_RUNTIME: RuntimeOptions = {
  // One core stays with the main thread, so /health, /ready and small requests answer while
  // the pool is busy.
  workers: Math.max(1, availableParallelism() - 1),
  // One thread for long work: a long computation never takes a short-lane thread, so short
  // work never waits seconds behind it; on a 2-core machine the long lane shares a core.
  longWorkers: 1,
  longTaskMs: 250,
  // JSON.parse and validation of 256 KiB take about a millisecond on the main thread.
  workerBodyBytes: 256 * 1024,
  queueLimit: 64,
  computeTimeoutMs: 30_000,
  // A millisecond of main-thread time: less than a worker round trip (bench/pool.ts).
  inlineCostLimit: 1_000_000,
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  // The main thread only moves bytes (reads and writes JSON) and runs computations under
  // INLINE_COST_LIMIT, so a loop 30 ms behind has requests queueing. A request then waits about
  // two loop turns at most, the turn in progress when it arrives and its place in the next one;
  // each turn stops accepting at this limit plus a heartbeat and ends after one more read per
  // busy connection (src/http/pressure.ts). That keeps /health under 100 ms (bench:stall's
  // overload case; BENCHMARKS.md, *Stalls*).
  maxEventLoopDelayMs: 30,
  maxHeapUsedBytes: 0,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  shutdownTimeoutMs: 20_000,
  trustProxy: false
}

export const RUNTIME_ENV: Record<keyof RuntimeOptions, string> = {
  workers: 'WORKERS',
  longWorkers: 'LONG_WORKERS',
  longTaskMs: 'LONG_TASK_MS',
  workerBodyBytes: 'WORKER_BODY_BYTES',
  queueLimit: 'QUEUE_LIMIT',
  computeTimeoutMs: 'COMPUTE_TIMEOUT_MS',
  inlineCostLimit: 'INLINE_COST_LIMIT',
  rateLimitMax: 'RATE_LIMIT_MAX',
  rateLimitWindowMs: 'RATE_LIMIT_WINDOW_MS',
  maxEventLoopDelayMs: 'MAX_EVENT_LOOP_DELAY_MS',
  maxHeapUsedBytes: 'MAX_HEAP_USED_BYTES',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  connectionTimeoutMs: 'CONNECTION_TIMEOUT_MS',
  keepAliveTimeoutMs: 'KEEP_ALIVE_TIMEOUT_MS',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  trustProxy: 'TRUST_PROXY'
}
