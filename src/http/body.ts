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
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ComputationError } from '../math/errors.js'
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

/** The charset parameter of a Content-Type, lower-cased and unquoted (RFC 9110 §8.3.1), or undefined. */
export function charsetOf (contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=')
    if (name.trim().toLowerCase() === 'charset') return value.join('=').trim().replace(/^"(.*)"$/, '$1').toLowerCase()
  }
  return undefined
}

/**
 * @param workerRoutes - route URLs whose large bodies a worker parses (the operations'
 *   routes); any other route parses every body here, bounded by its body limit
 */
export function registerBodyParsing (app: FastifyInstance, workerBodyBytes: number, workerRoutes: ReadonlySet<string>): void {
  app.addHook('preParsing', (request, reply, payload, done) => {
    const coding = request.headers['content-encoding']
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity' && coding.trim() !== '') {
      void reply.header('accept-encoding', 'identity')
      done(new UnsupportedMediaTypeError(`Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not accepted: send the body uncompressed (Accept-Encoding: identity)`))
      return
    }
    const charset = charsetOf(request.headers['content-type'])
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new UnsupportedMediaTypeError(`charset ${JSON.stringify(charset.slice(0, 40))} is not accepted: send the body as UTF-8 (RFC 8259 §8.1), with charset=utf-8 or no charset`))
      return
    }
    done(null, payload)
  })
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (body.length > workerBodyBytes && workerRoutes.has(request.routeOptions.url!)) {
      done(null, new WorkerBody(body))
      return
    }
    try {
      done(null, parseJsonBody(body.toString('utf8')))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
}
