/**
 * POST /graphql without Mercurius' per-request wrapper for the queries clients repeat. Mercurius
 * compiles a document with graphql-jit on its second run (`jit: 1`) and then, on every request,
 * still runs its own steps around the compiled query: its hooks, a context of its own, and a
 * coercion of the variables by graphql-js (mercurius/index.js, "Validate variables") before
 * graphql-jit coerces them again to run. For an every-field query with variables that wrapper
 * cost a quarter of the request (BENCHMARKS.md).
 *
 * Here a query (never a mutation) that Mercurius has validated and run twice is compiled by the
 * same graphql-jit (package.json pins the version Mercurius pins, so one copy is installed), and
 * later requests with the same text and operation name run it from a
 * Fastify preHandler: the same guard as Mercurius' preParsing hook first, then graphql-jit's
 * `query` with the variables as sent (one coercion), then the errors through the same formatter,
 * so the answer is what Mercurius' JIT path gives, byte for byte (test/graphql/compiled.test.ts).
 * A request the guard refuses, and one whose variables graphql-jit cannot coerce (a result
 * without `data`), is left to Mercurius, which refuses it in its own words and with its own
 * status, as before any compilation.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { getOperationAST, Kind, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql'
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit'
import type { MercuriusCommonOptions, MercuriusContext, preExecutionHookHandler } from 'mercurius'

type PreExecutionHook = preExecutionHookHandler<MercuriusContext>

/** What Mercurius caches by default (its `cache` option): as many compiled documents here. */
export const COMPILED_QUERIES = 1024

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
export function compiledQueries (app: FastifyInstance, options: CompiledQueryOptions): { preHandler: preHandlerAsyncHookHandler, preExecution: PreExecutionHook } {
  const capacity = options.capacity ?? COMPILED_QUERIES
  const compile = options.compile ?? compileDocument
  // null: a document graphql-jit cannot compile, left to Mercurius without trying again.
  const compiled = new Map<string, CompiledQuery | null>()
  // Texts run once by Mercurius: compiled at their second run, as Mercurius' `jit: 1` does, so
  // a stream of distinct documents costs no compilations.
  const seen = new Set<string>()
  const keyOf = (body: GraphqlBody): string | undefined => {
    if (typeof body.query !== 'string') return undefined
    if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') return undefined
    return `${body.operationName ?? ''}\n${body.query}`
  }
  /** Room for one more in a store of at most `capacity`, the oldest entry dropped. */
  const makeRoom = (store: Map<string, CompiledQuery | null> | Set<string>): void => {
    if (store.size >= capacity) store.delete(store.keys().next().value!)
  }

  const preHandler: preHandlerAsyncHookHandler = async (request, reply) => {
    if (request.method !== 'POST') return
    const body = request.body as GraphqlBody | undefined
    if (body === undefined || body === null || typeof body !== 'object') return
    const key = keyOf(body)
    const query = key === undefined ? undefined : compiled.get(key)
    if (query === undefined || query === null || !passes(body.query as string, request)) return
    const context = { app, reply, errors: null }
    const execution = await query.query(ROOT, context, (body.variables ?? {}) as Record<string, unknown>) as ExecutionResult
    // Variables it could not coerce: Mercurius checks them with graphql-js before anything runs.
    if (!('data' in execution)) return
    if (execution.errors !== undefined) {
      // Mercurius' maybeFormatErrors: the formatter's data and errors, with its status.
      const { statusCode, response } = options.formatErrors(execution as never, context as never)
      execution.data = response.data
      execution.errors = response.errors as ExecutionResult['errors']
      return await reply.code(statusCode).send(execution)
    }
    // What the route's serializer writes for {data} (fast-json-stringify hands `data`'s
    // properties to JSON.stringify), by the serializer graphql-jit compiled for this query's
    // fields (`customJSONSerializer`, half the time of JSON.stringify over graphql-jit's
    // prototype-less objects) or, without one, by JSON.stringify (graphql-jit's default).
    return await reply.type('application/json; charset=utf-8').send(query.stringify(execution))
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

  const preExecution: PreExecutionHook = async (schema, document, context) => {
    const { request } = context.reply
    // Mercurius (16.10.1) keeps one compiled query per document text, compiled for the
    // operation named at its second run, and runs it for any operation name after that: with
    // `query A {…} query B {…}`, B's answer for A. A document of several operations is handed
    // back as "modified", which makes Mercurius run graphql-js' execute with the name asked for,
    // never its JIT; the compiled queries here are kept by name and text, and right.
    const several = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length > 1
    const body = request.body as GraphqlBody | undefined
    const key = request.method === 'POST' && body !== undefined ? keyOf(body) : undefined
    if (key !== undefined && !compiled.has(key)) {
      if (!seen.has(key)) {
        makeRoom(seen)
        seen.add(key)
      } else if (getOperationAST(document, body!.operationName as string | undefined)?.operation === 'query') {
        makeRoom(compiled)
        compiled.set(key, compile(schema, document, body!.operationName as string | undefined))
      }
    }
    return several ? { document } : undefined
  }
  return { preHandler, preExecution }
}
