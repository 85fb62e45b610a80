/**
 * REST routes generated from the operations table: POST <path>, body and every response
 * status declared by schema, so validation, serialization and openapi.yaml share one source.
 */
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Limits } from '../operations/limits.js'
import type { Operation } from '../operations/operation.js'

export const ERROR_RESPONSES = {
  400: { $ref: 'ErrorResponse#', description: 'the body does not match the schema (the message names the field path), or a notation does not parse (position and token)' },
  413: { $ref: 'ErrorResponse#', description: 'the body, or the result it would produce, is over a documented limit (the message names it and the way around it)' },
  422: { $ref: 'ErrorResponse#', description: 'well-formed but impossible (the message states the rule and the numbers)' },
  500: { $ref: 'ErrorResponse#', description: 'an internal error; no details are returned' }
} as const

export function registerOperationRoutes (app: FastifyInstance, operations: readonly Operation[], limits: Limits): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  for (const operation of operations) {
    typed.post(operation.path, {
      bodyLimit: limits[operation.bodyLimit ?? 'bodyLimit'],
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
        response: { 200: operation.response, ...ERROR_RESPONSES }
      }
    }, async (request) => operation.run(request.body, limits))
  }
}
