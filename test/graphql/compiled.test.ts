/**
 * src/graphql/compiled.ts: a query run from its compiled form answers exactly what Mercurius
 * answers for it, errors included, and whatever it cannot answer so is left to Mercurius.
 */
import Fastify from 'fastify'
import mercurius from 'mercurius'
import t from 'tap'
import { buildSchema, parse } from 'graphql'
import { COMPILED_TEXT_LENGTH, compiledQueries, compileDocument } from '../../src/graphql/compiled.js'
import { build, post } from '../helpers/app.js'

const TOKEN = 'grader-token-for-tests-0123456789'
const EVERY_FIELD = 'query ($input: ParamCountInput!) { paramCount(input: $input) { total layers { name weights biases params outputShape } hessian { shape entries unique bytesFloat32 bytesFloat64 entriesExact uniqueExact } } }'

/** Status, media type, language and body: what a client sees. */
const seen = (response: Awaited<ReturnType<typeof post>>): unknown[] =>
  [response.statusCode, response.headers['content-type'], response.headers['content-language'], response.body]

t.test('the same request answers the same bytes before and after its compilation', async (t) => {
  const app = await build(t)
  const requests: Array<[unknown, Record<string, string>?]> = [
    [{ query: EVERY_FIELD, variables: { input: { sizes: [32, 512, 512, 10] } } }],
    // A resolver's error: the same message, code and status from the compiled query.
    [{ query: EVERY_FIELD, variables: { input: { sizes: [3] } } }],
    [{ query: '{ questions { id title } }' }, { 'accept-language': 'fr' }],
    [{ query: 'query A { paramCount(input: {sizes: [2, 3]}) { total } } query B { paramCount(input: {sizes: [4, 5]}) { total } }', operationName: 'B' }],
    [{ query: 'query A { paramCount(input: {sizes: [2, 3]}) { total } } query B { paramCount(input: {sizes: [4, 5]}) { total } }', operationName: 'A' }],
    [{ query: '{ paramCount(input: {sizes: [2, 3]}) { total } }', operationName: null, variables: null }],
    // JSON scalars, nulls for non-finite numbers, strings with escapes and non-ASCII text.
    [{ query: 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { softmax logSoftmax logSumExp max argmax warnings } }', variables: { input: { x: [[1, 2, 1e308], [1e308, -1e308, 3]] } } }],
    [{ query: '{ receptiveField(input: {input: 32, architecture: "Conv-3x3 → MaxPool-2x2 → Conv-3x3"}) { layers { type name kernel } } }' }],
    [{ query: '{ expression: hvp(input: {model: {kind: expression, expression: "x^2*y + sin(x*y)", variables: ["x", "y"]}, w: [1.5, -0.7], v: [0.3, 2]}) { hv value gradient method } }' }]
  ]
  for (const [body, headers] of requests) {
    const runs = []
    for (let run = 0; run < 4; run++) runs.push(seen(await post(app, '/graphql', body, headers)))
    t.equal(runs[0][0], 200, `${JSON.stringify(body).slice(0, 80)}: a valid document`)
    for (let run = 1; run < 4; run++) t.strictSame(runs[run], runs[0], `${JSON.stringify(body).slice(0, 80)}: run ${run + 1} as run 1`)
  }
  const every = JSON.parse((await post(app, '/graphql', requests[0][0])).body)
  t.strictSame(every.data.paramCount, (await post(app, '/param-count', { sizes: [32, 512, 512, 10] })).json(), 'the REST answer')
  t.match(JSON.parse((await post(app, '/graphql', requests[1][0])).body), { data: null, errors: [{ message: 'input/sizes must NOT have fewer than 2 items', extensions: { code: 'FST_ERR_VALIDATION', statusCode: 400 } }] })
  t.equal(JSON.parse((await post(app, '/graphql', requests[3][0])).body).data.paramCount.total, 25, 'the operation named')
  // Mercurius alone ran B's compiled query for A once B had been compiled (compiled.ts).
  t.equal(JSON.parse((await post(app, '/graphql', requests[4][0])).body).data.paramCount.total, 9, 'the other operation of the same text')
  // A document of several operations has its variables checked on every run, as Mercurius
  // checks a single operation's: a 400, not graphql-js' execution error.
  const several = { query: 'query A ($s: [Int!]) { paramCount(input: {sizes: $s}) { total } } query B { questions { id } }', operationName: 'A' }
  for (let run = 0; run < 4; run++) t.equal((await post(app, '/graphql', { ...several, variables: { s: [2, 3] } })).json().data.paramCount.total, 9)
  // A GET names its operation in the query string.
  const got = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(several.query)}&operationName=A&variables=${encodeURIComponent('{"s":[4,5]}')}` })
  t.equal(got.json().data.paramCount.total, 25, 'GET, the operation named')
  for (let run = 0; run < 3; run++) {
    const refused = await post(app, '/graphql', { ...several, variables: { s: ['y'] } })
    t.equal(refused.statusCode, 400, `bad variables, run ${run + 1}`)
    t.match(refused.json().errors[0].message, /^Variable "\$s" got invalid value "y" at "s\[0\]"/)
  }
})

t.test('what the compiled query would answer differently is answered by Mercurius', async (t) => {
  const app = await build(t, { limits: { graphqlMaxVariableEntries: 10 } })
  const fresh = await build(t, { limits: { graphqlMaxVariableEntries: 10 } })
  for (let run = 0; run < 3; run++) await post(app, '/graphql', { query: EVERY_FIELD, variables: { input: { sizes: [2, 3] } } })
  // Variables graphql-jit cannot coerce: Mercurius' graphql-js check, its message and status.
  const badVariables = { query: EVERY_FIELD, variables: { input: { sizes: 'x' } } }
  // Variables over GRAPHQL_MAX_VARIABLE_ENTRIES: the guard refuses, Mercurius says why.
  const tooMany = { query: EVERY_FIELD, variables: { input: { sizes: Array.from({ length: 20 }, () => 2) } } }
  const missing = { query: EVERY_FIELD }
  for (const body of [badVariables, tooMany, missing]) {
    const compiled = await post(app, '/graphql', body)
    t.strictSame(seen(compiled), seen(await post(fresh, '/graphql', body)), `${JSON.stringify(body).slice(0, 60)}: as on a fresh app`)
    // Mercurius checks variables before running only when some were sent; with none, graphql-js
    // reports the missing one as an execution error, with 200.
    t.equal(compiled.statusCode, body === missing ? 200 : 400)
  }
  t.match(JSON.parse((await post(app, '/graphql', badVariables)).body).errors[0].message, /^Variable "\$input" got invalid value "x" at "input.sizes"/)
  // An operation name that is not a string never reaches a compiled query.
  t.equal((await post(app, '/graphql', { query: EVERY_FIELD, variables: { input: { sizes: [2, 3] } }, operationName: 5 })).statusCode, 400)
  // A body the route's schema refuses stays refused once its query is compiled.
  for (const extra of [{ variables: [1, 2] }, { variables: 'abc' }, { extensions: 'x' }]) {
    const body = { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }', ...extra }
    const compiledRun = await post(app, '/graphql', body)
    t.strictSame(seen(compiledRun), seen(await post(fresh, '/graphql', body)), `${JSON.stringify(extra)}: as on a fresh app`)
    t.equal(compiledRun.statusCode, 400)
  }
  // A name and a text that read as another pair when joined do not share a compiled query.
  const named = { query: 'query a {\n  questions { id }\n}', operationName: 'a' }
  for (let run = 0; run < 3; run++) t.equal((await post(app, '/graphql', named)).statusCode, 200)
  const shifted = { query: '  questions { id }\n}', operationName: 'a\nquery a {' }
  t.strictSame(seen(await post(app, '/graphql', shifted)), seen(await post(fresh, '/graphql', shifted)), 'as on a fresh app')
  // A body that is not an object is Mercurius' to refuse.
  for (const body of ['null', '"query"', '{}']) t.equal((await post(app, '/graphql', body)).statusCode, 400, body)
})

t.test('guarded fields and mutations are never run from a compiled query without their checks', async (t) => {
  const app = await build(t, { grading: { graderToken: TOKEN, variantSecret: 'variant-secret-for-tests-0123456789' } })
  const variant = { query: '{ variant(question: "3.2-param-count", student: "20231234") { question student } }' }
  const authorized = { authorization: `Bearer ${TOKEN}` }
  for (let run = 0; run < 3; run++) t.equal((await post(app, '/graphql', variant, authorized)).json().data.variant.student, '20231234')
  const refused = await post(app, '/graphql', variant)
  t.match(refused.json(), { data: null, errors: [{ path: ['variant'], extensions: { statusCode: 401 } }] }, 'no token: refused as before compilation')
  const grade = { query: 'mutation ($input: GradeInput!) { grade(input: $input) { score } }', variables: { input: { student: '20231234', answers: [] } } }
  const answers = []
  for (let run = 0; run < 3; run++) answers.push(seen(await post(app, '/graphql', grade, authorized)))
  t.strictSame(answers[2], answers[0], 'a mutation answers the same on every run')
  // GET: Mercurius's, queries only.
  const got = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('{ paramCount(input: {sizes: [2, 3]}) { total } }')}`, headers: authorized })
  t.equal(got.json().data.paramCount.total, 9)
})

