/**
 * The OpenAPI document's fixed parts, and the transform that puts each operation's request
 * examples into it (@fastify/swagger moves `x-examples` to the media type's `examples`).
 */
import type { SwaggerTransform } from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import type { Operation } from '../operations/operation.js'

export const openapiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'dlcheck',
    version: '1.0.0',
    description: 'Exact answers to the computational questions of a graduate deep-learning assignment ' +
      '(IFT6135 A2022, assignment 2): stable softmax, convolutions as matrices, receptive fields, parameter counts. ' +
      'Numbers are IEEE-754 doubles; non-finite inputs are rejected with 400, non-finite results are sent as null with warnings. ' +
      'Errors have the shape {statusCode, code, error, message}.',
    license: { name: 'MIT', identifier: 'MIT' }
  },
  // Relative: Swagger UI's "Try it out" and generated clients call the server that serves the document.
  servers: [{ url: '/', description: 'this server (npm start listens on http://127.0.0.1:3000)' }],
  // No authentication on these routes (stated, so clients and linters need not guess).
  security: [],
  tags: [
    { name: 'computations', description: 'POST a JSON body, get JSON back; no state between calls' },
    { name: 'operations', description: 'liveness and documentation' }
  ]
}

export function addOperationExamples (operations: readonly Operation[]): SwaggerTransform<FastifySchema> {
  const byPath = new Map(operations.map((operation) => [operation.path, operation]))
  return ({ schema, url }) => {
    const operation = byPath.get(url)
    if (operation === undefined || schema.body === undefined) return { schema, url }
    const examples = Object.fromEntries(operation.examples.map((example, i) => [`example${i + 1}`, example]))
    return { schema: { ...schema, body: { ...(schema.body as object), 'x-examples': examples } }, url }
  }
}
