/**
 * The errors a computation can raise. They carry the HTTP status they map to, so that the
 * pure math stays free of Fastify while both doors (REST, GraphQL) answer them the same way.
 *
 * - `NotationSyntaxError` (400): a string in the request (architecture notation, formula)
 *   does not parse; the message gives the 1-based position and the token not understood.
 * - `InvalidRequestError` (400): a rule between fields that a JSON schema does not express
 *   (e.g. "exactly one of").
 * - `ImpossibleInputError` (422): well-formed but impossible, e.g. a kernel larger than the
 *   padded input; the message states the rule and the numbers.
 * - `LimitExceededError` (413): the input, or the result it would produce, is over a
 *   documented, configurable limit; the message names the limit and the way around it.
 */
export abstract class ComputationError extends Error {
  abstract readonly statusCode: number
  abstract readonly code: string
  constructor (message: string) {
    super(message)
    this.name = new.target.name
  }
}

export class NotationSyntaxError extends ComputationError {
  readonly statusCode = 400
  readonly code = 'DLCHECK_SYNTAX'
  constructor (readonly field: string, readonly position: number, readonly token: string, detail: string) {
    super(`${field}: syntax error at position ${position} near '${token}': ${detail}`)
  }
}

export class InvalidRequestError extends ComputationError {
  readonly statusCode = 400
  readonly code = 'DLCHECK_INVALID_REQUEST'
}

export class ImpossibleInputError extends ComputationError {
  readonly statusCode = 422
  readonly code = 'DLCHECK_IMPOSSIBLE'
}

/**
 * @throws {ImpossibleInputError} naming the first entry of `values` that is not finite, as
 *   `field[i] must be finite, got v`
 */
export function requireFiniteEntries (values: readonly number[], field: string): void {
  const bad = values.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) throw new ImpossibleInputError(`${field}[${bad}] must be finite, got ${values[bad]}`)
}

export class LimitExceededError extends ComputationError {
  readonly statusCode = 413
  readonly code = 'DLCHECK_LIMIT'
}

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
