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

export class GraderAccess {
  private readonly tokenDigest: Buffer | undefined

  /**
   * @param computationsClosed - COMPUTATIONS=token: the computations, the question bank and
   *   /graphql need the token too (config.ts requires a token with it)
   */
  constructor (token: string | undefined, readonly computationsClosed = false) {
    this.tokenDigest = token === undefined ? undefined : digest(token)
  }

  /** true when no GRADER_TOKEN is set: anyone may grade */
  get open (): boolean {
    return this.tokenDigest === undefined
  }

  /**
   * @param authorization - the request's Authorization header, if any
   * @param what - what the request asks for, for the message: grading, or a computation
   *   closed by COMPUTATIONS=token
   * @throws {UnauthorizedError} with the WWW-Authenticate challenge, when a token is required and not given
   */
  check (authorization: string | undefined, what: 'grading' | 'computations' = 'grading'): void {
    if (this.tokenDigest === undefined) return
    if (authorization === undefined || authorization === '') {
      throw new UnauthorizedError(what === 'grading'
        ? 'grading needs the grader token: send Authorization: Bearer <GRADER_TOKEN>'
        : 'this server\'s computations need the grader token (COMPUTATIONS=token, during an exam): send Authorization: Bearer <GRADER_TOKEN>', REALM)
    }
    // RFC 7235 §2.1: the scheme is case-insensitive; RFC 6750 §2.1: one space, then the token.
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization)
    if (match === null) {
      throw new UnauthorizedError('the Authorization header must be "Bearer <GRADER_TOKEN>"', `${REALM}, error="invalid_request"`)
    }
    if (!timingSafeEqual(digest(match[1]), this.tokenDigest)) {
      throw new UnauthorizedError('the bearer token is not the grader token', `${REALM}, error="invalid_token"`)
    }
  }
}
