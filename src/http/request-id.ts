/**
 * The request id every log line of a request carries (pino's `reqId`) and every answer sends
 * back as `X-Request-Id`: the one a client or a proxy in front sent (nginx's `$request_id`, an
 * ingress controller's), so one id follows a request through every hop, or a fresh UUID.
 * Fastify's own `requestIdHeader` takes the header as it comes; a header is text a client
 * chooses, so here it is taken only when it is short and plain (it lands in log lines and
 * in an answer's header), and replaced otherwise.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

/** The longest id taken: a UUID is 36 characters, nginx's $request_id 32. */
export const REQUEST_ID_MAX_LENGTH = 128

/** Letters, digits and `. _ : - + / = @`: what ids are made of (UUIDs, hex, base64, ULIDs), nothing a log reader or a header parser could misread. */
const PLAIN_ID = new RegExp(`^[A-Za-z0-9._:+/=@-]{1,${REQUEST_ID_MAX_LENGTH}}$`)

/** Fastify's genReqId: the id sent in X-Request-Id when it is plain, else a new UUID. */
export function requestId (request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER]
  return typeof sent === 'string' && PLAIN_ID.test(sent) ? sent : randomUUID()
}

/** Sends the request's id back with every answer Fastify writes, errors and 404s included. */
export function echoRequestId (app: FastifyInstance): void {
  // Callback style: no promise per request for one header.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    done()
  })
}
