/**
 * POST /graphql (Mercurius): the schema and the resolvers generated from the operations table
 * (src/graphql/sdl.ts writes the schema; schema/schema.graphql is a copy for clients). Each resolver validates `input` with the operation's own JSON schema and
 * the same Ajv options and messages as REST, then calls the same run(); there is no second
 * implementation.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  getDirectiveValues, GraphQLIncludeDirective, GraphQLSkipDirective, Kind, parse, validate,
  type DocumentNode, type GraphQLResolveInfo, type GraphQLSchema, type SelectionNode, type SelectionSetNode
} from 'graphql'
import mercurius, { type MercuriusCommonOptions } from 'mercurius'
import { ComputationError, LimitExceededError } from '../math/errors.js'
import { mediaTypeMessage, type UnauthorizedError } from '../errors.js'
import type { GraderAccess } from '../grading/access.js'
import type { Grader } from '../grading/grader.js'
import { languageFor, type Language } from '../grading/language.js'
import { GradeBody, GradeResult, QuestionList, Variant, VariantParams, VariantQuery } from '../grading/schemas.js'
import { AJV_OPTIONS, schemaErrorFormatter } from '../validation.js'
import type { Limits } from '../operations/limits.js'
import type { Operation } from '../operations/operation.js'
import { disconnection } from '../runtime/disconnection.js'
import { answerValue, ClientClosedError, type Answer, type ComputationPool } from '../runtime/pool.js'
import { compiledQueries } from './compiled.js'
import { guardedField } from './guarded.js'
import { graphqlSdl, SCALARS, type ExtraField } from './sdl.js'
import { bracketNesting, costRule, startsAsJson, maxAliasesRule, maxDepthRule, validationError, variablesProblem, type GraphqlLimits } from './limits.js'
import { recordGrades } from '../metrics.js'
import { renderingsOf, withRenderings, type Rendering } from '../renderings.js'

/** Query and Mutation fields beside the operations: the question bank and grading. */
export const GRADING_FIELDS: readonly ExtraField[] = [
  { root: 'query', name: 'questions', description: 'The question bank: every computational question with its default params (REST: GET /questions).', args: {}, result: QuestionList.properties.questions },
  { root: 'query', name: 'variant', description: 'A student\'s variant of a question, from HMAC-SHA256(VARIANT_SECRET, question, student); needs the grader token when GRADER_TOKEN is set (REST: GET /questions/{id}/variant).', args: { question: VariantParams.properties.id, student: VariantQuery.properties.student }, result: Variant },
  { root: 'mutation', name: 'grade', description: 'Grade a student\'s answers with PrairieLearn\'s comparison rules; needs the grader token when GRADER_TOKEN is set (REST: POST /grade).', args: { input: GradeBody }, result: GradeResult }
]

/**
 * The SDL served: generated from the operations' and the grading routes' schemas
 * (src/graphql/sdl.ts), once per table: Mercurius and the playground's examples both read it
 * at start.
 */
export function schemaText (operations: readonly Operation[]): string {
  let sdl = SDL.get(operations)
  if (sdl === undefined) SDL.set(operations, sdl = graphqlSdl(operations, GRADING_FIELDS))
  return sdl
}
const SDL = new WeakMap<readonly Operation[], string>()

/**
 * graphql-js hands resolvers objects without a prototype; REST's validator sees plain JSON.
 * Recursive: nesting is bounded before this runs, by GRAPHQL_MAX_NESTING (≤ 1000) on the
 * document's brackets and on the variables (the hooks in registerGraphql).
 */
function plain (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain)
  if (value === null || typeof value !== 'object') return value
  // for…in, not Object.fromEntries(Object.entries(…)): 4× faster. graphql-js' objects have no
  // prototype to inherit keys from; a JSON scalar's "__proto__" key stays an own key (defined,
  // not assigned, which would set the copy's prototype), so the schema refuses it as REST does.
  const copy: Record<string, unknown> = {}
  for (const key in value) {
    const inner = plain((value as Record<string, unknown>)[key])
    if (key === '__proto__') Object.defineProperty(copy, key, { value: inner, enumerable: true, writable: true, configurable: true })
    else copy[key] = inner
  }
  return copy
}

