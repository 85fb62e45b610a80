/**
 * What GET /metrics reports (src/http/metrics.ts serves it), in Prometheus' text exposition
 * format, written by prom-client (the Node.js client Prometheus' own docs list). Here, below
 * both doors, because REST and GraphQL both count what they grade. What an operator watches at
 * the deadline rush:
 * - dlcheck_http_request_duration_seconds: a histogram by method, route (the route's pattern,
 *   `unmatched` for a 404, never the raw URL: a label per URL would grow without bound) and
 *   status code, observed when each answer is sent;
 * - the worker pool, per lane (src/runtime/pool.ts): threads, tasks running and queued, and the
 *   estimated seconds of work ahead of a task admitted now, read when Prometheus scrapes;
 * - dlcheck_load_shed_requests_total: requests refused with 503 by load shedding
 *   (src/http/pressure.ts), which never reach Fastify and so are not in the histogram;
 * - dlcheck_graded_items_total by question and outcome (correct, incorrect, invalid);
 * - dlcheck_build_info: version, commit, Node.js and kernels, as GET /version says;
 * - prom-client's default process metrics: CPU, memory, heap, GC, and the event-loop delay
 *   (nodejs_eventloop_lag_*, from perf_hooks' monitorEventLoopDelay).
 *
 * Each app has its own registry (tests build many apps in one process); the process metrics are
 * one registry per process, since they describe the process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { FastifyRequest } from 'fastify'
import type { AuditRecord } from './grading/grader.js'
import type { ComputationPool } from './runtime/pool.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** what /metrics reports (src/metrics.ts): counted by the routes that grade */
    metrics: ServiceMetrics
  }
}

/**
 * Seconds. Most answers take well under a millisecond (an inline computation), a worker's a few
 * ms, the largest up to the 30 s time budget (COMPUTE_TIMEOUT_MS): prom-client's default buckets
 * start at 5 ms and end at 10 s, too coarse at both ends here.
 */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

let processRegistry: Registry | undefined

/** The process's own metrics, collected once per process however many apps it builds. */
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export interface BuildInfo { version: string, commit: string | null, node: string }

export class ServiceMetrics {
  readonly registry = new Registry()
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>
  private readonly graded: Counter<'question' | 'outcome'>

  /**
   * @param shedder - load shedding (src/http/pressure.ts), for its count of refusals
   */
  constructor (pool: ComputationPool, shedder: { readonly refusedTotal: number }, build: BuildInfo) {
    const registers = [this.registry]
    this.requests = new Histogram({
      name: 'dlcheck_http_request_duration_seconds',
      help: 'Time from a request\'s arrival to its answer, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers
    })
    this.graded = new Counter({
      name: 'dlcheck_graded_items_total',
      help: 'Answers graded (POST /grade and the GraphQL grade mutation), by question and outcome: correct, incorrect, or invalid (unreadable)',
      labelNames: ['question', 'outcome'],
      registers
    })
    // Read when Prometheus scrapes: the pool's state then, at no cost per request.
    const lanes = (help: string, name: string, read: (lane: ReturnType<ComputationPool['laneStats']>[number]) => number): void => {
      // eslint-disable-next-line no-new -- registered in `registers`, read there
      new Gauge({
        name,
        help,
        labelNames: ['lane'],
        registers,
        collect () {
          this.reset()
          for (const lane of pool.laneStats()) this.set({ lane: lane.lane }, read(lane))
        }
      })
    }
    lanes('Worker threads per lane of the computation pool (WORKERS, LONG_WORKERS)', 'dlcheck_pool_threads', (lane) => lane.threads)
    lanes('Computations running on a worker thread, per lane', 'dlcheck_pool_running_tasks', (lane) => lane.running)
    lanes('Computations waiting for a worker thread, per lane (QUEUE_LIMIT bounds it)', 'dlcheck_pool_queued_tasks', (lane) => lane.queued)
    lanes('Estimated seconds of work ahead of a computation admitted now, per lane (from the cost model; 0 while a thread is free)', 'dlcheck_pool_queued_seconds', (lane) => lane.waitSeconds)
    // eslint-disable-next-line no-new -- registered in `registers`, read there
    new Counter({
      name: 'dlcheck_load_shed_requests_total',
      help: 'Requests refused with 503 by load shedding (MAX_EVENT_LOOP_DELAY_MS, MAX_HEAP_USED_BYTES) before routing',
      registers,
      collect () {
        this.reset()
        this.inc(shedder.refusedTotal)
      }
    })
    // eslint-disable-next-line no-new -- registered in `registers`, read there
    new Gauge({
      name: 'dlcheck_build_info',
      help: 'Always 1; its labels say what runs, as GET /version does',
      labelNames: ['version', 'commit', 'node', 'kernels'],
      registers,
      collect () {
        this.reset()
        this.set({ version: build.version, commit: build.commit ?? '', node: build.node, kernels: pool.kernels }, 1)
      }
    })
  }

  /** One answer sent: `elapsedMs` since the request arrived (Fastify's reply.elapsedTime). */
  observe (method: string, route: string | undefined, statusCode: number, elapsedMs: number): void {
    this.requests.observe({ method, route: route ?? 'unmatched', status_code: statusCode }, elapsedMs / 1000)
  }

  /** Graded items, counted by question and outcome. */
  countGraded (records: readonly AuditRecord[]): void {
    for (const record of records) {
      this.graded.inc({ question: record.question, outcome: record.invalid ? 'invalid' : record.correct ? 'correct' : 'incorrect' })
    }
  }

  /** The exposition text: the process's metrics, then this app's. */
  async text (): Promise<string> {
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`
  }
}

/** Each graded item: its audit log line (docs/autograding.md, Privacy) and its count. */
export function recordGrades (request: FastifyRequest, records: readonly AuditRecord[]): void {
  for (const record of records) request.log.info({ audit: record }, 'graded')
  request.server.metrics.countGraded(records)
}
