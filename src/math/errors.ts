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
