/**
 * POST /graphql without Mercurius' per-request wrapper for the queries clients repeat. Mercurius
 * compiles a document with graphql-jit on its second run (`jit: 1`) and then, on every request,
 * still runs its own steps around the compiled query: its hooks, a context of its own, and a
 * coercion of the variables by graphql-js (mercurius/index.js, "Validate variables") before
 * graphql-jit coerces them again to run: for a small query, a large share of the request
 * (BENCHMARKS.md, *Targets*, has the measurements).
 *
 * Here a query (never a mutation) that Mercurius has validated and run twice is compiled by the
 * same graphql-jit (package.json pins the version Mercurius pins, so one copy is installed), and
 * later requests with the same text and operation name run it from a
 * Fastify preHandler: the same guard as Mercurius' preParsing hook first, then graphql-jit's
 * `query` with the variables as sent (one coercion), then the errors through the same formatter,
 * so the answer is what Mercurius' JIT path gives, byte for byte (test/graphql/compiled.test.ts).
 * A body the route's schema refuses, a request the guard refuses, and one whose variables
 * graphql-jit cannot coerce (a result without `data`) are left to Mercurius, which refuses them
 * in its own words and with its own status, as before any compilation.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from 'fastify'
import { getOperationAST, Kind, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql'
import { buildExecutionContext } from 'graphql/execution/execute.js'
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit'
import type { MercuriusCommonOptions, MercuriusContext, preExecutionHookHandler } from 'mercurius'
import { validationError } from './limits.js'

type PreExecutionHook = preExecutionHookHandler<MercuriusContext>

/** What Mercurius caches by default (its `cache` option): as many compiled documents here. */
export const COMPILED_QUERIES = 1024

/** The longest text, with its operation name, that is compiled: some fifty times an everyday query's. */
export const COMPILED_TEXT_LENGTH = 16_384

/** graphql-jit's root value as Mercurius passes it (`const root = {}`); no resolver reads it. */
const ROOT = {}

export interface CompiledQueryOptions {
  /**
   * Mercurius' preParsing check, run before each compiled query as before each parse; throws a
   * refusal. `passedBefore`: the text has passed it (only what depends on the request is left).
   */
  guard: (schema: GraphQLSchema, source: string, request: FastifyRequest, passedBefore: boolean) => void
  /** Mercurius' errorFormatter */
  formatErrors: NonNullable<MercuriusCommonOptions['errorFormatter']>
  /** compiled documents kept, the oldest dropped first (default COMPILED_QUERIES) */
  capacity?: number
  /** the compiler (default compileDocument; a test gives one that fails) */
  compile?: typeof compileDocument
}

interface GraphqlBody { query?: unknown, variables?: unknown, operationName?: unknown }

/**
 * graphql-jit's compiled query, with the serializer it compiles for the query's fields where it
 * can (not for the JSON scalars of sdl.ts: then JSON.stringify); null where it cannot compile.
 */
export function compileDocument (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
  const serialized = compileQuery(schema, document, operationName, { customJSONSerializer: true })
  if (isCompiledQuery(serialized)) return serialized
  const query = compileQuery(schema, document, operationName)
  return isCompiledQuery(query) ? query : null
}

/**
 * The route's preHandler (Mercurius' `additionalRouteOptions`), which runs compiled queries,
 * and a preExecution hook for Mercurius, which compiles them.
 */
