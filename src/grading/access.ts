/**
 * Who may grade and read variants: with GRADER_TOKEN set, requests need
 * `Authorization: Bearer <token>` (RFC 6750); without it, grading is open.
 *
 * One check for both doors: REST's grading routes call it from a hook, GraphQL's `grade` and
 * `variant` from their resolvers (they share /graphql with open computations, so a
 * route-level plugin such as @fastify/bearer-auth could not tell them apart).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { UnauthorizedError } from '../errors.js'

const REALM = 'Bearer realm="dlcheck"'

/** SHA-256 first, so the comparison takes the same time whatever the lengths (timingSafeEqual needs equal lengths). */
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/**
 * A bearer token a route requires (RFC 6750), compared in constant time. `name` says which, in
 * the messages: the grader token here, the metrics token for /metrics (src/http/metrics.ts).
 */
export class BearerToken {
  private readonly tokenDigest: Buffer

  /**
   * @param name - the token as messages name it ("grader token")
   * @param variable - the setting that holds it ("GRADER_TOKEN")
   */
  constructor (token: string, readonly name: string, readonly variable: string) {
    this.tokenDigest = digest(token)
  }

  /**
   * @param missing - the message when no Authorization header is sent
   * @throws {UnauthorizedError} with the WWW-Authenticate challenge, unless the header carries the token
   */
  check (authorization: string | undefined, missing: string): void {
    if (authorization === undefined || authorization === '') throw new UnauthorizedError(missing, REALM)
    // RFC 7235 §2.1: the scheme is case-insensitive; RFC 6750 §2.1: one space, then the token.
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization)
    if (match === null) {
      throw new UnauthorizedError(`the Authorization header must be "Bearer <${this.variable}>"`, `${REALM}, error="invalid_request"`)
    }
    if (!timingSafeEqual(digest(match[1]), this.tokenDigest)) {
      throw new UnauthorizedError(`the bearer token is not the ${this.name}`, `${REALM}, error="invalid_token"`)
    }
  }
}

export class GraderAccess {
  private readonly token: BearerToken | undefined

  /**
   * @param computationsClosed - COMPUTATIONS=token: the computations, the question bank and
   *   /graphql need the token too (config.ts requires a token with it)
   */
  constructor (token: string | undefined, readonly computationsClosed = false) {
    this.token = token === undefined ? undefined : new BearerToken(token, 'grader token', 'GRADER_TOKEN')
  }

  /** true when no GRADER_TOKEN is set: anyone may grade */
  get open (): boolean {
    return this.token === undefined
  }

  /**
   * @param authorization - the request's Authorization header, if any
   * @param what - what the request asks for, for the message: grading, or a computation
   *   closed by COMPUTATIONS=token
   * @throws {UnauthorizedError} with the WWW-Authenticate challenge, when a token is required and not given
   */
  check (authorization: string | undefined, what: 'grading' | 'computations' = 'grading'): void {
    this.token?.check(authorization, what === 'grading'
      ? 'grading needs the grader token: send Authorization: Bearer <GRADER_TOKEN>'
      : 'this server\'s computations need the grader token (COMPUTATIONS=token, during an exam): send Authorization: Bearer <GRADER_TOKEN>')
  }
}