t.test('compiled documents are bounded, the oldest dropped first', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  let guarded = 0
  const compiled = compiledQueries(app, {
    guard: () => { guarded++ },
    formatErrors: mercurius.defaultErrorFormatter,
    capacity: 2
  })
  await app.register(mercurius, {
    schema: 'type Query { echo(x: Int!): Int! }',
    resolvers: { Query: { echo: (_root: unknown, args: { x: number }) => args.x } },
    jit: 1,
    additionalRouteOptions: { preHandler: compiled.preHandler }
  })
  app.graphql.addHook('preExecution', compiled.preExecution)
  const ask = async (x: number): Promise<number> => (await app.inject({ method: 'POST', url: '/graphql', payload: { query: `{ echo(x: ${x}) }` } })).json().data.echo
  // Each text is compiled at its second run and run compiled (after the guard) from its third.
  for (const x of [1, 2, 3]) {
    for (let run = 0; run < 3; run++) t.equal(await ask(x), x)
  }
  t.equal(guarded, 3, 'one compiled run each')
  t.equal(await ask(1), 1)
  t.equal(guarded, 3, 'the first text was dropped when the third was compiled: Mercurius answers it')
  t.equal(await ask(3), 3)
  t.equal(guarded, 4, 'the third is still compiled')
})

