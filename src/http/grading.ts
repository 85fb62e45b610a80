/**
 * The grading routes: GET /questions (open), GET /questions/{id}/variant and POST /grade
 * (behind the grader token when GRADER_TOKEN is set). The logic is src/grading's; these
 * only declare schemas and call it.
 */
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { GraderAccess } from '../grading/access.js'
import type { Grader } from '../grading/grader.js'
import { GradeBody, GradeResult, QuestionList, Variant, VariantParams, VariantQuery } from '../grading/schemas.js'
import { answerValue, type ComputationPool } from '../runtime/pool.js'
import { disconnection } from '../runtime/disconnection.js'
import { CLOSED_COMPUTATIONS } from './openapi.js'
import { ERROR_RESPONSES, sendAnswer } from './routes.js'

const UNAUTHORIZED = { $ref: 'ErrorResponse#', description: 'GRADER_TOKEN is set and the request has no `Authorization: Bearer <token>` with it (WWW-Authenticate says which)' } as const
const NOT_FOUND = { $ref: 'ErrorResponse#', description: 'no question with this id; GET /questions lists them' } as const
/** OpenAPI security requirement: the bearer token, named in openapiDocument's components. */
const GRADER_SECURITY = [{ graderToken: [] }]

export function registerGradingRoutes (app: FastifyInstance, grader: Grader, access: GraderAccess, pool: ComputationPool): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  // onRequest: a request without the token is refused before its body is read.
  const authorize = async (request: { headers: { authorization?: string } }): Promise<void> => access.check(request.headers.authorization)

  typed.get('/questions', {
    // COMPUTATIONS=token: the bank names each question's computation request, so it closes too.
    onRequest: access.computationsClosed ? async (request) => access.check(request.headers.authorization, 'computations') : [],
    schema: {
      operationId: 'listQuestions',
      summary: 'The question bank: every computational question with its default params',
      description: 'One entry per question of the assignment: a stable id, the statement with the assignment\'s own numbers, ' +
        'the computation that answers it (and the request body that does), the params and their JSON Schema, the answer\'s shape ' +
        'and the default comparison (PrairieLearn\'s rules). Answers are not listed: POST /grade checks them.',
      tags: ['grading'],
      response: { 200: QuestionList, 401: CLOSED_COMPUTATIONS }
    }
  }, async () => grader.list())

  typed.get('/questions/:id/variant', {
    onRequest: authorize,
    schema: {
      operationId: 'questionVariant',
      summary: 'A student\'s variant of a question',
      description: 'The params of `student`\'s variant, drawn from HMAC-SHA256(VARIANT_SECRET, question id, student): the same on every ' +
        'replica and after restarts, different between students, unpredictable without the secret. Numbers are chosen so answers stay readable. ' +
        'Needs the grader token when GRADER_TOKEN is set.',
      tags: ['grading'],
      security: GRADER_SECURITY,
      params: VariantParams,
      querystring: VariantQuery,
      response: { 200: Variant, 400: ERROR_RESPONSES[400], 401: UNAUTHORIZED, 404: NOT_FOUND }
    }
  }, async (request) => grader.variant(request.params.id, request.query.student))

  typed.post('/grade', {
    onRequest: authorize,
    schema: {
      operationId: 'grade',
      summary: 'Grade a student\'s answers with PrairieLearn\'s comparison rules',
      description: 'Each item names a question, optionally its params (default: the student\'s variant when `student` is given, else the ' +
        'assignment\'s numbers), the answer and optionally a comparison: relabs (|a − e| ≤ atol + rtol·|e|, defaults rtol 1e-2, atol 1e-8), ' +
        'sigfig or decdig (strictly within 0.51 units of the last required digit of e, default 2 digits), or exact. Without one, the ' +
        'question\'s default applies (exact for integers, relabs rtol 1e-5, atol 1e-8 for real numbers). Vectors and matrices are compared ' +
        'element-wise. A number may come as a string that reads as a plain decimal number ("284682", "2.5e-3"). An answer that cannot be read ' +
        '(none, a wrong shape, "0,4988") is `invalid`: score 0, with feedback saying the format, never an error. ' +
        'Limit: GRADE_MAX_ITEMS items (default 100). Needs the grader token when GRADER_TOKEN is set.',
      tags: ['grading'],
      security: GRADER_SECURITY,
      body: GradeBody,
      response: { 200: GradeResult, ...ERROR_RESPONSES, 401: UNAUTHORIZED, 404: { ...NOT_FOUND, description: 'an item names an unknown question' } }
    }
  }, async (request, reply) => {
    const sheet = grader.prepare(request.body, 'body')
    const answer = await pool.grade(sheet, { disconnection: () => disconnection(reply.raw) })
    for (const record of grader.audit(answerValue(answer) as GradeResult)) request.log.info({ audit: record }, 'graded')
    return await sendAnswer(reply, answer)
  })
}
