/**
 * buildApp(options): a configured Fastify instance that does not listen (fastify/demo's
 * split between app.ts and server.ts), so tests drive it with app.inject.
 */
import { createServer } from 'node:http'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import { registerGraphql, restAdvice } from './graphql/index.js'
import { frameworkErrors, installErrorHandlers } from './http/errors.js'
import { registerPlaygrounds } from './playgrounds/index.js'
import { registerOperationRoutes } from './http/routes.js'
import { registerBodyParsing } from './http/body.js'
import { operations } from './operations/index.js'
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from './limits.js'
import { ErrorResponse } from './operations/schemas.js'
import { addErrorExamples, addOperationExamples, openapiDocument } from './http/openapi.js'
import { AJV_OPTIONS, schemaErrorFormatter } from './validation.js'
import { randomBytes } from 'node:crypto'
import type { GradingSecrets } from './config.js'
import { GraderAccess } from './grading/access.js'
import { Grader } from './grading/grader.js'
import { GRADE_EXAMPLES, GRADE_MAX_VALUES } from './grading/schemas.js'
import { registerGradingRoutes } from './http/grading.js'
import { exemptFromShedding, registerProtection } from './http/protection.js'
import { echoRequestId, requestId } from './http/request-id.js'
import { LoadShedder } from './http/pressure.js'
import { registerMetrics } from './http/metrics.js'
import type { BuildInfo } from './metrics.js'
import { readProjectFile } from './project-file.js'
import { DEFAULT_RUNTIME, type RuntimeOptions } from './runtime/options.js'
import { ComputationPool } from './runtime/pool.js'
import { selectMatrixBackend, useMatrixBackend } from './math/backend.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** where computations run (src/runtime/pool.ts): read by /ready, spied on by tests */
    computations: ComputationPool
  }
}

export interface AppOptions {
  /** the computations', GraphQL's and grading's limits (src/limits.ts) */
  limits?: Partial<ServiceLimits>
  /** worker pool, overload protection, timeouts (src/runtime/options.ts) */
  runtime?: Partial<RuntimeOptions>
  /** pino's options (level, stream…); none: no logging */
  logger?: Exclude<FastifyServerOptions['logger'], boolean | undefined>
  /** GRADER_TOKEN and VARIANT_SECRET; both optional (see the warnings below) */
  grading?: GradingSecrets
  /** the commit the service was built from, for GET /version (GIT_COMMIT, or the checkout's) */
  commit?: string
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token */
  metricsToken?: string
}

/**
 * One log line per request at info, written when it is answered, instead of Fastify's two:
 * the answer's line carries the request too (method, URL, host, client address), and the log
 * is half as long. The line for a request coming in is at debug (LOG_LEVEL=debug shows the
 * requests still in flight). Fastify's LogController is the documented place to change its
 * request lines.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error != null) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

/**
 * A request as its log lines show it: Fastify's default fields, but the path without its
 * query string, which may hold a student's id (`/questions/{id}/variant?student=…`) or a
 * GraphQL request's variables. No student id is logged in clear (docs/autograding.md, Privacy).
 */