t.test('only texts of everyday size, and names the document has, are kept', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  let guarded = 0
  const compiled = compiledQueries(app, { guard: () => { guarded++ }, formatErrors: mercurius.defaultErrorFormatter })
  await app.register(mercurius, { schema: 'type Query { n: Int! }', resolvers: { Query: { n: () => 7 } }, jit: 1, additionalRouteOptions: { preHandler: compiled.preHandler } })
  app.graphql.addHook('preExecution', compiled.preExecution)
  const ask = async (payload: unknown): Promise<unknown> => (await app.inject({ method: 'POST', url: '/graphql', payload: payload as object })).json()
  const long = { query: `{ n } # ${'x'.repeat(COMPILED_TEXT_LENGTH)}` }
  for (let run = 0; run < 3; run++) t.match(await ask(long), { data: { n: 7 } })
  t.equal(guarded, 0, 'a text over COMPILED_TEXT_LENGTH is never compiled')
  for (let run = 0; run < 3; run++) await ask({ query: 'query Q { n }', operationName: 'other'.repeat(1000) })
  t.equal(guarded, 0, 'nor a name the document does not have')
  for (let run = 0; run < 3; run++) t.match(await ask({ query: 'query Q { n }', operationName: 'Q' }), { data: { n: 7 } })
  t.equal(guarded, 1, 'its own name is')
  for (let run = 0; run < 3; run++) t.match(await ask({ query: '{ n }' }), { data: { n: 7 } })
  t.equal(guarded, 2, 'and a document without a name')
  // graphql-js refuses an empty name (no operation has it); Mercurius' JIT takes it for none.
  // Either way, the answer is Mercurius' own: the same as an app without compiled queries.
  const plain = Fastify()
  t.teardown(() => plain.close())
  await plain.register(mercurius, { schema: 'type Query { n: Int! }', resolvers: { Query: { n: () => 7 } }, jit: 1 })
  for (const variables of [undefined, {}]) {
    for (let run = 0; run < 3; run++) {
      const payload = { query: `query${variables === undefined ? '' : ' ($x: Int)'} { n }`, operationName: '', variables }
      t.strictSame(await ask(payload), (await plain.inject({ method: 'POST', url: '/graphql', payload })).json(), `an empty name${variables === undefined ? '' : ', with variables'}, run ${run + 1}`)
    }
  }
  t.match(await ask({ query: '\u00001:Qquery Q { n }' }), { errors: [{ message: /Syntax Error/ }] }, 'nor is a text read as a name and a text')
  t.equal(guarded, 2, 'an empty name is a name, not none, and is left to Mercurius; a text starting with NUL too')
})

