/**
 * How the service holds up under load: the worker pool, overload and abuse protection,
 * timeouts and shutdown, declared once (src/settings.ts): each environment variable with its
 * bounds, default and meaning (docs/limits.md's table is generated from it). The defaults
 * suit one instance on a small machine.
 */
import { availableParallelism } from 'node:os'
import { Type } from '@sinclair/typebox'
import { BACKEND_PREFERENCES } from '../math/backend.js'
import { countSetting as Count, defaultsOf, envNamesOf, sizeSetting as Size, type Options } from '../settings.js'

export const RuntimeSettings = Type.Object({
  // One core stays with the main thread, so /health, /ready and small requests answer while
  // the pool is busy.
  WORKERS: Count(Math.max(1, availableParallelism() - 1), 'worker threads for short computations; `0` runs everything on the main thread (for tests)', 'CPUs − 1, at least 1'),
  // One thread for long work: a long computation never takes a short-lane thread, so short
  // work never waits seconds behind it; on a 2-core machine the long lane shares a core.
  LONG_WORKERS: Size(1, 'worker threads for long computations and large bodies'),
  LONG_TASK_MS: Size(250, 'estimated time above which a computation runs on the long lane, ms'),
  // JSON.parse and validation of 256 KiB take about a millisecond on the main thread.
  WORKER_BODY_BYTES: Count(256 * 1024, 'bodies larger than this (256 KiB) are parsed in a worker, not on the main thread, bytes'),
  // A millisecond of main-thread time: less than a worker round trip (bench/pool.ts).
  INLINE_COST_LIMIT: Count(1_000_000, 'estimated CPU time in nanoseconds (1 ms) above which a computation runs in a worker'),
  QUEUE_LIMIT: Count(64, 'computations waiting in one lane; beyond, 503 with `Retry-After`'),
  COMPUTE_TIMEOUT_MS: Size(30_000, 'time budget of a computation, queue wait included, ms: estimated longer, 413 at once; a queue too long to finish in it, 503 at once; run over, the worker is stopped and the answer is 503'),
  // The main thread only moves bytes (reads and writes JSON) and runs computations under
  // INLINE_COST_LIMIT, so a loop 30 ms behind has requests queueing. A request then waits about
  // two loop turns at most, the turn in progress when it arrives and its place in the next one;
  // each turn stops accepting at this limit plus a heartbeat and ends after one more read per
  // busy connection (src/http/pressure.ts). That keeps /health under 100 ms (bench:stall's
  // overload case; BENCHMARKS.md, *Stalls*).
  MAX_EVENT_LOOP_DELAY_MS: Count(30, 'event-loop delay above which requests get 503 `DLCHECK_UNDER_PRESSURE`, ms: the worst delay seen by a 10 ms heartbeat, a stall in progress included, not a mean (see [Production](production.md)); `0` off'),
  MAX_HEAP_USED_BYTES: Count(0, 'V8 heap in use above which requests get 503, sampled every 10 ms, bytes; `0` off', '`0` (off)'),
  RATE_LIMIT_MAX: Count(0, 'requests per client per window (`@fastify/rate-limit`, 429); off by default, see [Production](production.md)', '`0` (off)'),
  RATE_LIMIT_WINDOW_MS: Size(60_000, 'the rate limit\'s window, ms'),
  TRUST_PROXY: Type.Boolean({ default: false, description: 'take the client address from `X-Forwarded-For` (behind nginx), for logs and rate limits' }),
  REQUEST_TIMEOUT_MS: Size(30_000, 'time to receive a whole request (slow-loris guard, 408), checked every second, ms'),
  CONNECTION_TIMEOUT_MS: Size(60_000, 'idle socket timeout, ms'),
  KEEP_ALIVE_TIMEOUT_MS: Size(72_000, 'idle keep-alive lifetime, ms (above nginx\'s and AWS ALB\'s 60 s, so the proxy closes first)'),
  SHUTDOWN_TIMEOUT_MS: Size(20_000, 'longest graceful shutdown before a forced exit 1, ms'),
  MATRIX_BACKEND: Type.Union(BACKEND_PREFERENCES.map((name) => Type.Literal(name)), {
    default: 'auto',
    description: 'the matrix kernels of the MLP models (`/hvp`, `/newton-step`, `/hessian-spectrum`): `native` (OpenBLAS through the addon `npm run build:native` builds, see native/README.md), `wasm` (WebAssembly SIMD), `js` (scalar JavaScript, the reference) or `auto`, native where it loads, else wasm; one that cannot load is replaced by the next, with the reason logged at start. `/health` says which runs'
  })
})

/** The runtime options as the code reads them: `runtime.computeTimeoutMs` is COMPUTE_TIMEOUT_MS. */
export type RuntimeOptions = Options<typeof RuntimeSettings>

export const DEFAULT_RUNTIME: RuntimeOptions = defaultsOf(RuntimeSettings)

/** The env variable behind each option, for messages. */
export const RUNTIME_ENV = envNamesOf(RuntimeSettings)
