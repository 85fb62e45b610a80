/**
 * buildApp(options): a configured Fastify instance that does not listen (fastify/demo's
 * split between app.ts and server.ts), so tests drive it with app.inject.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import { Type } from '@sinclair/typebox'
import { installErrorHandlers } from './http/errors.js'
import { registerOperationRoutes } from './http/routes.js'
import { operations } from './operations/index.js'
import { DEFAULT_LIMITS, type Limits } from './operations/limits.js'
import { ErrorResponse } from './operations/schemas.js'
import { openapiDocument, addOperationExamples } from './http/openapi.js'
import { schemaErrorFormatter } from './http/validation.js'

export interface AppOptions {
  limits?: Partial<Limits>
  logger?: FastifyServerOptions['logger']
}

export async function buildApp (options: AppOptions = {}): Promise<FastifyInstance> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyLimit,
    schemaErrorFormatter,
    ajv: {
      customOptions: {
        // Fastify's defaults coerce "Infinity" and "0x10" into numbers and drop unknown
        // fields silently; the contract (API.md) wants both rejected with 400.
        coerceTypes: false,
        removeAdditional: false,
        // Defaults are applied by each operation's run (so GraphQL gets the same ones); the
        // schema's `default` documents them. Inserting them here would also make "bias" look
        // given when it was not.
        useDefaults: false,
        // Ajv rejects NaN and ±Infinity (JSON.parse turns 1e999 into Infinity).
        strictNumbers: true,
        // Errors carry the data and parent schema, so messages can quote both.
        verbose: true,
        // `model` is a oneOf discriminated by `kind` (src/operations/models.ts).
        discriminator: true
      }
    }
  })
  app.addSchema(ErrorResponse)
  await app.register(swagger, { openapi: openapiDocument, refResolver: { buildLocalReference: (json) => String(json.$id) }, transform: addOperationExamples(operations) })
  installErrorHandlers(app, limits, new Map(operations.filter((op) => op.bodyLimit).map((op) => [op.path, op.bodyLimit!])))
  app.get('/health', {
    schema: {
      summary: 'Liveness',
      description: 'Answers as long as the process serves requests; no computation runs here.',
      tags: ['operations'],
      response: { 200: Type.Object({ status: Type.Literal('ok'), uptime: Type.Number({ description: 'seconds since start' }) }) }
    }
  }, async () => ({ status: 'ok' as const, uptime: process.uptime() }))
  registerOperationRoutes(app, operations, limits)
  return app
}