interface Context { app: FastifyInstance, reply: FastifyReply }

/**
 * The renderings (`latex`, `svg`: src/renderings.ts) a query selects on an operation's result,
 * through fragments too, and not left out by @skip or @include (GraphQL spec §3.13), so that
 * only those are drawn: one that cannot be drawn fails the field.
 */
export function selectedRenderings (info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'variableValues'>, offered: readonly Rendering[]): Rendering[] {
  const selected = new Set<string>()
  const visited = new Set<string>()
  const included = (node: SelectionNode): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false
  // Every selection set here exists: the result types are objects, and validation has checked
  // that every fragment spread names a fragment.
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue
      if (selection.kind === Kind.FIELD) selected.add(selection.name.value)
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet)
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value)
        visit(info.fragments[selection.name.value].selectionSet)
      }
    }
  }
  for (const node of info.fieldNodes) visit(node.selectionSet!)
  return offered.filter((rendering) => selected.has(rendering))
}

/** Documents up to this many characters have too few fields for graphql-js' validation to cost much. */
const SHORT_DOCUMENT = 512

/**
 * Where large inputs go instead of /graphql: the REST routes of the operations table that
 * have their own, larger body limit (/softmax-stable, /hvp, /newton-step).
 */
export function restAdvice (operations: readonly Operation[]): string {
  const paths = operations.filter((operation) => operation.bodyLimit !== undefined).map((operation) => operation.path)
  return `GraphQL is sized for exploration: send large inputs (MLP parameter vectors, long vectors) to the computation's REST route (POST ${paths.join(', ')}, …)`
}

