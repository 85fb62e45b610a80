/**
 * The grading routes: GET /questions (open), GET /questions/{id}/variant, POST /variants and
 * POST /grade (behind the grader token when GRADER_TOKEN is set), and GET /statements, a
 * student's page, open to whoever holds its key. The logic is src/grading's; these only
 * declare schemas, negotiate, and call it.
 */
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { GraderAccess } from '../grading/access.js'
import type { Grader } from '../grading/grader.js'
import { GradeBody, GradeResult, LanguageHeaders, QuestionList, RosterBody, RosterResult, StatementsQuery, StatementsResult, Variant, VariantParams, VariantQuery } from '../grading/schemas.js'
import { isLanguage, type Language } from '../grading/language.js'
import { answerValue, type ComputationPool } from '../runtime/pool.js'
import { disconnection } from '../runtime/disconnection.js'
import { entityTag, negotiateLanguage, notModified, preferredType, vary } from './negotiation.js'
import { pageFingerprint } from '../pages/statements.js'
import { CLOSED_COMPUTATIONS } from './openapi.js'
import { ERROR_RESPONSES, sendAnswer } from './routes.js'
import { recordGrades } from '../metrics.js'

const UNAUTHORIZED = { $ref: 'ErrorResponse#', description: 'GRADER_TOKEN is set and the request has no `Authorization: Bearer <token>` with it (WWW-Authenticate says which)' } as const
const NOT_FOUND = { $ref: 'ErrorResponse#', description: 'no question with this id; GET /questions lists them' } as const
/** OpenAPI security requirement: the bearer token, named in openapiDocument's components. */
const GRADER_SECURITY = [{ graderToken: [] }]

/**
 * A page only its student should see: no caching by anyone else, no Referer carrying its key
 * to another site, kept out of search engines, and nothing but this service's own stylesheet
 * and fonts (KaTeX's inline styles need 'unsafe-inline'; the page has no script).
 */
