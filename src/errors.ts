/**
 * The service's errors, beside the computations' (src/math/errors.ts, whose ComputationError
 * they extend so both doors answer them alike): what grading, the worker pool and the
 * transports raise about a request rather than about its numbers.
 */
import { ComputationError } from './math/errors.js'

/** (404) A name in the request (a question id) that the service does not know. */
export class NotFoundError extends ComputationError {
  readonly statusCode = 404
  readonly code = 'DLCHECK_NOT_FOUND'
}

/** (400) A nested part of the body (a question's params) fails its schema. */
export class SchemaValidationError extends ComputationError {
  readonly statusCode = 400
  readonly code = 'FST_ERR_VALIDATION'
}

/**
 * (401) A grading route without the grader's bearer token. `challenge` is the
 * WWW-Authenticate value RFC 6750 §3 asks for; it never repeats the token received.
 */
export class UnauthorizedError extends ComputationError {
  readonly statusCode = 401
  readonly code = 'DLCHECK_UNAUTHORIZED'
  constructor (message: string, readonly challenge: string) {
    super(message)
  }
}

/** The same error with a prefix saying where it happened (e.g. which graded item). */
export class LocatedError extends ComputationError {
  readonly statusCode: number
  readonly code: string
  constructor (where: string, cause: ComputationError) {
    super(`${where}: ${cause.message}`)
    this.statusCode = cause.statusCode
    this.code = cause.code
  }
}

/**
 * (503) The service is overloaded or a computation ran over its time budget: nothing is
 * wrong with the request, so the client should retry after `retryAfterSeconds`.
 */
export class ServiceUnavailableError extends ComputationError {
  readonly statusCode = 503
  constructor (message: string, readonly code: string, readonly retryAfterSeconds: number) {
    super(message)
  }
}

/** An error raised in a worker thread, carried back by its status, code and message (structured clone drops classes). */
export class RemoteComputationError extends ComputationError {
  constructor (readonly statusCode: number, readonly code: string, message: string) {
    super(message)
  }
}

/**
 * The 415 for a body in a media type no parser takes (Fastify's FST_ERR_CTP_INVALID_MEDIA_TYPE,
 * which says only "Unsupported Media Type"): what to send, and what the request sent. REST and
 * GraphQL both use it.
 */
export function mediaTypeMessage (contentType: string | undefined, url: string | undefined): string {
  const sent = contentType === undefined ? 'this request has no Content-Type' : `this request's Content-Type is ${JSON.stringify(contentType.slice(0, 60))}`
  const graphql = url === '/graphql' ? ' (or application/graphql for a bare query)' : ''
  return `send the body as JSON with Content-Type: application/json${graphql}; ${sent}`
}