export function requestLine (request: FastifyRequest): Record<string, unknown> {
  const query = request.url.indexOf('?')
  return {
    method: request.method,
    url: query < 0 ? request.url : `${request.url.slice(0, query)}?…`,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/** The logger's options with requestLine as the request serializer; none, no logger. */
function loggerOptions (logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  return logger === undefined ? false : { ...logger, serializers: { req: requestLine, ...logger.serializers } }
}

export async function buildApp (options: AppOptions = {}): Promise<FastifyInstance> {
  const limits: ServiceLimits = { ...DEFAULT_SERVICE_LIMITS, ...options.limits }
  const runtime: RuntimeOptions = { ...DEFAULT_RUNTIME, ...options.runtime }
  const shedder = new LoadShedder(runtime)
  const kernels = selectMatrixBackend(runtime.matrixBackend)
  useMatrixBackend(kernels.backend)
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: limits.bodyLimit,
    schemaErrorFormatter,
    ajv: { customOptions: AJV_OPTIONS },
    trustProxy: runtime.trustProxy,
    // While closing: new requests get 503 and idle keep-alive sockets are closed at once
    // (Fastify's defaults, stated because graceful shutdown relies on them).
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors,
    logController: new OneLinePerRequest(),
    // X-Request-Id when it is plain, else a UUID (src/http/request-id.ts): in every log line
    // as reqId, and sent back.
    genReqId: requestId,
    // Node's HTTP server, with load shedding in front of Fastify's handler
    // (src/http/pressure.ts): a refused request never reaches Fastify. With a serverFactory,
    // Fastify leaves the server's timeouts to it (lib/server.js, getServerInstance).
    serverFactory: (handler) => {
      const server = createServer({
        // Node's slow-loris guard: the whole request must arrive within requestTimeout. Node
        // checks it every connectionsCheckingInterval (30 s by default), and not at all while
        // headersTimeout (60 s by default) is longer: a body trickling in was cut a minute or
        // more late. Headers are part of the request, so they share its timeout.
        requestTimeout: runtime.requestTimeoutMs,
        headersTimeout: runtime.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, runtime.requestTimeoutMs)
      }, shedder.active ? (request, response) => { if (shedder.admits(request, response)) handler(request, response) } : handler)
      server.keepAliveTimeout = runtime.keepAliveTimeoutMs
      server.setTimeout(runtime.connectionTimeoutMs)
      return server
    }
  })
  exemptFromShedding(app, shedder)
  app.addSchema(ErrorResponse)
  await app.register(swagger, {
    openapi: openapiDocument,
    refResolver: { buildLocalReference: (json) => String(json.$id) },
    hideUntagged: true,
    transform: addOperationExamples([...operations, { path: '/grade', examples: GRADE_EXAMPLES }]),
    transformObject: addErrorExamples
  })
  installErrorHandlers(app, limits, new Map(operations.filter((op) => op.bodyLimit).map((op) => [op.path, op.bodyLimit!])))
  // /graphql's variables are bounded (src/graphql/limits.ts); the body around them is bounded
  // as much before JSON.parse, with room for the document's own keys.
  const graphqlValues = { max: limits.graphqlMaxVariableEntries + 64, message: `the body holds more than ${limits.graphqlMaxVariableEntries} values in lists and objects (GRAPHQL_MAX_VARIABLE_ENTRIES); ${restAdvice(operations)}` }
  // /grade's sheet is parsed here too (its params and variants need the main thread's secret):
  // a hundred answers need far fewer values than a body of tiny lists could hold.
  const gradeValues = { max: GRADE_MAX_VALUES, message: `the body holds more than ${GRADE_MAX_VALUES} values in lists and objects; send the answers in several requests` }
  // A roster's students and question ids, and room to spare: a roster just over
  // ROSTER_MAX_STUDENTS reaches the route, whose 413 names the limit.
  const rosterValues = { max: 2 * limits.rosterMaxStudents + 200, message: `the body holds far more values than a roster of ROSTER_MAX_STUDENTS (${limits.rosterMaxStudents}) students needs; send the roster in several requests`, tooLarge: true }
  registerBodyParsing(app, runtime.workerBodyBytes, new Set(operations.map((operation) => operation.path)), new Map([['/graphql', graphqlValues], ['/grade', gradeValues], ['/variants', rosterValues]]))
  // The threads load what this thread chose, by name: the native library only where this
  // thread's probes ran it (src/math/native.ts), never by a thread's own, probe-less, load.
  const pool = new ComputationPool({ ...runtime, matrixBackend: kernels.backend.name }, limits)
  app.decorate('computations', pool)
  // Shutdown: the computations admitted are answered (within SHUTDOWN_TIMEOUT_MS, less a
  // second to write the answers) before the threads stop.
  // preClose must not wait: the server stops listening after it.
  let drained: Promise<void> = Promise.resolve()
  app.addHook('preClose', (done) => { drained = pool.drain(Math.max(0, runtime.shutdownTimeoutMs - 1000)); done() })
  app.addHook('onClose', async () => { await drained; await pool.close() })
  echoRequestId(app)
  // Read once: what is deployed does not change while the process runs.
  const build: BuildInfo = { version: (JSON.parse(readProjectFile('package.json')) as { version: string }).version, commit: options.commit ?? null, node: process.version }
  registerMetrics(app, pool, shedder, build, options.metricsToken)
  await registerProtection(app, runtime, pool, shedder, build)
  const { graderToken, variantSecret, computations, publicUrl } = options.grading ?? {}
  const access = new GraderAccess(graderToken, computations === 'token')
  registerOperationRoutes(app, operations, pool, access)
  app.log[kernels.level](kernels.message)
  if (access.computationsClosed) {
    app.log.info('the computations, /questions and /graphql need the grader token (COMPUTATIONS=token)')
  }
  if (access.open) {
    app.log.warn('grading is open: GRADER_TOKEN is not set, so anyone may call /grade and read variants (REST and GraphQL); set GRADER_TOKEN to require Authorization: Bearer <token>')
  }
  if (variantSecret === undefined) {
    app.log.warn('VARIANT_SECRET is not set: variants come from a random secret of this process, so they change on restart and differ between replicas')
  }
  const grader = new Grader(variantSecret === undefined ? randomBytes(32) : Buffer.from(variantSecret, 'utf8'), limits)
  registerGradingRoutes(app, grader, access, pool, publicUrl)
  await registerGraphql(app, operations, limits, pool, grader, access)
  await registerPlaygrounds(app, operations)
  return app
}