const PAGE_HEADERS = {
  // Revalidated on every view: the ETag answers 304 for a hash, and a deploy that changes the
  // page is seen at once.
  'cache-control': 'private, no-cache',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': "default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

/**
 * @param publicUrl - PUBLIC_URL: the origin of the personal links; else the request's own
 */
export function registerGradingRoutes (app: FastifyInstance, grader: Grader, access: GraderAccess, pool: ComputationPool, publicUrl?: string): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  // onRequest: a request without the token is refused before its body is read.
  const authorize = async (request: { headers: { authorization?: string } }): Promise<void> => access.check(request.headers.authorization)

  // The bank never changes while the service runs: its JSON is written once per language, and
  // a client that has it is answered 304 on its ETag.
  const questionLists = new Map<Language, { bytes: Buffer, tag: string }>()
  const prepare = (language: Language): { bytes: Buffer, tag: string } => {
    const bytes = Buffer.from(JSON.stringify(grader.list(language)))
    const prepared = { bytes, tag: entityTag(bytes) }
    questionLists.set(language, prepared)
    return prepared
  }

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
      headers: LanguageHeaders,
      response: { 200: QuestionList, 304: { description: 'If-None-Match names the list\'s ETag: the client\'s copy is current', type: 'null' }, 401: CLOSED_COMPUTATIONS }
    }
  }, async (request, reply) => {
    const language = negotiateLanguage(request, reply)
    const prepared = questionLists.get(language) ?? prepare(language)
    reply.header('cache-control', 'no-cache')
    if (notModified(request, reply, prepared.tag)) return await reply.code(304).send()
    return await reply.type('application/json; charset=utf-8').send(prepared.bytes)
  })

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
      headers: LanguageHeaders,
      response: { 200: Variant, 400: ERROR_RESPONSES[400], 401: UNAUTHORIZED, 404: NOT_FOUND }
    }
  }, async (request, reply) => grader.variant(request.params.id, request.query.student, negotiateLanguage(request, reply)))

  typed.post('/variants', {
    onRequest: authorize,
    schema: {
      operationId: 'roster',
      summary: 'Every student\'s variant of every question, with personal links',
      description: 'A roster in one request: for each student (one identity per student: NFKC, trimmed, lower-cased), their variant of each ' +
        'question asked for (default: all), with its statement in the language of Accept-Language (en or fr), and a personal link to a page ' +
        'of their statements (GET /statements): unguessable, the same every time, readable by any replica, valid until VARIANT_SECRET changes. ' +
        'Send each student their own link only. `Accept: text/csv` gives one row per student (student, page, then each question\'s params as ' +
        'JSON) for an LMS to import. Limit: ROSTER_MAX_STUDENTS students (default 1000). Needs the grader token when GRADER_TOKEN is set.',
      tags: ['grading'],
      security: GRADER_SECURITY,
      body: RosterBody,
      headers: LanguageHeaders,
      response: {
        200: {
          description: 'the roster: JSON by default, CSV with Accept: text/csv',
          content: { 'application/json': { schema: RosterResult }, 'text/csv': { schema: { type: 'string', description: 'RFC 4180, CRLF line ends, a header row: student,page,<question id>…' } } }
        },
        ...ERROR_RESPONSES,
        401: UNAUTHORIZED,
        404: { ...NOT_FOUND, description: 'an entry of `questions` is not a question id' }
      }
    }
  }, async (request, reply) => {
    const format = preferredType(request, ['application/json', 'text/csv'] as const) === 'text/csv' ? 'csv' : 'json'
    vary(reply, 'Accept')
    const origin = publicUrl ?? `${request.protocol}://${request.host}`
    const task = grader.roster(request.body, negotiateLanguage(request, reply), origin, format)
    const answer = await pool.roster(task, { disconnection: () => disconnection(reply.raw) })
    // Set once there is a roster (an error's JSON is no download). The links are the
    // students' keys: no cache keeps a copy.
    reply.header('cache-control', 'no-store')
    if (format === 'csv') reply.header('content-disposition', 'attachment; filename="dlcheck-roster.csv"')
    return await sendAnswer(reply, answer)
  })

  typed.get('/statements', {
    schema: {
      operationId: 'statements',
      summary: 'A student\'s page of statements, from their personal link',
      description: 'The page a personal link of POST /variants opens: the student\'s variant of each question of their roster, the Markdown ' +
        'rendered and the math typeset by KaTeX on the server (no script, nothing loaded from elsewhere), in the language of `lang`, else ' +
        'Accept-Language, else English. `Accept: application/json` gives the same as data. Open: the key is the permission.',
      tags: ['grading'],
      querystring: StatementsQuery,
      headers: LanguageHeaders,
      response: {
        200: {
          description: 'the page: HTML by default, JSON with Accept: application/json',
          content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: StatementsResult } }
        },
        304: { description: 'If-None-Match names the page\'s ETag: the browser\'s copy is current', type: 'null' },
        400: ERROR_RESPONSES[400],
        404: { $ref: 'ErrorResponse#', description: 'the key is not one this service made: cut short, mistyped, or made under another VARIANT_SECRET' },
        429: ERROR_RESPONSES[429],
        503: ERROR_RESPONSES[503]
      }
    }
  }, async (request, reply) => {
    const format = preferredType(request, ['text/html', 'application/json'] as const) === 'application/json' ? 'json' : 'html'
    vary(reply, 'Accept')
    const { lang } = request.query
    const language = isLanguage(lang) ? lang : negotiateLanguage(request, reply)
    reply.header('content-language', language)
    const task = grader.statements(request.query.key, language, format)
    reply.headers(PAGE_HEADERS)
    // The page the browser holds is this one: nothing to render or send.
    if (notModified(request, reply, entityTag(pageFingerprint(), `${task.key}\0${task.language}\0${task.format}`))) return await reply.code(304).send()
    return await sendAnswer(reply, await pool.statements(task, { disconnection: () => disconnection(reply.raw) }))
  })

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
      headers: LanguageHeaders,
      response: { 200: GradeResult, ...ERROR_RESPONSES, 401: UNAUTHORIZED, 404: { ...NOT_FOUND, description: 'an item names an unknown question' } }
    }
  }, async (request, reply) => {
    const sheet = grader.prepare(request.body, 'body', negotiateLanguage(request, reply))
    const answer = await pool.grade(sheet, { disconnection: () => disconnection(reply.raw) })
    recordGrades(request, grader.audit(answerValue(answer) as GradeResult))
    return await sendAnswer(reply, answer)
  })
}
