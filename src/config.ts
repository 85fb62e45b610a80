/**
 * Configuration from the environment, validated by a schema (as fastify/demo does with
 * @fastify/env): a bad value stops the service at start with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DEFAULT_LIMITS, LIMIT_ENV, type Limits } from './operations/limits.js'
import { DEFAULT_RUNTIME, RUNTIME_ENV, type RuntimeOptions } from './runtime/options.js'

const Size = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description })
/** A count where 0 means "off" (or, for WORKERS, "no pool"). */
const Count = (fallback: number, description: string) => Type.Integer({ minimum: 0, default: fallback, description })

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
  BODY_LIMIT: Size(DEFAULT_LIMITS.bodyLimit, 'default request body limit, bytes'),
  SOFTMAX_BODY_LIMIT: Size(DEFAULT_LIMITS.softmaxBodyLimit, 'request body limit of /softmax-stable, bytes'),
  SOFTMAX_MAX_ENTRIES: Size(DEFAULT_LIMITS.softmaxMaxEntries, 'entries of x'),
  CONV_MAX_DENSE_ENTRIES: Size(DEFAULT_LIMITS.convMaxDenseEntries, 'rows·cols of a dense conv matrix'),
  CONV_MAX_SPARSE_ENTRIES: Size(DEFAULT_LIMITS.convMaxSparseEntries, 'non-zeros of a conv matrix'),
  CONV_MAX_LATEX_ENTRIES: Size(DEFAULT_LIMITS.convMaxLatexEntries, 'rows·cols of a LaTeX conv matrix'),
  MAX_LAYERS: Size(DEFAULT_LIMITS.maxLayers, 'layers in one network'),
  HVP_BODY_LIMIT: Size(DEFAULT_LIMITS.hvpBodyLimit, 'request body limit of /hvp and /newton-step, bytes'),
  HVP_MAX_WORK: Size(DEFAULT_LIMITS.hvpMaxWork, 'batch size × parameter count of an MLP'),
  HVP_MAX_ACTIVATIONS: Size(DEFAULT_LIMITS.hvpMaxActivations, 'batch size × Σ layer widths of an MLP'),
  GRAPHQL_MAX_DEPTH: Size(DEFAULT_LIMITS.graphqlMaxDepth, 'nesting depth of a GraphQL document'),
  GRAPHQL_MAX_ALIASES: Size(DEFAULT_LIMITS.graphqlMaxAliases, 'aliased fields in a GraphQL document'),
  GRAPHQL_MAX_TOKENS: Size(DEFAULT_LIMITS.graphqlMaxTokens, 'tokens in a GraphQL document'),
  GRAPHQL_MAX_NESTING: Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIMITS.graphqlMaxNesting, description: 'nesting of lists and objects in a GraphQL document or its variables (at most 1000: deeper would overflow the parser\'s stack)' }),
  GRAPHQL_MAX_FIELDS: Size(DEFAULT_LIMITS.graphqlMaxFields, 'field selections in a GraphQL document'),
  GRAPHQL_MAX_COMPUTATIONS: Size(DEFAULT_LIMITS.graphqlMaxComputations, 'Query fields in a GraphQL document'),
  GRAPHQL_BODY_LIMIT: Size(DEFAULT_LIMITS.graphqlBodyLimit, 'request body limit of /graphql, bytes'),
  GRAPHQL_MAX_VARIABLE_ENTRIES: Size(DEFAULT_LIMITS.graphqlMaxVariableEntries, 'values in the lists and objects of a GraphQL request\'s variables, all together'),
  GRAPHQL_MAX_ANSWER_BYTES: Size(DEFAULT_LIMITS.graphqlMaxAnswerBytes, 'bytes of the answers (their JSON) of one GraphQL request'),
  GRADE_MAX_ITEMS: Size(DEFAULT_LIMITS.gradeMaxItems, 'answers graded by one /grade request'),
  CORNER_MAX_EPOCHS: Size(DEFAULT_LIMITS.cornerMaxEpochs, 'Adam steps of one /corner-experiment network, about 1.3 ms of CPU each'),
  EVALUATION_MAX_WORK: Size(DEFAULT_LIMITS.evaluationMaxWork, 'ReLU terms × points, and K·d·N of a mixture'),
  WORKERS: Count(DEFAULT_RUNTIME.workers, 'worker threads for short computations; 0: everything on the main thread'),
  LONG_WORKERS: Size(DEFAULT_RUNTIME.longWorkers, 'worker threads for long computations and large bodies'),
  LONG_TASK_MS: Size(DEFAULT_RUNTIME.longTaskMs, 'estimated time above which a computation runs in the long lane, ms'),
  WORKER_BODY_BYTES: Count(DEFAULT_RUNTIME.workerBodyBytes, 'request bodies larger than this are parsed in a worker, bytes'),
  QUEUE_LIMIT: Count(DEFAULT_RUNTIME.queueLimit, 'computations waiting in one lane before 503'),
  COMPUTE_TIMEOUT_MS: Size(DEFAULT_RUNTIME.computeTimeoutMs, 'time budget of a computation, queue wait included, ms; estimated longer: 413'),
  INLINE_COST_LIMIT: Count(DEFAULT_RUNTIME.inlineCostLimit, 'estimated CPU time above which a computation goes to the pool, ns'),
  RATE_LIMIT_MAX: Count(DEFAULT_RUNTIME.rateLimitMax, 'requests per client per window; 0: off'),
  RATE_LIMIT_WINDOW_MS: Size(DEFAULT_RUNTIME.rateLimitWindowMs, 'rate-limit window, ms'),
  MAX_EVENT_LOOP_DELAY_MS: Count(DEFAULT_RUNTIME.maxEventLoopDelayMs, 'event-loop delay above which requests get 503 (the worst delay, a stall in progress included, not a mean), ms; 0: off'),
  MAX_HEAP_USED_BYTES: Count(DEFAULT_RUNTIME.maxHeapUsedBytes, 'V8 heap in use above which requests get 503 (sampled every 10 ms), bytes; 0: off'),
  REQUEST_TIMEOUT_MS: Size(DEFAULT_RUNTIME.requestTimeoutMs, 'time to receive a whole request, ms'),
  CONNECTION_TIMEOUT_MS: Size(DEFAULT_RUNTIME.connectionTimeoutMs, 'idle socket timeout, ms'),
  KEEP_ALIVE_TIMEOUT_MS: Size(DEFAULT_RUNTIME.keepAliveTimeoutMs, 'idle keep-alive lifetime, ms'),
  SHUTDOWN_TIMEOUT_MS: Size(DEFAULT_RUNTIME.shutdownTimeoutMs, 'longest graceful shutdown, ms'),
  TRUST_PROXY: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: String(DEFAULT_RUNTIME.trustProxy), description: 'trust X-Forwarded-For from a proxy in front' }),
  GRADER_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'bearer token that /grade and the variants require; unset: grading is open' })),
  VARIANT_SECRET: Type.Optional(Type.String({ minLength: 16, description: 'HMAC key of the per-student variants; the same on every replica' }))
})
export type Env = Static<typeof EnvSchema>

