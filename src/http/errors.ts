/**
 * One error handler for every route (fastify/demo's habit): Fastify's error shape
 * {statusCode, code, error, message}; 4xx messages say what is wrong, 5xx never carry
 * internal details (they are logged instead).
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ComputationError } from '../math/errors.js'
import { mediaTypeMessage, ServiceUnavailableError, UnauthorizedError } from '../errors.js'
import { LIMIT_ENV, type Limits } from '../operations/limits.js'
import { ClientClosedError } from '../runtime/pool.js'
import { REQUEST_ID_HEADER } from './request-id.js'

export interface ErrorBody { statusCode: number, code: string, error: string, message: string }

export function errorBody (statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/** The 413 message for a body over `key`'s limit, shared by REST and GraphQL. */
export function bodyLimitMessage (limits: Limits, key: keyof Limits): string {
  return `the request body is over the limit of ${limits[key]} bytes (${LIMIT_ENV[key]}); send a smaller input, or raise ${LIMIT_ENV[key]} on the server`
}

/**
 * Fastify's `frameworkErrors`: the router's own refusals, which never reach setErrorHandler,
 * answered in our error shape. The URL is not echoed: it is what is too long or malformed.
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Only these two reach here: the app declares no asynchronous route constraints.
  const [statusCode, message] = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? [414, 'a path parameter is over 100 characters (Fastify\'s maxParamLength); no route takes one that long']
    : [400, 'the URL does not decode: a path segment has a malformed %-escape']
  // Sent before any hook runs: the request id is set here as echoRequestId sets it elsewhere.
  return reply.code(statusCode).header(REQUEST_ID_HEADER, request.id).send(errorBody(statusCode, error.code, message))
}

/**
 * The methods each path takes, for the 405 of a known path asked with another method (RFC 9110
 * §15.5.6: a 405 lists them in Allow). Collected from every route as it is added: static paths
 * in a map, the few with parameters or a wildcard as patterns, tried in turn on a miss only.
 */
export class RouteMethods {
  private readonly fixed = new Map<string, Set<string>>()
  private readonly patterns: Array<{ pattern: RegExp, methods: Set<string> }> = []

  add (url: string, methods: string | string[]): void {
    let set: Set<string>
    if (/[:*]/.test(url)) {
      // find-my-way's syntax: `:name` is one segment, `*` the rest of the path.
      const source = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('')
      const pattern = new RegExp(`^${source}$`)
      const known = this.patterns.find((entry) => entry.pattern.source === pattern.source)
      set = known?.methods ?? new Set()
      if (known === undefined) this.patterns.push({ pattern, methods: set })
    } else {
      set = this.fixed.get(url) ?? new Set()
      this.fixed.set(url, set)
    }
    for (const method of [methods].flat()) set.add(method)
  }

  /** The methods `path` (no query string) takes, sorted; none for an unknown path. */
  of (path: string): string[] {
    const methods = new Set(this.fixed.get(path))
    for (const { pattern, methods: more } of this.patterns) if (pattern.test(path)) for (const method of more) methods.add(method)
    return [...methods].sort()
  }
}

/**
 * @param bodyLimits - route URL → the limit bounding its body, for routes not on the default
 */
export function installErrorHandlers (app: FastifyInstance, limits: Limits, bodyLimits: ReadonlyMap<string, keyof Limits>): void {
  const routes = new RouteMethods()
  app.addHook('onRoute', (route) => { routes.add(route.url, route.method) })
  app.setErrorHandler((error: FastifyError | ComputationError, request, reply) => {
    if (error instanceof ComputationError) {
      if (error instanceof UnauthorizedError) reply.header('www-authenticate', error.challenge)
      if (error instanceof ServiceUnavailableError) reply.header('retry-after', String(error.retryAfterSeconds))
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.code, error.message))
    }
    if (error instanceof ClientClosedError) {
      // Nobody is listening; say in the log that the work was cut short, and why.
      request.log.info('the client closed the connection; its computation was cancelled')
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.code, error.message))
    }
    const statusCode = error.statusCode ?? 500
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(statusCode).send(errorBody(statusCode, 'DLCHECK_INTERNAL', 'the server could not compute this answer; the error has been logged'))
    }
    let message = error.message
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const key = bodyLimits.get(request.routeOptions.url!) ?? 'bodyLimit'
      message = bodyLimitMessage(limits, key)
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      message = mediaTypeMessage(request.headers['content-type'], request.routeOptions.url)
    }
    return reply.code(statusCode).send(errorBody(statusCode, error.code ?? 'DLCHECK_CLIENT_ERROR', message))
  })
  app.setNotFoundHandler((request, reply) => {
    const query = request.url.indexOf('?')
    const path = query < 0 ? request.url : request.url.slice(0, query)
    const allowed = routes.of(path)
    // A route that takes this method and still calls notFound (an unknown asset name) is a 404.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const allow = allowed.join(', ')
      return reply.code(405).header('allow', allow).send(errorBody(405, 'DLCHECK_METHOD_NOT_ALLOWED', `${request.method} ${path}: this path takes ${allow} only (Allow); see /openapi.yaml`))
    }
    return reply.code(404).send(errorBody(404, 'DLCHECK_NOT_FOUND', `no route ${request.method} ${request.url}; see /openapi.yaml`))
  })
}
