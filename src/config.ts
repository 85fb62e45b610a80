/**
 * Configuration from the environment, validated by a schema (as fastify/demo does with
 * @fastify/env): a bad value stops the service at start with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { LIMIT_SETTINGS, type ServiceLimits } from './limits.js'
import { RuntimeSettings, type RuntimeOptions } from './runtime/options.js'
import { optionsOf } from './settings.js'

/** Where the server listens and what it logs. */
export const ServerSettings = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address to listen on (`0.0.0.0` in the container)' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), {
    default: 'info',
    description: 'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`. At `info`, one line per request when it is answered (request, status, time); `debug` adds one when it comes in'
  }),
  NODE_ENV: Type.Optional(Type.String({ description: '`production` (the image sets it): the service refuses to start with grading open, that is without `GRADER_TOKEN`, unless `GRADING=open`' })),
  GIT_COMMIT: Type.Optional(Type.String({ pattern: '^[0-9a-f]{7,64}$', description: 'the commit the service was built from, for `GET /version` (lower-case hex): the image takes it as a build argument (`--build-arg GIT_COMMIT=$(git rev-parse HEAD)`); unset: the checkout\'s HEAD when the service runs from one, else none' })),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'bearer token `GET /metrics` requires (Prometheus\' scrape `authorization`); unset: `/metrics` is open, so keep it off public routes (the compose front does; `deploy/kubernetes` sets this token, since its Ingress routes every path); set but empty: the service refuses to start; at least 16 characters' }))
})

/** Who may grade and compute; the secrets are never in a message or a log line. */
export const GradingSettings = Type.Object({
  GRADER_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'bearer token required by `/grade` and the variants; unset: grading is open (logged at start; refused under `NODE_ENV=production` unless `GRADING=open`); at least 16 characters' })),
  VARIANT_SECRET: Type.Optional(Type.String({ minLength: 16, description: 'HMAC key of the variants, the same on every replica; unset: a random per-process secret (logged); required with `GRADER_TOKEN`; at least 16 characters' })),
  GRADING: Type.Optional(Type.Literal('open', { description: '`open`: serve grading without a token on purpose, even under `NODE_ENV=production` (anyone may read every variant\'s expected answers); not with `GRADER_TOKEN`' })),
  COMPUTATIONS: Type.Union([Type.Literal('open'), Type.Literal('token')], { default: 'open', description: '`token`: the computation routes, `/questions` and `/graphql` need the grader token too (an exam: the service stops being an open solver); needs `GRADER_TOKEN`' }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+$', description: 'the address students reach the service at, scheme and host only (e.g. `https://dlcheck.example.edu`), for the personal links of `POST /variants`; unset: the request\'s own (its Host, or X-Forwarded-Host and -Proto with `TRUST_PROXY`)' }))
})

/** Every setting, in the order docs/limits.md lists them. */
export const SETTINGS = [ServerSettings, ...LIMIT_SETTINGS, RuntimeSettings, GradingSettings] as const

const LimitsSchema = Type.Composite([...LIMIT_SETTINGS])

export const EnvSchema = Type.Object({ ...ServerSettings.properties, ...LimitsSchema.properties, ...RuntimeSettings.properties, ...GradingSettings.properties })
export type Env = Static<typeof EnvSchema>

export interface Config {
  port: number
  host: string
  logLevel: Env['LOG_LEVEL']
  limits: ServiceLimits
  runtime: RuntimeOptions
  grading: GradingSecrets
  /** GIT_COMMIT */
  commit?: string
  /** METRICS_TOKEN */
  metricsToken?: string
}

export interface GradingSecrets {
  /** GRADER_TOKEN: when set, grading and variants need `Authorization: Bearer <token>` */
  graderToken?: string
  /** VARIANT_SECRET: the HMAC key of the variants */
  variantSecret?: string
  /** COMPUTATIONS: `token` closes the computations, the question bank and GraphQL behind the grader token */
  computations?: 'open' | 'token'
  /** PUBLIC_URL: the origin of the personal links */
  publicUrl?: string
}

/** Variables whose values never appear in a message or a log line. */
const SECRET_VARIABLES = new Set(['GRADER_TOKEN', 'VARIANT_SECRET', 'METRICS_TOKEN'])

/**
 * @throws {Error} naming every invalid variable and its rule
 */
export function loadConfig (environment: Record<string, string | undefined> = process.env): Config {
  // Empty means "the default" for every other variable; for this one the default is an open
  // /metrics, and an empty value is a secret someone meant to set and did not (an unfilled
  // secrets.env in deploy/kubernetes, whose Ingress routes /metrics): fail closed.
  if (environment.METRICS_TOKEN === '') {
    throw new Error('invalid configuration: METRICS_TOKEN is empty; set it (at least 16 characters, e.g. openssl rand -hex 32) or leave it out to serve /metrics without a token')
  }
  const given: Record<string, string> = {}
  const parsed: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const text = environment[key]
    if (text === undefined || text === '') continue
    given[key] = text
    // Strict: "2.5", "1e3" or "0x10" for an integer stays a string and fails the check
    // (TypeBox's Value.Convert would truncate 2.5 to 2); so does "yes" for a boolean.
    parsed[key] = schema.type === 'integer' && /^[0-9]+$/.test(text)
      ? Number(text)
      : schema.type === 'boolean' && (text === 'true' || text === 'false') ? text === 'true' : text
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
  // Fail closed: in production an unset token must not quietly publish every answer key.
  if (valid.NODE_ENV === 'production' && valid.GRADER_TOKEN === undefined && valid.GRADING !== 'open') {
    throw new Error('invalid configuration: NODE_ENV=production and GRADER_TOKEN is not set, so anyone could read the expected answers of every variant; set GRADER_TOKEN and VARIANT_SECRET (at least 16 characters each, e.g. openssl rand -hex 32), or GRADING=open to serve grading without a token on purpose')
  }
  if (valid.GRADING === 'open' && valid.GRADER_TOKEN !== undefined) {
    throw new Error('invalid configuration: GRADING=open and GRADER_TOKEN are both set; unset one (GRADING=open serves grading without a token)')
  }
  if (valid.COMPUTATIONS === 'token' && valid.GRADER_TOKEN === undefined) {
    throw new Error('invalid configuration: COMPUTATIONS=token needs GRADER_TOKEN, the token the computations will require')
  }
  // Replicas with different random secrets would hand one student different variants.
  if (valid.GRADER_TOKEN !== undefined && valid.VARIANT_SECRET === undefined) {
    throw new Error('invalid configuration: GRADER_TOKEN is set but VARIANT_SECRET is not; set VARIANT_SECRET (at least 16 characters, the same on every replica) so variants survive restarts and agree between replicas')
  }
  const limits: ServiceLimits = optionsOf(LimitsSchema, valid)
  const runtime: RuntimeOptions = optionsOf(RuntimeSettings, valid)
  return { port: valid.PORT, host: valid.HOST, logLevel: valid.LOG_LEVEL, limits, runtime, grading: { graderToken: valid.GRADER_TOKEN, variantSecret: valid.VARIANT_SECRET, computations: valid.COMPUTATIONS, publicUrl: valid.PUBLIC_URL }, commit: valid.GIT_COMMIT, metricsToken: valid.METRICS_TOKEN }
}
