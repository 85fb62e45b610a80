/**
 * Request bodies on the main thread, which only moves bytes:
 *
 * - `Content-Encoding` other than identity, or a charset other than UTF-8, is refused with 415
 *   before the body is read: the service decodes neither, and JSON exchanged between systems
 *   is UTF-8 (RFC 8259 §8.1). RFC 9110 §15.5.16 asks a 415 for a content coding to say in
 *   Accept-Encoding which codings would do.
 * - A JSON body up to WORKER_BODY_BYTES is parsed here (src/runtime/request-body.ts: the
 *   forbidden-key 400 names the key); a larger one, on a route that accepts it, is kept as
 *   its bytes (`WorkerBody`) and parsed by the worker that computes the answer.
 */
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ComputationError, LimitExceededError } from '../math/errors.js'
import { SchemaValidationError } from '../errors.js'
import { parseJsonBody } from '../runtime/request-body.js'

/** (415) A body in a coding or charset the service does not decode. */
export class UnsupportedMediaTypeError extends ComputationError {
  readonly statusCode = 415
  readonly code = 'DLCHECK_UNSUPPORTED_MEDIA_TYPE'
}

/** A request body left unparsed for a worker: its bytes, exactly as received. */
export class WorkerBody {
  constructor (readonly bytes: Buffer) {}
}

/**
 * The charset parameter of a Content-Type, lower-cased and unquoted (RFC 9110 §8.3.1), or
 * undefined. Given twice, the one that is not UTF-8 wins: either reading must be safe.
 */
export function charsetOf (contentType: string | undefined): string | undefined {
  // Most requests send `application/json` bare: no parameters to split.
  if (contentType === undefined || !contentType.includes(';')) return undefined
  let found: string | undefined
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=')
    if (name.trim().toLowerCase() !== 'charset') continue
    const charset = value.join('=').trim().replace(/^"(.*)"$/, '$1').toLowerCase()
    if (found === undefined || !UTF8.has(charset)) found = charset
  }
  return found
}
const UTF8 = new Set(['utf-8', 'utf8'])

/**
 * Whether a JSON text holds more than `max` values in lists and objects, counted from its
 * bytes without parsing: each ',' '[' '{' outside strings starts a value or a member, so
 * their count bounds how many there are. A byte scan costs a fraction of JSON.parse, whose
 * cost per value is what a body of many tiny lists or keys exploits.
 */
export function holdsMoreValues (bytes: Uint8Array, max: number): boolean {
  let count = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === 0x5c) i++ // a backslash escapes the next byte (\" or \\)
      else if (byte === 0x22) inString = false
    } else if (byte === 0x22) {
      inString = true
    } else if ((byte === 0x2c || byte === 0x5b || byte === 0x7b) && ++count > max) {
      return true
    }
  }
  return false
}

/** A route whose bodies are refused before parsing when they hold too many values. */
export interface ValueBound {
  max: number
  message: string
  /** 413 when the bound stands for a limit (a roster's ROSTER_MAX_STUDENTS); else 400 */
  tooLarge?: boolean
}

/**
 * @param workerRoutes - route URLs whose large bodies a worker parses (the operations'
 *   routes); any other route parses every body here, bounded by its body limit
 * @param valueBounds - route URL → the values its bodies may hold (/graphql: its
 *   variables' bound), checked before parsing
 */