export function compiledQueries (app: FastifyInstance, options: CompiledQueryOptions): { preHandler: preHandlerHookHandler, preExecution: PreExecutionHook } {
  const capacity = options.capacity ?? COMPILED_QUERIES
  const compile = options.compile ?? compileDocument
  // null: a document graphql-jit cannot compile, left to Mercurius without trying again.
  const compiled = new Map<string, CompiledQuery | null>()
  // Texts run once by Mercurius: compiled at their second run, as Mercurius' `jit: 1` does, so
  // a stream of distinct documents costs no compilations.
  const seen = new Set<string>()
  // Of a body the route's schema accepted: an object, its operationName a string or null.
  // Without a name, the text itself (no copy to make and hash on every request); with one, a
  // NUL, then the name's length, so that no name and text can be read as another pair. A
  // text that starts with NUL has no key: it is no document (graphql-js' lexer refuses the
  // character outside strings and comments), and as a key it could be read as a named one.
  const keyOf = (body: GraphqlBody): string | undefined => {
    const text = body.query
    if (typeof text !== 'string' || text.charCodeAt(0) === 0) return undefined
    const name = body.operationName as string | null | undefined
    return name == null ? text : `\u0000${name.length}:${name}${text}`
  }
  /** Room for one more in a store of at most `capacity`, the oldest entry dropped. */
  const makeRoom = (store: Map<string, CompiledQuery | null> | Set<string>): void => {
    if (store.size >= capacity) store.delete(store.keys().next().value!)
  }

  /** Sends graphql-jit's result, or leaves the request to Mercurius (`done()`). */
  const answer = (execution: ExecutionResult, query: CompiledQuery, context: { reply: FastifyReply }, done: HookHandlerDoneFunction): void => {
    const { reply } = context
    // Variables it could not coerce: Mercurius checks them with graphql-js before anything runs.
    if (!('data' in execution)) return done()
    if (execution.errors !== undefined) {
      // Mercurius' maybeFormatErrors: the formatter's data and errors, with its status.
      const { statusCode, response } = options.formatErrors(execution as never, context as never)
      execution.data = response.data
      execution.errors = response.errors as ExecutionResult['errors']
      void reply.code(statusCode).send(execution)
      return
    }
    // What the route's serializer writes for {data} (fast-json-stringify hands `data`'s
    // properties to JSON.stringify), by the serializer graphql-jit compiled for this query's
    // fields (`customJSONSerializer`, faster than JSON.stringify over graphql-jit's
    // prototype-less objects) or, without one, by JSON.stringify (graphql-jit's default).
    void reply.type('application/json; charset=utf-8').send(query.stringify(execution))
  }

  // Callback style, and no promise where the resolvers answer at once (a small computation,
  // as REST answers it): the whole request is then answered in the tick that read its body.
  // Having sent, the hook does not call done (Fastify's Hooks, "Respond to a request from a hook").
  const preHandler: preHandlerHookHandler = (request, reply, done) => {
    // A body the route's schema refused (Mercurius' `attachValidation`) is Mercurius' to answer.
    if (request.method !== 'POST' || request.validationError !== undefined) return done()
    const body = request.body as GraphqlBody
    const key = keyOf(body)
    const query = key === undefined ? undefined : compiled.get(key)
    if (query === undefined || query === null || !passes(body.query as string, request)) return done()
    const context = { app, reply, errors: null }
    const execution = query.query(ROOT, context, (body.variables ?? {}) as Record<string, unknown>)
    // graphql-jit's PromiseOrValue: a promise where a resolver returned one.
    if (typeof (execution as PromiseLike<ExecutionResult>).then === 'function') {
      // What answer throws here would otherwise be an unhandled rejection and a request never
      // answered; in the synchronous branch, Fastify's hook runner catches it.
      (execution as PromiseLike<ExecutionResult>).then((result) => {
        try {
          answer(result, query, context, done)
        } catch (error) {
          done(error as Error)
        }
      }, done)
    } else {
      answer(execution as ExecutionResult, query, context, done)
    }
  }

  const passes = (source: string, request: FastifyRequest): boolean => {
    try {
      // Compiled after two runs that passed it.
      options.guard(app.graphql.schema, source, request, true)
      return true
    } catch {
      return false
    }
  }

  const preExecution: PreExecutionHook = async (schema, document, context, variables) => {
    const { request } = context.reply
    // A GET's name is in its query string; a POST's body has passed the route's schema.
    const params = (request.method === 'GET' ? request.query : request.body) as GraphqlBody
    const name = (params.operationName ?? undefined) as string | undefined
    // Mercurius (16.10.1) keeps one compiled query per document text, compiled for the
    // operation named at its second run, and runs it for any operation name after that: with
    // `query A {…} query B {…}`, B's answer for A. A document of several operations is handed
    // back as "modified", which makes Mercurius run graphql-js' execute with the name asked for,
    // never its JIT. That also makes it skip its check of the variables from the second run on
    // (it takes every later run for the one that compiles): the same check is made here, with
    // the same error (a 400).
    const several = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length > 1
    if (several && variables !== undefined) {
      const checked = buildExecutionContext({ schema, document, variableValues: variables, operationName: name })
      if (Array.isArray(checked)) throw validationError(checked)
    }
    const key = request.method === 'POST' ? keyOf(params) : undefined
    // Only texts of everyday size, and only names the document has: what is kept stays
    // bounded by COMPILED_QUERIES × COMPILED_TEXT_LENGTH, however long a client makes them.
    const operation = key !== undefined && key.length <= COMPILED_TEXT_LENGTH ? getOperationAST(document, name) ?? null : null
    if (operation !== null && !compiled.has(key!)) {
      if (!seen.has(key!)) {
        makeRoom(seen)
        seen.add(key!)
      } else if (operation.operation === 'query') {
        makeRoom(compiled)
        compiled.set(key!, compile(schema, document, name))
      }
    }
    return several ? { document } : undefined
  }
  return { preHandler, preExecution }
}
