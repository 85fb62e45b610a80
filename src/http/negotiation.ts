/**
 * Content negotiation (RFC 9110 §12). The language of statements and feedback: Accept-Language
 * negotiated over the service's languages (§12.5.4; `fr-CA` asks for French), English when
 * none is acceptable. A reply says which it chose (Content-Language) and what it depends on
 * (Vary), so a cache keeps the French and English apart.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import Negotiator from 'negotiator'
import { languageFor, type Language } from '../grading/language.js'

/** The language Accept-Language asks for (languageFor), announced on the reply. */
export function negotiateLanguage (request: FastifyRequest, reply: FastifyReply): Language {
  const language = languageFor(request.headers['accept-language'])
  reply.header('content-language', language)
  vary(reply, 'Accept-Language')
  return language
}

/** Adds a request header to the reply's Vary (RFC 9110 §12.5.5), keeping those already named. */
export function vary (reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary')
  reply.header('vary', current === undefined ? field : `${String(current)}, ${field}`)
}

/** The media type of `offered` the request's Accept prefers (RFC 9110 §12.5.1); the first when it names none of them. */
export function preferredType<T extends string> (request: FastifyRequest, offered: readonly T[]): T {
  const chosen = new Negotiator({ headers: { accept: request.headers.accept } }).mediaType([...offered])
  return (chosen ?? offered[0]) as T
}

/** A strong entity tag (RFC 9110 §8.8.3) for content named by `parts`: 27 base64url digits of their SHA-256. */
export function entityTag (...parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return `"${hash.digest('base64url').slice(0, 27)}"`
}

/** Sends `tag` as the reply's ETag; true when If-None-Match names it (RFC 9110 §13.1.2), so a 304 will do. */
export function notModified (request: FastifyRequest, reply: FastifyReply, tag: string): boolean {
  reply.header('etag', tag)
  return request.headers['if-none-match']?.split(/\s*,\s*/).includes(tag) === true
}