export function registerBodyParsing (app: FastifyInstance, workerBodyBytes: number, workerRoutes: ReadonlySet<string>, valueBounds: ReadonlyMap<string, ValueBound> = new Map()): void {
  // Every parser (JSON, Mercurius's application/graphql, Fastify's text/plain) reads a body
  // only after this hook, so the 415s hold for all of them; the body of a refused request is
  // still read and dropped by Node, and its connection kept. Most requests carry neither a
  // coding nor a parameter in their Content-Type: two header reads and they pass.
  app.addHook('preParsing', (request, reply, payload, done) => {
    const coding = request.headers['content-encoding']
    const type = request.headers['content-type']
    if ((coding === undefined && (type === undefined || !type.includes(';'))) ||
      // Only a body is decoded: the headers of a request without one (GET /health) do not matter.
      (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined)) {
      done(null, payload)
      return
    }
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity' && coding.trim() !== '') {
      void reply.header('accept-encoding', 'identity')
      done(new UnsupportedMediaTypeError(`Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not accepted: send the body uncompressed (Accept-Encoding: identity)`))
      return
    }
    const charset = charsetOf(type)
    if (charset !== undefined && !UTF8.has(charset)) {
      done(new UnsupportedMediaTypeError(`charset ${JSON.stringify(charset.slice(0, 40))} is not accepted: send the body as UTF-8 (RFC 8259 §8.1), with charset=utf-8 or no charset`))
      return
    }
    done(null, payload)
  })
  // Fastify answers every body error with Connection: close, since the client may still be
  // sending; a body being dropped in full does not need that. onError runs only on errors.
  app.addHook('onError', (_request, reply, error, done) => {
    if ((error as { [DROPPED]?: boolean })[DROPPED] === true) reply.removeHeader('connection')
    done()
  })
  // Every route parses JSON (and /graphql Mercurius' application/graphql): a text/plain body
  // gets the 415 that says so (src/http/errors.ts) rather than a string the schema refuses.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: unknown) => void) => {
    // No route (a 404, a method or path no route has): the body is not looked at.
    // Fastify builds routeOptions anew at each read: read once.
    const route = request.routeOptions
    const url = route.url
    if (url === undefined) {
      done(null, undefined)
      return
    }
    const toWorker = workerRoutes.has(url)
    readBody(payload, request.headers['content-length'], route.bodyLimit!, toWorker ? workerBodyBytes : Infinity, (error, body) => {
      if (error !== null) {
        done(error)
        return
      }
      if (toWorker && body!.length > workerBodyBytes) {
        done(null, new WorkerBody(body!))
        return
      }
      const bound = valueBounds.get(url)
      if (bound !== undefined && holdsMoreValues(body!, bound.max)) {
        done(bound.tooLarge === true ? new LimitExceededError(bound.message) : new SchemaValidationError(bound.message))
        return
      }
      try {
        done(null, parseJsonBody(body!.toString('utf8')))
      } catch (error) {
        done(error as Error)
      }
    })
  })
}

/**
 * A body declared over its limit by at most this much is read and dropped while the 413 goes
 * out, and the connection stays open; a larger one is not worth reading, and the connection
 * is closed after the 413 (Fastify's way for every body error).
 */
export const MAX_DROPPED_BODY_BYTES = 64 * 2 ** 20
/** Marks a 413 whose body is read and dropped: its connection need not close. */
const DROPPED = Symbol('dlcheck.dropped')

/** Fastify's error for a body over its route's limit (the error handlers name the limit). */
function bodyTooLarge (dropped = false): Error {
  return Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, [DROPPED]: dropped })
}

/**
 * A request body's bytes, bounded by `limit`. With a Content-Length, each chunk is copied into
 * a buffer of that size as it arrives: a 12 MB body is copied 64 KB at a time between other
 * requests rather than in one Buffer.concat of many milliseconds at the end (Fastify's
 * parseAs: 'buffer'). A body larger than `ownedAbove` gets a buffer of its own, not a slice of
 * Node's pool, so a worker can take it without a copy.
 */
function readBody (payload: Readable, contentLength: string | undefined, limit: number, ownedAbove: number, callback: (error: Error | null, body?: Buffer) => void): void {
  const declared = contentLength === undefined ? undefined : Number(contentLength)
  if (declared !== undefined && declared > limit) {
    // A connection closed on a client still sending makes the client's kernel discard the
    // answer (a TCP reset, RFC 9293 §3.6: data arriving after a close is answered with RST),
    // and the client sees a reset instead of the limit's name. So a body not far over its
    // limit is read and dropped while the 413 goes out, and the connection is kept;
    // REQUEST_TIMEOUT_MS bounds the time that takes.
    const dropped = declared - limit <= MAX_DROPPED_BODY_BYTES
    if (dropped) payload.resume()
    callback(bodyTooLarge(dropped))
    return
  }
  const sized = declared !== undefined && Number.isSafeInteger(declared) && declared >= 0
  const body = sized ? (declared > ownedAbove ? Buffer.allocUnsafeSlow(declared) : Buffer.allocUnsafe(declared)) : undefined
  const chunks: Buffer[] = []
  let received = 0
  const finish = (error: Error | null): void => {
    payload.removeListener('data', onData)
    payload.removeListener('end', onEnd)
    payload.removeListener('error', finish)
    if (error !== null) callback(error)
    else callback(null, body ?? Buffer.concat(chunks, received))
  }
  const onData = (chunk: Buffer): void => {
    // Node's parser never delivers more than Content-Length; without one, the limit decides.
    if (received + chunk.length > limit) {
      finish(bodyTooLarge())
      return
    }
    if (body !== undefined) chunk.copy(body, received)
    else chunks.push(chunk)
    received += chunk.length
  }
  const onEnd = (): void => finish(null)
  payload.on('data', onData)
  payload.on('end', onEnd)
  payload.on('error', finish)
  payload.resume()
}
