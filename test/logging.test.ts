/**
 * The request log: one line per request at info, written when it is answered (with the
 * request in it), one more at debug when it comes in, and an error line when the answer
 * could not be written. test/server.test.ts reads the lines of a started server.
 */
import t from 'tap'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { OneLinePerRequest } from '../src/app.js'

t.test('a request whose answer failed is logged at error, with the request and the error', async (t) => {
  const lines: Array<{ level: string, fields: Record<string, unknown>, msg: string }> = []
  const log = Object.fromEntries(['debug', 'info', 'error'].map((level) => [level, (fields: Record<string, unknown>, msg: string) => { lines.push({ level, fields, msg }) }]))
  const request = { log } as unknown as FastifyRequest
  const reply = { log, elapsedTime: 1.5 } as unknown as FastifyReply
  const controller = new OneLinePerRequest()
  controller.incomingRequest(request)
  const error = new Error('socket hang up')
  controller.requestCompleted(error, request, reply)
  controller.requestCompleted(null, request, reply)
  t.strictSame(lines, [
    { level: 'debug', fields: { req: request }, msg: 'incoming request' },
    { level: 'error', fields: { req: request, res: reply, err: error, responseTime: 1.5 }, msg: 'request errored' },
    { level: 'info', fields: { req: request, res: reply, responseTime: 1.5 }, msg: 'request completed' }
  ])
})