t.test('a document that cannot be compiled is left to Mercurius, and not compiled again', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  let attempts = 0
  const compiled = compiledQueries(app, {
    guard: () => { t.fail('no compiled query runs') },
    formatErrors: mercurius.defaultErrorFormatter,
    compile: () => { attempts++; return null }
  })
  await app.register(mercurius, { schema: 'type Query { n: Int! }', resolvers: { Query: { n: () => 7 } }, additionalRouteOptions: { preHandler: compiled.preHandler } })
  app.graphql.addHook('preExecution', compiled.preExecution)
  for (let run = 0; run < 5; run++) t.equal((await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ n }' } })).json().data.n, 7)
  t.equal(attempts, 1, 'one attempt, at the second run')
})

t.test('compileDocument: a serializer of its own where graphql-jit can make one, else JSON.stringify, else nothing', async (t) => {
  const schema = buildSchema('scalar Any type Query { n: Int, any: Any }')
  const typed = compileDocument(schema, parse('{ n }'), undefined)!
  t.not(typed.stringify, JSON.stringify, 'Int: a compiled serializer')
  t.equal(typed.stringify({ data: { n: 3 } }), '{"data":{"n":3}}')
  t.equal(compileDocument(schema, parse('{ any }'), undefined)!.stringify, JSON.stringify, 'a custom scalar: JSON.stringify')
  t.equal(compileDocument(schema, parse('query A { n }'), 'B'), null, 'an operation the document does not have')
})

t.test('a compiled query whose resolvers answer later is sent when they settle; a failure is the route\'s error', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  let fail: 'query' | 'serializer' | undefined
  const compiled = compiledQueries(app, {
    guard: () => {},
    formatErrors: mercurius.defaultErrorFormatter,
    // graphql-jit catches what resolvers throw; a query that rejects, or a serializer that
    // throws, all the same is a bug, which Mercurius' error handler answers rather than leave
    // the request hanging.
    compile: (schema, document, name) => {
      const query = compileDocument(schema, document, name)!
      return Object.assign(Object.create(query), {
        query: (...args: Parameters<typeof query.query>) => fail === 'query' ? Promise.reject(new Error('a bug')) : query.query(...args),
        stringify: (result: unknown) => { if (fail === 'serializer') throw new Error('a serializer bug'); return query.stringify(result) }
      })
    }
  })
  const schema = 'type Query { n: Int!, refused: Int }'
  const resolvers = { Query: { n: async () => await Promise.resolve(7), refused: async () => { throw new Error('no') } } }
  await app.register(mercurius, { schema, resolvers, jit: 1, additionalRouteOptions: { preHandler: compiled.preHandler } })
  app.graphql.addHook('preExecution', compiled.preExecution)
  // The same app without compiled queries: what Mercurius answers on its own.
  const plain = Fastify()
  t.teardown(() => plain.close())
  await plain.register(mercurius, { schema, resolvers, jit: 1 })
  const ask = async (server: typeof app, query: string): Promise<string> => (await server.inject({ method: 'POST', url: '/graphql', payload: { query } })).body
  for (let run = 0; run < 3; run++) t.equal(await ask(app, '{ n }'), '{"data":{"n":7}}', `run ${run + 1}`)
  for (let run = 0; run < 3; run++) t.equal(await ask(app, '{ n refused }'), await ask(plain, '{ n refused }'), `an error after a promise, run ${run + 1}: Mercurius' answer`)
  fail = 'query'
  t.strictSame(JSON.parse(await ask(app, '{ n }')), { data: null, errors: [{ message: 'a bug' }] }, 'Mercurius\' error, in its words')
  fail = 'serializer'
  t.strictSame(JSON.parse(await ask(app, '{ n }')), { data: null, errors: [{ message: 'a serializer bug' }] }, 'after the promise too')
})
