/**
 * Holding up under load and shutting down cleanly:
 * - load shedding (./pressure.ts) answers 503 with Retry-After while the event loop is behind
 *   or the heap is too full (MAX_EVENT_LOOP_DELAY_MS, MAX_HEAP_USED_BYTES);
 * - @fastify/rate-limit, when RATE_LIMIT_MAX > 0, answers 429 past that many requests per
 *   client per RATE_LIMIT_WINDOW_MS (off by default: a course's autograder behind one address
 *   would hit it first; turn it on where clients are many and unknown);
 * - GET /health (liveness), GET /ready (readiness) and GET /version are exempt from both, so an orchestrator
 *   sees a busy service as busy (/ready 503), not dead (/health 200); /ready is also 503 until
 *   the worker pool is up;
 * - while closing, responses carry `Connection: close`: a keep-alive client would otherwise
 *   hold its socket until keepAliveTimeout and stall the shutdown.
 */
import rateLimit from '@fastify/rate-limit'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { BACKEND_NAMES } from '../math/backend.js'
import type { RuntimeOptions } from '../runtime/options.js'
import type { ComputationPool } from '../runtime/pool.js'
import type { BuildInfo } from '../metrics.js'
import { LoadShedder, RETRY_AFTER_SECONDS } from './pressure.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: load shedding never refuses this route */
    loadShedding?: boolean
  }
}

/** The matrix kernels in /health and /version. */
const Kernels = Type.Union(BACKEND_NAMES.map((name) => Type.Literal(name)), { description: 'the matrix kernels the MLP models run on (MATRIX_BACKEND), as the worker threads report them: `native` (OpenBLAS), `wasm` (WebAssembly SIMD) or `js` (scalar JavaScript)' })

/** Route config of the routes that answer however loaded the service is. */
const ALWAYS_ANSWER = { loadShedding: false, rateLimit: false }

/**
 * Tells the shedder which paths to pass on: it runs before Fastify routes a request, so it
 * learns them from every route whose config says loadShedding: false. Called before any route
 * is added (an onRoute hook sees only the routes added after it).
 */
export function exemptFromShedding (app: FastifyInstance, shedder: LoadShedder): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.loadShedding === false) shedder.exempt.add(route.url)
  })
}

/**
 * @param shedder - made before the app, whose HTTP server asks it which requests to pass on
 * @param build - what GET /version reports
 */
export async function registerProtection (app: FastifyInstance, runtime: RuntimeOptions, pool: ComputationPool, shedder: LoadShedder, build: BuildInfo): Promise<void> {
  app.addHook('preClose', async () => { shedder.closing = true })
  // Callback style: no promise per response for a header sent only while closing.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (shedder.closing) reply.header('connection', 'close')
    done(null, payload)
  })

  shedder.log = app.log
  if (shedder.active) {
    app.addHook('onReady', (done) => { shedder.start(); done() })
    app.addHook('onClose', (_app, done) => { shedder.stop(); done() })
  }
  if (runtime.rateLimitMax > 0) {
    await app.register(rateLimit, {
      max: runtime.rateLimitMax,
      timeWindow: runtime.rateLimitWindowMs,
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        code: 'DLCHECK_RATE_LIMIT',
        error: 'Too Many Requests',
        message: `over ${context.max} requests per ${context.after} from this client (RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS); retry in ${context.after}`
      })
    })
  }

  app.get('/health', {
    config: ALWAYS_ANSWER,
    schema: {
      operationId: 'health',
      summary: 'Liveness',
      description: 'Answers as long as the process serves requests, even when it is overloaded; no computation runs here.',
      tags: ['operations'],
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          uptime: Type.Number({ description: 'seconds since start' }),
          kernels: Kernels
        })
      }
    }
  }, async () => ({ status: 'ok' as const, uptime: process.uptime(), kernels: pool.kernels }))

  app.get('/version', {
    config: ALWAYS_ANSWER,
    schema: {
      operationId: 'version',
      summary: 'What is running',
      description: 'The service\'s version, the commit it was built from, the Node.js that runs it and its matrix kernels: what an operator checks after an upgrade, on each replica.',
      tags: ['operations'],
      response: {
        200: Type.Object({
          version: Type.String({ description: 'the version in package.json' }),
          commit: Type.Union([Type.String(), Type.Null()], { description: 'the git commit it was built from (GIT_COMMIT, or the checkout\'s HEAD when it runs from one); null when neither is known' }),
          node: Type.String({ description: 'the Node.js version (process.version)' }),
          kernels: Kernels
        })
      }
    }
  }, async () => ({ ...build, kernels: pool.kernels }))

  const Readiness = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
    reasons: Type.Array(Type.String(), { description: 'why not ready: the worker pool starting, under pressure, or a computation queue full' }),
    queued: Type.Integer({ description: 'computations waiting for a worker thread, both lanes' })
  })
  app.get('/ready', {
    config: ALWAYS_ANSWER,
    schema: {
      operationId: 'ready',
      summary: 'Readiness',
      description: '200 when the service takes new work; 503 while its worker pool starts (no thread has loaded yet), when it is under pressure (event-loop delay, heap) or when a lane of its worker pool is busy with a full queue. ' +
        'While the service shuts down every route, this one included, answers 503 with Connection: close (Fastify\'s return503OnClosing). A load balancer should stop sending requests on 503.',
      tags: ['operations'],
      response: { 200: Readiness, 503: Readiness }
    }
  }, async (_request, reply) => {
    const reasons = shedder.reasons()
    if (!pool.ready) reasons.push('worker pool starting')
    if (pool.saturated) reasons.push('computation queue full (QUEUE_LIMIT)')
    if (reasons.length > 0) reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
    return { status: reasons.length === 0 ? 'ready' as const : 'not-ready' as const, reasons, queued: pool.queued }
  })
}
