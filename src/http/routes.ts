/**
 * REST routes generated from the operations table: POST <path>, body and every response
 * status declared by schema, so validation, serialization and openapi.yaml share one source.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import type { GraderAccess } from '../grading/access.js'
import type { Operation } from '../operations/operation.js'
import { decodeParameterVectors } from '../operations/parameter-vector.js'
import { disconnection } from '../runtime/disconnection.js'
import type { Answer, ComputationPool } from '../runtime/pool.js'
import type { AnswerType } from '../runtime/worker.js'
import { WorkerBody } from './body.js'
import { vary } from './negotiation.js'
import { preferredRendering } from './pictures.js'
import { render, RENDERING_DESCRIPTIONS, RENDERING_TYPES, renderingsOf } from '../renderings.js'
import { AJV_OPTIONS } from '../validation.js'
import { CLOSED_COMPUTATIONS } from './openapi.js'

export const ERROR_RESPONSES = {
  400: { $ref: 'ErrorResponse#', description: 'the body does not match the schema (the message names the field path), or a notation does not parse (position and token)' },
  413: { $ref: 'ErrorResponse#', description: 'the body, or the result it would produce, is over a documented limit (the message names it and the way around it)' },
  415: { $ref: 'ErrorResponse#', description: 'a Content-Encoding other than identity, or a charset other than UTF-8: send plain UTF-8 JSON' },
  422: { $ref: 'ErrorResponse#', description: 'well-formed but impossible (the message states the rule and the numbers)' },
  429: { $ref: 'ErrorResponse#', description: 'over the rate limit, when the server sets RATE_LIMIT_MAX: retry after Retry-After seconds' },
  500: { $ref: 'ErrorResponse#', description: 'an internal error; no details are returned' },
  503: { $ref: 'ErrorResponse#', description: 'overloaded (every worker busy and the queue full, or the server under pressure) or over the time budget: retry after Retry-After seconds' }
} as const

/**
 * The body validator of an operation's route: Fastify's checks with the same Ajv options and
 * messages, except that a body left for a worker (src/http/body.ts) passes through, to be
 * validated there with the same schema.
 */
function bodyValidator (): FastifySchemaCompiler<unknown> {
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  return ({ schema }) => {
    const validate = ajv.compile(schema as object)
    const check = (data: unknown): boolean => {
      if (data instanceof WorkerBody) return true
      const valid = validate(data)
      check.errors = validate.errors
      return valid
    }
    check.errors = validate.errors
    return check
  }
}

const MEDIA_TYPES: Record<AnswerType, string> = { json: 'application/json', ...RENDERING_TYPES, csv: 'text/csv', html: 'text/html' }

/** The 200 response: JSON, or one of the operation's renderings, as Accept asks (src/renderings.ts). */
function answerResponse (operation: Operation): object {
  const renderings = renderingsOf(operation)
  const said = renderings.map((rendering) => `with Accept: ${RENDERING_TYPES[rendering]}, ${RENDERING_DESCRIPTIONS[rendering]}`)
  return {
    description: `the answer; ${said.join('; ')}`,
    content: {
      'application/json': { schema: operation.response },
      ...Object.fromEntries(renderings.map((rendering) => [RENDERING_TYPES[rendering], { schema: { type: 'string', description: rendering === 'svg' ? 'an SVG document' : 'a LaTeX math fragment' } }]))
    }
  }
}

/** Sends a worker's bytes as they are (a Buffer skips Fastify's serializer), or returns the value to serialise. */
export async function sendAnswer (reply: FastifyReply, answer: Answer): Promise<unknown> {
  if (!('bytes' in answer)) return answer.value
  return await reply.type(`${MEDIA_TYPES[answer.type]}; charset=utf-8`).send(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength))
}

/**
 * @param access - with COMPUTATIONS=token, each route needs the grader token, checked before
 *   the body is read
 */
export function registerOperationRoutes (app: FastifyInstance, operations: readonly Operation[], pool: ComputationPool, access: GraderAccess): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const validatorCompiler = bodyValidator()
  const onRequest = access.computationsClosed ? [async (request: FastifyRequest) => access.check(request.headers.authorization, 'computations')] : []
  for (const operation of operations) {
    typed.post(operation.path, {
      onRequest,
      validatorCompiler,
      bodyLimit: pool.limits[operation.bodyLimit ?? 'bodyLimit'],
      // JSON.stringify, not fast-json-stringify: the per-row unions (a vector, or one per row)
      // make fast-json-stringify validate every anyOf branch against the data, which costs
      // 15 ms on a 10k-entry softmax (bench/http.ts). The operations already send null for
      // non-finite numbers, and test/http/contract.test.ts checks responses against the schema.
      serializerCompiler: () => JSON.stringify,
      schema: {
        operationId: operation.name,
        summary: operation.summary,
        description: operation.description,
        tags: ['computations'],
        body: operation.body,
        response: {
          200: answerResponse(operation),
          ...ERROR_RESPONSES,
          401: CLOSED_COMPUTATIONS
        }
      }
    }, (request, reply) => {
      const offered = renderingsOf(operation)
      // The answer's type depends on Accept (every answer has a LaTeX form): caches must key on
      // it (RFC 9110 §12.5.5).
      vary(reply, 'Accept')
      const rendering = preferredRendering(request.headers.accept, offered)
      // Parameter vectors sent in binary are numbers from here on (parameter-vector.ts).
      const body: unknown = request.body instanceof WorkerBody ? request.body : decodeParameterVectors(operation, request.body)
      // Most requests are small: answered here without a promise (Fastify sends a value a
      // handler returns); a rendering of an inline answer is drawn here too.
      const inline = body instanceof WorkerBody ? undefined : pool.inline(operation, body)
      if (inline !== undefined) {
        if (rendering === undefined) return inline.value
        void reply.type(`${RENDERING_TYPES[rendering]}; charset=utf-8`).send(render(operation, rendering, inline.value, body, pool.limits))
        return
      }
      const options = { disconnection: () => disconnection(reply.raw), rendering }
      // A worker's answer, drawn by the worker when a rendering was asked for.
      return (body instanceof WorkerBody ? pool.executeBody(operation, body.bytes, options) : pool.execute(operation, body, options)).then(async (answer) => await sendAnswer(reply, answer))
    })
  }
}
