/**
 * The OpenAPI document's fixed parts, and the transform that puts each operation's request
 * examples into it (@fastify/swagger moves `x-examples` to the media type's `examples`).
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger'
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
  // No authentication on the computations (stated, so clients and linters need not guess);
  // the grading routes that need the grader token say so themselves.
  security: [],
  components: {
    securitySchemes: {
      graderToken: { type: 'http' as const, scheme: 'bearer', description: 'GRADER_TOKEN, when the server sets it: `Authorization: Bearer <token>`' }
    }
  },
  tags: [
    { name: 'computations', description: 'POST a JSON body, get JSON back; no state between calls' },
    { name: 'grading', description: 'the question bank, per-student variants, and grading with PrairieLearn\'s rules' },
    { name: 'operations', description: 'liveness and documentation' }
  ]
}

/** @param routes - POST routes and their request examples: the operations, and /grade */
export function addOperationExamples (routes: ReadonlyArray<Pick<Operation, 'path' | 'examples'>>): SwaggerTransform<FastifySchema> {
  const byPath = new Map(routes.map((route) => [route.path, route]))
  return ({ schema, url }) => {
    const operation = byPath.get(url)
    if (operation === undefined || schema.body === undefined) return { schema, url }
    const examples = Object.fromEntries(operation.examples.map((example, i) => [`example${i + 1}`, example]))
    return { schema: { ...schema, body: { ...(schema.body as object), 'x-examples': examples } }, url }
  }
}

/** One example per error status, with messages as the service writes them. */
export const ERROR_EXAMPLES: Record<string, { statusCode: number, code: string, error: string, message: string }> = {
  400: { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/x/0 must be a finite number, got the string "Infinity" (body/x: logits: a vector, or a matrix whose rows are independent vectors)' },
  401: { statusCode: 401, code: 'DLCHECK_UNAUTHORIZED', error: 'Unauthorized', message: 'grading needs the grader token: send Authorization: Bearer <GRADER_TOKEN>' },
  404: { statusCode: 404, code: 'DLCHECK_NOT_FOUND', error: 'Not Found', message: "body/items/0/question: no question '3.7-hvp'; the ids are 1.1-swish, 1.2-relu-decomposition, … (GET /questions)" },
  413: { statusCode: 413, code: 'DLCHECK_LIMIT', error: 'Payload Too Large', message: 'the dense matrix would have 3844·4096 = 15745024 entries, over the limit of 1000000 (CONV_MAX_DENSE_ENTRIES); ask for format: "sparse" (34596 non-zeros)' },
  422: { statusCode: 422, code: 'DLCHECK_IMPOSSIBLE', error: 'Unprocessable Entity', message: 'w has 1 entries; the model has 284682 parameters' },
  429: { statusCode: 429, code: 'DLCHECK_RATE_LIMIT', error: 'Too Many Requests', message: 'over 600 requests per 1 minute from this client (RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS); retry in 1 minute' },
  503: { statusCode: 503, code: 'DLCHECK_OVERLOADED', error: 'Service Unavailable', message: 'every worker is busy and 64 computations are waiting (QUEUE_LIMIT); retry shortly' },
  500: { statusCode: 500, code: 'DLCHECK_INTERNAL', error: 'Internal Server Error', message: 'the server could not compute this answer; the error has been logged' }
}

/** The 401 of a route that COMPUTATIONS=token closes, and its example. */
export const CLOSED_COMPUTATIONS = { $ref: 'ErrorResponse#', description: 'only when the server sets COMPUTATIONS=token (during an exam): the request has no `Authorization: Bearer <token>` with the grader token' } as const
const CLOSED_COMPUTATIONS_EXAMPLE = { ...ERROR_EXAMPLES[401], message: 'this server\'s computations need the grader token (COMPUTATIONS=token, during an exam): send Authorization: Bearer <GRADER_TOKEN>' }

/** GET /metrics without the metrics token, when METRICS_TOKEN is set: the message and the 401. */
export const METRICS_TOKEN_MISSING = 'the metrics need the metrics token (METRICS_TOKEN): send Authorization: Bearer <METRICS_TOKEN>'
export const METRICS_UNAUTHORIZED = { $ref: 'ErrorResponse#', description: 'METRICS_TOKEN is set and the request has no `Authorization: Bearer <token>` with it' } as const

/** Error responses whose example is not their status code's usual one, by their description. */
const EXAMPLES_BY_DESCRIPTION = new Map<string, typeof ERROR_EXAMPLES[number]>([
  [CLOSED_COMPUTATIONS.description, CLOSED_COMPUTATIONS_EXAMPLE],
  [METRICS_UNAUTHORIZED.description, { ...ERROR_EXAMPLES[401], message: METRICS_TOKEN_MISSING }]
])

type Document = { paths?: Record<string, Record<string, { responses?: Record<string, { description?: string, content?: Record<string, { examples?: unknown }> }> }>> }

/**
 * Adds ERROR_EXAMPLES to every error response of the finished document (@fastify/swagger's
 * transformObject): the responses are $refs to ErrorResponse, which drop sibling keywords.
 */
export const addErrorExamples: SwaggerTransformObject = (documentObject) => {
  const openapiObject = (documentObject as { openapiObject: Document }).openapiObject
  // Every documented route declares its responses with a JSON schema, so paths, responses and
  // their application/json content are always there.
  for (const methods of Object.values(openapiObject.paths!)) {
    for (const operation of Object.values(methods)) {
      for (const [status, response] of Object.entries(operation.responses!)) {
        const example = EXAMPLES_BY_DESCRIPTION.get(response.description!) ?? ERROR_EXAMPLES[status]
        // A copy per response, so the YAML has no anchors and aliases.
        if (example !== undefined) response.content!['application/json'].examples = { example: { summary: `${example.statusCode} ${example.error}`, value: { ...example } } }
      }
    }
  }
  return openapiObject as ReturnType<SwaggerTransformObject>
}