export interface Config {
  port: number
  host: string
  logLevel: Env['LOG_LEVEL']
  limits: Limits
  runtime: RuntimeOptions
  grading: GradingSecrets
}

export interface GradingSecrets {
  /** GRADER_TOKEN: when set, grading and variants need `Authorization: Bearer <token>` */
  graderToken?: string
  /** VARIANT_SECRET: the HMAC key of the variants */
  variantSecret?: string
}

/** Variables whose values never appear in a message or a log line. */
const SECRET_VARIABLES = new Set(['GRADER_TOKEN', 'VARIANT_SECRET'])

/**
 * @throws {Error} naming every invalid variable and its rule
 */
export function loadConfig (environment: Record<string, string | undefined> = process.env): Config {
  const given: Record<string, string> = {}
  const parsed: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const text = environment[key]
    if (text === undefined || text === '') continue
    given[key] = text
    // Strict: "2.5", "1e3" or "0x10" for an integer stays a string and fails the check
    // (TypeBox's Value.Convert would truncate 2.5 to 2).
    parsed[key] = schema.type === 'integer' && /^[0-9]+$/.test(text) ? Number(text) : text
  }
  const env = Value.Default(EnvSchema, parsed)
  const errors = [...Value.Errors(EnvSchema, env)]
  if (errors.length > 0) {
    throw new Error(`invalid configuration: ${errors.map((e) => {
      const name = e.path.slice(1)
      const value = SECRET_VARIABLES.has(name) ? `(${given[name].length} characters, not shown)` : JSON.stringify(given[name])
      return `${name}=${value}: ${e.message}`
    }).join('; ')}`)
  }
  const valid = env as Env
  // Replicas with different random secrets would hand one student different variants.
  if (valid.GRADER_TOKEN !== undefined && valid.VARIANT_SECRET === undefined) {
    throw new Error('invalid configuration: GRADER_TOKEN is set but VARIANT_SECRET is not; set VARIANT_SECRET (at least 16 characters, the same on every replica) so variants survive restarts and agree between replicas')
  }
  const limits = Object.fromEntries(Object.entries(LIMIT_ENV).map(([key, name]) => [key, valid[name as keyof Env]])) as unknown as Limits
  const runtime = Object.fromEntries(Object.entries(RUNTIME_ENV).map(([key, name]) => {
    const value = valid[name as keyof Env]
    return [key, value === 'true' ? true : value === 'false' ? false : value]
  })) as unknown as RuntimeOptions
  return { port: valid.PORT, host: valid.HOST, logLevel: valid.LOG_LEVEL, limits, runtime, grading: { graderToken: valid.GRADER_TOKEN, variantSecret: valid.VARIANT_SECRET } }
}