export async function registerGraphql (app: FastifyInstance, operations: readonly Operation[], limits: Limits & GraphqlLimits, pool: ComputationPool, grader: Grader, access: GraderAccess): Promise<void> {
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  const validators = new Map<string, ValidateFunction>(operations.map((operation) => [operation.name, ajv.compile(operation.body)]))
  const validateGrade = ajv.compile(GradeBody)
  const validateVariant = ajv.compile(VariantQuery)
  const advice = restAdvice(operations)
  const fail = (message: string, code: string, statusCode: number): never => {
    throw new mercurius.ErrorWithProps(message, { code, statusCode })
  }
  /**
   * Validates `input` as REST validates the body, then runs `compute` with REST's error
   * mapping. An answer computed at once is returned as it is, not in a promise, as REST's
   * handler returns it: graphql-jit then completes the whole query without a promise.
   */
  const resolve = <T> (validate: ValidateFunction, input: unknown, dataVar: string, context: Context, compute: (input: never) => T | Promise<T>): T | Promise<T> => {
    const value = plain(input)
    if (!validate(value)) fail(schemaErrorFormatter(validate.errors!, dataVar).message, 'FST_ERR_VALIDATION', 400)
    const failed = (error: unknown): never => {
      if (error instanceof ComputationError || error instanceof ClientClosedError) fail(error.message, error.code, error.statusCode)
      context.reply.log.error({ err: error }, 'graphql resolver failed')
      return fail('the server could not compute this answer; the error has been logged', 'DLCHECK_INTERNAL', 500)
    }
    try {
      const answer = compute(value as never)
      return answer instanceof Promise ? answer.catch(failed) : answer
    } catch (error) {
      return failed(error)
    }
  }
  // One signal per request, however many computations its document asks for.
  const signals = new WeakMap<FastifyReply, AbortSignal>()
  const disconnectionOf = (reply: FastifyReply): AbortSignal => {
    let signal = signals.get(reply)
    if (signal === undefined) signals.set(reply, signal = disconnection(reply.raw))
    return signal
  }
  // Defence in depth: the preParsing hook below has refused these requests before
  // coercion already; this check stays should a way around that walk be found.
  const authorized = (context: Context): void => {
    try {
      access.check(context.reply.request.headers.authorization)
    } catch (error) {
      const unauthorized = error as ComputationError
      fail(unauthorized.message, unauthorized.code, unauthorized.statusCode)
    }
  }
  /**
   * The value graphql-js completes, on the main thread: a worker's answer is parsed only while
   * the request's answers stay small enough to complete in a few milliseconds, all of them
   * together (GRAPHQL_MAX_ANSWER_BYTES; aliases can ask for several). Inline answers are small
   * by their cost.
   */
  const answered = new WeakMap<FastifyReply, number>()
  const answerOf = (answer: Answer, path: string, reply: FastifyReply): unknown => {
    if ('bytes' in answer) {
      const total = (answered.get(reply) ?? 0) + answer.bytes.byteLength
      answered.set(reply, total)
      if (total > limits.graphqlMaxAnswerBytes) {
        throw new LimitExceededError(`the answers come to ${total} bytes of JSON, over GraphQL's limit of ${limits.graphqlMaxAnswerBytes} for one request (GRAPHQL_MAX_ANSWER_BYTES): GraphQL is sized for exploration; ask POST ${path} for large answers, or send a smaller input`)
      }
    }
    return answerValue(answer)
  }
  // A small computation is answered at once, as REST answers it (pool.inline); the others
  // go to the pool.
  // The renderings a query selects are drawn with the answer, where it is computed: a
  // worker sends them inside its JSON.
  const query: Record<string, unknown> = Object.fromEntries(operations.map((operation) => {
    const offered = renderingsOf(operation)
    return [operation.name, (_root: unknown, args: { input: unknown }, context: Context, info: GraphQLResolveInfo) =>
      resolve(validators.get(operation.name)!, args.input, 'input', context, (input) => {
        const attach = selectedRenderings(info, offered)
        const inline = pool.inline(operation, input)
        if (inline !== undefined) return withRenderings(operation, inline.value, input, pool.limits, attach)
        return pool.execute(operation, input, { disconnection: () => disconnectionOf(context.reply), attach }).then((answer) => answerOf(answer, operation.path, context.reply))
      })]
  }))
  /**
   * The language of statements and feedback: Accept-Language, as on REST, and said on the
   * reply as REST says it (Content-Language, and Vary for caches of GET /graphql).
   */
  const languageOf = (context: Context): Language => {
    const language = languageFor(context.reply.request.headers['accept-language'])
    void context.reply.header('content-language', language).header('vary', 'Accept-Language')
    return language
  }
  query.questions = (_root: unknown, _args: unknown, context: Context) => grader.list(languageOf(context)).questions
  query.variant = (_root: unknown, args: { question: string, student: string }, context: Context) => {
    authorized(context)
    return resolve(validateVariant, { student: args.student }, 'args', context, () => grader.variant(args.question, args.student, languageOf(context), 'args/student'))
  }
  const mutation = {
    grade: (_root: unknown, args: { input: unknown }, context: Context) => {
      authorized(context)
      return resolve(validateGrade, args.input, 'input', context, async (input) => {
        const answer = await pool.grade(grader.prepare(input, 'input', languageOf(context)), { disconnection: () => disconnectionOf(context.reply) })
        const result = answerOf(answer, '/grade', context.reply) as GradeResult
        recordGrades(context.reply.request, grader.audit(result))
        return result
      })
    }
  }
  const formatErrors: NonNullable<MercuriusCommonOptions['errorFormatter']> = (execution, context) => {
    // Mercurius' formatter logs each error's message at info, and graphql-js' messages quote
    // the values they refuse (`String cannot represent a non string value: 20231234`, a
    // student's id): it logs into nothing here, and the line written says only where.
    const { statusCode, response } = mercurius.defaultErrorFormatter(execution, { ...context, reply: { log: { info: () => {} } } } as unknown as typeof context)
    for (const error of execution.errors) context.reply.log.info({ graphqlError: { path: error.path, code: (error.originalError as { code?: string } | undefined)?.code } }, 'GraphQL error')
    const errors = response.errors!.map((formatted, i) => {
      // Mercurius may format one error into several, so errors[i] can be missing.
      const original = execution.errors[i]?.originalError as { code?: string } | undefined
      if (original?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return { message: mediaTypeMessage(context.reply.request.headers['content-type'], '/graphql'), extensions: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 } }
      }
      if (original?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return {
          message: `the request body is over the limit of ${limits.graphqlBodyLimit} bytes (GRAPHQL_BODY_LIMIT). ${advice}, or raise GRAPHQL_BODY_LIMIT on the server`,
          extensions: { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }
        }
      }
      // Refused while the body was read (415, a forbidden key, too many values): the same
      // code and status as REST, where GraphQL clients look for them.
      if (original instanceof ComputationError && formatted.extensions === undefined) {
        return { ...formatted, extensions: { code: original.code, statusCode: original.statusCode } }
      }
      return formatted
    })
    // A document that fails validation is a 400 however many errors it has (GraphQL over
    // HTTP, application/json); Mercurius keeps 400 for one error only.
    const invalid = (execution.errors[0]?.originalError as { code?: string } | undefined)?.code === 'MER_ERR_GQL_VALIDATION'
    return { statusCode: invalid && execution.data == null ? 400 : statusCode, response: { ...response, errors } }
  }
  // Before graphql-js parses the query and coerces the variables: what its recursive parser,
  // its variable coercion and Mercurius' AST fallback mishandle (src/graphql/limits.ts says
  // how), and the grader token (src/graphql/guarded.ts says why here). Mercurius runs it in
  // its preParsing hook, on every request before coercion, cached query texts and
  // graphql-jit's compiled runs included (mercurius/index.js, fastifyGraphQl); compiled.ts
  // runs it before each query it runs itself.
  const bounds = [maxDepthRule(limits.graphqlMaxDepth), maxAliasesRule(limits.graphqlMaxAliases), costRule(limits.graphqlMaxFields, limits.graphqlMaxComputations)]
  /** The checks that depend on the document's text alone: compiled.ts skips them for a text that passed them before. */
  const checkDocument = (schema: GraphQLSchema, source: string, refuse: (message: string, code: string) => never): void => {
    if (startsAsJson(source)) refuse('query: this starts as JSON, not as a GraphQL document; send the document as text (pre-parsed ASTs are not accepted)', 'GRAPHQL_PARSE_FAILED')
    if (bracketNesting(source, limits.graphqlMaxNesting) > limits.graphqlMaxNesting) {
      refuse(`query: brackets nest more than ${limits.graphqlMaxNesting} deep (GRAPHQL_MAX_NESTING); put large inputs in variables`, 'GRAPHQL_PARSE_FAILED')
    }
    // graphql-js runs every validation rule in one pass, and OverlappingFieldsCanBeMergedRule
    // compares fields pairwise: a document of a thousand fields, within GRAPHQL_MAX_TOKENS,
    // costs tens of milliseconds before the bounds on depth, aliases and fields could refuse
    // it. A long document is measured by those bounds alone first (Mercurius caches what it
    // validates, not what is measured here: a long text costs a second parse each time).
    if (source.length > SHORT_DOCUMENT) {
      let document: DocumentNode | undefined
      try {
        document = parse(source, { maxTokens: limits.graphqlMaxTokens })
      } catch {} // graphql-js' own parse reports the syntax error, as for any document
      if (document !== undefined) {
        const errors = validate(schema, document, bounds)
        if (errors.length > 0) throw validationError(errors)
      }
    }
  }
  const guard = (schema: GraphQLSchema, source: string, request: FastifyRequest, passedBefore = false): void => {
    const refuse = (message: string, code: string): never => {
      throw new mercurius.ErrorWithProps(message, { code, statusCode: 400 }, 400)
    }
    if (!passedBefore) checkDocument(schema, source, refuse)
    const params = (request.method === 'GET' ? request.query : request.body) as { variables?: unknown, operationName?: unknown }
    if (!access.open) {
      // Before the variables are even counted: without the token, a grading request gets its
      // 401 whatever its variables hold. The same answer as the resolver's check: HTTP 200,
      // data null, the error at the field with extensions { code, statusCode: 401 }.
      const field = guardedField(source, params.operationName, limits.graphqlMaxTokens)
      if (field !== undefined) {
        try {
          access.check(request.headers.authorization)
        } catch (error) {
          const unauthorized = error as ComputationError
          throw Object.assign(new mercurius.ErrorWithProps(unauthorized.message, { code: unauthorized.code, statusCode: unauthorized.statusCode }), {
            locations: [{ line: field.loc!.startToken.line, column: field.loc!.startToken.column }],
            path: [(field.alias ?? field.name).value]
          })
        }
      }
    }
    // GET carries variables as JSON text in the query string; Mercurius has parsed it once
    // already (a 400 if it is not JSON) but hands the hook the text.
    const variables = request.method === 'GET' ? (params.variables === undefined ? undefined : JSON.parse(params.variables as string)) : params.variables
    const problem = variablesProblem(variables, { maxEntries: limits.graphqlMaxVariableEntries, maxKeys: limits.graphqlMaxFields, maxNesting: limits.graphqlMaxNesting }, advice)
    if (problem !== undefined) refuse(problem, 'FST_ERR_VALIDATION')
  }
  const compiled = compiledQueries(app, { guard, formatErrors })
  await app.register(mercurius, {
    schema: schemaText(operations),
    resolvers: { Query: query, Mutation: mutation, ...Object.fromEntries(SCALARS.map((scalar) => [scalar.name, scalar])) },
    graphiql: false,
    allowBatchedQueries: false,
    // graphql-jit compiles a query on its second run (Mercurius caches it with the parsed
    // document): the every-field paramCount query went from 0.75 to 0.83 of REST
    // (BENCHMARKS.md). The numeric form, not the adaptive one, which stops compiling when the
    // event loop is busy, that is, when it matters.
    jit: 1,
    validationRules: [
      maxDepthRule(limits.graphqlMaxDepth),
      maxAliasesRule(limits.graphqlMaxAliases),
      costRule(limits.graphqlMaxFields, limits.graphqlMaxComputations)
    ],
    graphql: { parseOptions: { maxTokens: limits.graphqlMaxTokens } },
    // Mercurius answers transport errors itself (its route's error handler, not the app's):
    // name the body limit, and the way around it, as REST does.
    errorFormatter: formatErrors,
    // Its own limit: the body is parsed and its variables coerced on the main thread, so
    // GraphQL takes what exploring needs and whole parameter vectors go through REST.
    additionalRouteOptions: { bodyLimit: limits.graphqlBodyLimit, preHandler: compiled.preHandler }
  })
  if (access.computationsClosed) {
    // COMPUTATIONS=token: every GraphQL request (computations, the question bank, the
    // playground's schema query) needs the grader token, before its body is read. An app hook:
    // Mercurius sets its route's own onRequest (its CSRF check) over additionalRouteOptions'.
    // Mercurius' error handler answers it, without the challenge header: set here.
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url !== '/graphql') return
      try {
        access.check(request.headers.authorization, 'computations')
      } catch (error) {
        void reply.header('www-authenticate', (error as UnauthorizedError).challenge)
        throw error
      }
    })
  }
  app.graphql.addHook('preParsing', async (schema, source, context) => { guard(schema, source, context.reply.request) })
  app.graphql.addHook('preExecution', compiled.preExecution)
}
