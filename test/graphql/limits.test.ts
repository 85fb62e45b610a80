/** Each bound on GraphQL documents, one test apiece (declared in src/graphql/limits.ts). */
import t from 'tap'
import { startsAsJson, variablesProblem } from '../../src/graphql/limits.js'
import { build, post } from '../helpers/app.js'

const FIELD = '{ receptiveField(input: {architecture: "Conv-3x3"}) { jump region { clipped { top } } } }'

t.test('depth (GRAPHQL_MAX_DEPTH)', async (t) => {
  const app = await build(t, { limits: { graphqlMaxDepth: 3 } })
  t.equal((await post(app, '/graphql', { query: '{ receptiveField(input: {architecture: "Conv-3x3"}) { region { top } } }' })).statusCode, 200)
  const deep = await post(app, '/graphql', { query: FIELD })
  t.equal(deep.statusCode, 400)
  t.match(deep.json().errors[0].message, /the operation nests fields more than 3 deep \(GRAPHQL_MAX_DEPTH\)/)
  const fragment = await post(app, '/graphql', { query: 'fragment R on ReceptiveFieldResult { region { clipped { top } } } { receptiveField(input: {architecture: "Conv-3x3"}) { ...R } }' })
  t.match(fragment.json().errors[0].message, /more than 3 deep/, 'fragments are expanded')
  const introspection = await post(app, '/graphql', { query: '{ __schema { types { fields { type { ofType { ofType { name } } } } } } }' })
  t.equal(introspection.statusCode, 200, 'introspection is exempt, as GraphQL Armor\'s ignoreIntrospection')
})

t.test('aliases (GRAPHQL_MAX_ALIASES)', async (t) => {
  const app = await build(t, { limits: { graphqlMaxAliases: 2 } })
  t.equal((await post(app, '/graphql', { query: '{ paramCount(input: {sizes: [1, 2]}) { a: total b: total } }' })).statusCode, 200)
  const many = await post(app, '/graphql', { query: '{ paramCount(input: {sizes: [1, 2]}) { a: total b: total c: total d: total } }' })
  t.equal(many.statusCode, 400)
  t.strictSame(many.json().errors.map((e: { message: string }) => e.message), ['the document has more than 2 aliases (GRAPHQL_MAX_ALIASES)'])
})

t.test('tokens (GRAPHQL_MAX_TOKENS): large inputs belong in variables', async (t) => {
  const app = await build(t, { limits: { graphqlMaxTokens: 200 } })
  const x = Array.from({ length: 300 }, (_, i) => i)
  const inline = await post(app, '/graphql', { query: `{ softmaxStable(input: {x: [${x.join(', ')}]}) { argmax } }` })
  t.equal(inline.statusCode, 400)
  t.match(inline.json().errors[0].message, /Document contains more that 200 tokens/)
  const variables = await post(app, '/graphql', { query: 'query ($x: Logits!) { softmaxStable(input: {x: $x}) { argmax } }', variables: { x } })
  t.strictSame(variables.json(), { data: { softmaxStable: { argmax: 299 } } })
})

t.test('field selections and computations (GRAPHQL_MAX_FIELDS, GRAPHQL_MAX_COMPUTATIONS)', async (t) => {
  const app = await build(t, { limits: { graphqlMaxFields: 6, graphqlMaxComputations: 2 } })
  const fragments = `fragment G on ReceptiveFieldResult { jump start }
    { receptiveField(input: {architecture: "Conv-3x3"}) { ...G ... on ReceptiveFieldResult { ...G } } }`
  t.equal((await post(app, '/graphql', { query: fragments })).statusCode, 200, '5 fields with fragments expanded')
  const over = await post(app, '/graphql', {
    query: `fragment G on ReceptiveFieldResult { jump start receptiveField }
    { receptiveField(input: {architecture: "Conv-3x3"}) { ...G ...G } }`
  })
  t.equal(over.statusCode, 400)
  t.match(over.json().errors[0].message, /selects more than 6 fields \(GRAPHQL_MAX_FIELDS\)/)
  const computations = await post(app, '/graphql', { query: '{ a: paramCount(input: {sizes: [1, 2]}) { total } b: paramCount(input: {sizes: [1, 2]}) { total } c: paramCount(input: {sizes: [1, 2]}) { total } }' })
  t.match(computations.json().errors[0].message, /asks for 3 computations, over the limit of 2 \(GRAPHQL_MAX_COMPUTATIONS\)/)
  const cyclic = await post(app, '/graphql', { query: 'fragment A on ParamCountResult { total ...B } fragment B on ParamCountResult { ...A } { paramCount(input: {sizes: [1, 2]}) { ...A } }' })
  t.equal(cyclic.statusCode, 400, 'a fragment cycle is graphql-js\' own error, not a hang')
  t.match(cyclic.json().errors.map((e: { message: string }) => e.message).join(' '), /Cannot spread fragment "A" within itself/)
})

t.test('batched queries are off', async (t) => {
  const app = await build(t)
  const batch = await post(app, '/graphql', [{ query: '{ paramCount(input: {sizes: [1, 2]}) { total } }' }, { query: '{ paramCount(input: {sizes: [1, 2]}) { total } }' }])
  t.equal(batch.statusCode, 400)
})

t.test('the body limit is GRAPHQL_BODY_LIMIT, and its 413 says so and points to REST', async (t) => {
  const app = await build(t, { limits: { graphqlBodyLimit: 500, hvpBodyLimit: 64 * 1024 } })
  const x = Array.from({ length: 200 }, () => 1.5)
  const big = await post(app, '/graphql', { query: 'query ($x: Logits!) { softmaxStable(input: {x: $x}) { argmax } }', variables: { x } })
  t.equal(big.statusCode, 413)
  t.strictSame(big.json(), {
    data: null,
    errors: [{
      message: 'the request body is over the limit of 500 bytes (GRAPHQL_BODY_LIMIT). GraphQL is sized for exploration: send large inputs (MLP parameter vectors, long vectors) to the computation\'s REST route (POST /softmax-stable, /hvp, /newton-step, /hessian-spectrum, …), or raise GRAPHQL_BODY_LIMIT on the server',
      extensions: { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }
    }]
  })
  t.equal((await post(app, '/softmax-stable', { x })).statusCode, 200, 'REST takes it')
  const text = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/graphql' }, payload: `{ softmaxStable(input: {x: [${x.join(', ')}]}) { argmax } }` })
  t.equal(text.statusCode, 413, 'a document sent as application/graphql too')
})

t.test('values in the variables (GRAPHQL_MAX_VARIABLE_ENTRIES): counted before graphql-js coerces them', async (t) => {
  const app = await build(t, { limits: { graphqlMaxVariableEntries: 10 } })
  const SWISH = 'query ($x: [Float!], $interval: [Float!]) { swish(input: {beta: 1, x: $x, interval: $interval}) { values } }'
  t.equal((await post(app, '/graphql', { query: SWISH, variables: { x: [0, 1, 2, 3, 4, 5], interval: [-1, 1] } })).statusCode, 200, '2 variables + 6 + 2 values = 10, at the bound')
  // The resolver is not reached, and graphql-js does not coerce: "x" would be its error.
  const swish = app.graphql.schema.getQueryType()!.getFields().swish
  const resolve = swish.resolve!
  let calls = 0
  swish.resolve = (...args) => { calls++; return resolve(...args) }
  t.teardown(() => { swish.resolve = resolve })
  const over = await post(app, '/graphql', { query: SWISH, variables: { x: ['x', 1, 2, 3, 4, 5], interval: [-1, 0, 1] } })
  t.equal(over.statusCode, 400)
  t.strictSame(over.json().errors, [{
    message: 'variables.x: the variables hold more than 10 values in lists and objects, all together (GRAPHQL_MAX_VARIABLE_ENTRIES); GraphQL is sized for exploration: send large inputs (MLP parameter vectors, long vectors) to the computation\'s REST route (POST /softmax-stable, /hvp, /newton-step, /hessian-spectrum, …)',
    extensions: { code: 'FST_ERR_VALIDATION', statusCode: 400 }
  }])
  t.equal(calls, 0, 'the resolver was not reached')
  const objects = await post(app, '/graphql', { query: 'query ($input: ReceptiveFieldInput!) { receptiveField(input: $input) { jump } }', variables: { input: { layers: [{ type: 'conv', kernel: 3 }, { type: 'relu' }, { type: 'conv', kernel: 3 }, { type: 'relu' }] } } })
  t.match(objects.json().errors[0].message, /^variables\.input\.layers\[\d\]: the variables hold more than 10 values/, 'the keys of objects count: 1 + 1 + 4 + 2 + 1 + 2 + 1 values')
  const json = await post(app, '/graphql', { query: 'query ($x: Logits!) { softmaxStable(input: {x: $x}) { argmax } }', variables: { x: [[1, 2, 3], [4, 5, 6], [7, 8]] } })
  t.match(json.json().errors[0].message, /^variables\.x\[\d\]: .*\(GRAPHQL_MAX_VARIABLE_ENTRIES\)/, 'inside JSON scalars too')
  const get = await app.inject({ url: `/graphql?query=${encodeURIComponent(SWISH)}&variables=${encodeURIComponent(JSON.stringify({ x: Array.from({ length: 11 }, () => 1) }))}` })
  t.match(get.json().errors[0].message, 'GRAPHQL_MAX_VARIABLE_ENTRIES', 'GET\'s variables too')
  t.equal(calls, 0)
  t.equal((await post(app, '/graphql', { query: SWISH, variables: { x: [1] } })).statusCode, 200)
  t.equal(calls, 1, 'the spy sees a request under the bound')
})

t.test('variablesProblem reads no value of a list longer than the bound', async (t) => {
  let reads = 0
  const list = new Proxy(Array.from({ length: 1_000_000 }, () => 1), {
    get: (target, key, receiver) => {
      if (key !== 'length') reads++
      return Reflect.get(target, key, receiver)
    }
  })
  const bounds = { maxEntries: 1000, maxKeys: 500, maxNesting: 64 }
  t.match(variablesProblem({ a: [1, 2], w: list }, bounds, 'use REST'), /^variables\.w: the variables hold more than 1000 values in lists and objects, all together \(GRAPHQL_MAX_VARIABLE_ENTRIES\); use REST$/)
  t.equal(reads, 0)
  t.equal(variablesProblem({ w: Array.from({ length: 998 }, () => 1) }, bounds, ''), undefined, '1 + 998 values')
  t.equal(variablesProblem([[1], 2, 'x', null], bounds, ''), undefined, 'a list at the top (GET\'s JSON text)')
  let deep: unknown = [1]
  for (let i = 0; i < 70; i++) deep = [deep]
  t.equal(variablesProblem({ deep }, bounds, ''), `variables.deep${'[0]'.repeat(16)}…: lists and objects nest more than 64 deep (GRAPHQL_MAX_NESTING)`, 'a path is cut once, at 60 characters')
})

t.test('nesting (GRAPHQL_MAX_NESTING): brackets in the document, lists and objects in the variables', async (t) => {
  const app = await build(t, { limits: { graphqlMaxNesting: 5 } })
  const QUERY = 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { argmax } }'
  t.equal((await post(app, '/graphql', { query: '{ softmaxStable(input: {x: [[1, 2]]}) { argmax } }' })).statusCode, 200, '{ ( { [ [: 5 open at once')
  const literal = await post(app, '/graphql', { query: '{ softmaxStable(input: {x: [[[1, 2]]]}) { argmax } }' })
  t.equal(literal.statusCode, 400)
  t.match(literal.json().errors[0], { message: 'query: brackets nest more than 5 deep (GRAPHQL_MAX_NESTING); put large inputs in variables', extensions: { code: 'GRAPHQL_PARSE_FAILED', statusCode: 400 } })
  const ignored = await post(app, '/graphql', { query: '# [[[[[[\n{ softmaxStable(input: {x: [1], name: "[[[[[[\\"[["}) { argmax } }' })
  t.match(ignored.json().errors[0].message, 'SoftmaxStableInput', 'brackets in comments and strings do not count (the error is the unknown field, later)')
  const block = await post(app, '/graphql', { query: '{ softmaxStable(input: {x: [1], name: """ [[[[[ \\""" [[[[ """}) { argmax } }' })
  t.match(block.json().errors[0].message, 'SoftmaxStableInput', 'nor in block strings, escaped quotes included')
  t.equal((await post(app, '/graphql', { query: QUERY, variables: { input: { x: [[[1, 2]]] } } })).statusCode, 200, 'variables: input.x[0][0] is 5 deep')
  const deep = await post(app, '/graphql', { query: QUERY, variables: { input: { x: [[[[[1]]]]] } } })
  t.equal(deep.statusCode, 400)
  t.match(deep.json().errors[0], { message: 'variables.input.x[0][0][0][0]: lists and objects nest more than 5 deep (GRAPHQL_MAX_NESTING)', extensions: { code: 'FST_ERR_VALIDATION', statusCode: 400 } })
  const get = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(JSON.stringify({ input: { x: [[[[[1]]]]] } }))}` })
  t.match(get.json().errors[0].message, 'nest more than 5 deep', 'GET\'s variables too')
  const notJson = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(QUERY)}&variables=nope` })
  t.equal(notJson.statusCode, 400, 'GET variables that are not JSON: Mercurius\' own 400')
  const plain = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('{ softmaxStable(input: {x: [1, 3]}) { argmax } }')}` })
  t.strictSame(plain.json(), { data: { softmaxStable: { argmax: 1 } } }, 'GET without variables')
})

t.test('keys of one object in the variables (GRAPHQL_MAX_FIELDS): graphql-js would inspect the object once per unknown key', async (t) => {
  const app = await build(t, { limits: { graphqlMaxFields: 3 } })
  const QUERY = 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { argmax } }'
  const response = await post(app, '/graphql', { query: QUERY, variables: { input: { x: [1], a: 1, b: 2, c: 3 } } })
  t.equal(response.statusCode, 400)
  t.match(response.json().errors[0], { message: 'variables.input: an object with 4 keys, over the limit of 3 (GRAPHQL_MAX_FIELDS)', extensions: { code: 'FST_ERR_VALIDATION' } })
  const long = await post(app, '/graphql', { query: QUERY, variables: { input: { [`${'k'.repeat(70)}`]: { inner: { a: 1, b: 2, c: 3, d: 4 } } } } })
  t.match(long.json().errors[0].message, /^variables\.input\.k{70}…: an object with 4 keys/, 'a long path is cut')
})

t.test('a query that is JSON is refused, not taken as an AST (which would skip GRAPHQL_MAX_TOKENS)', async (t) => {
  const app = await build(t)
  for (const query of ['{}', '[]', '1', '{"kind": "Document", "definitions": []}']) {
    const response = await post(app, '/graphql', { query })
    t.equal(response.statusCode, 400, query)
    t.equal(response.json().errors[0].message, 'query: this starts as JSON, not as a GraphQL document; send the document as text (pre-parsed ASTs are not accepted)')
  }
})

t.test('startsAsJson: what JSON can start with and a GraphQL document cannot', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['{}', true], ['{\n}', true], ['[]', true], ['1', true], ['-2', true], ['"x"', true], ['true', true], [' null ', true],
    ['{"kind": "Document", "definitions": []}', true],
    ['{ a }', false], ['query { a }', false], ['fragment F on Q { a }', false], ['# {}\n{ a }', false], ['nullable', false],
    ['{ "a" }', true], ['[1,', true], ['"unterminated', true]
  ]
  for (const [text, json] of cases) t.equal(startsAsJson(text), json, JSON.stringify(text))
})

t.test('a long document is measured by the bounds before graphql-js validates it', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  // A thousand fields in 17 KB: graphql-js' overlapping-fields rule would compare them pairwise.
  const many = await post(app, '/graphql', { query: `{ ${'questions { id } '.repeat(1000)}}` })
  t.equal(many.statusCode, 400)
  t.strictSame(many.json().errors.map((error: { message: string }) => error.message), [
    'the operation asks for 1000 computations, over the limit of 5 (GRAPHQL_MAX_COMPUTATIONS); send them as separate requests',
    'the operation selects more than 500 fields (GRAPHQL_MAX_FIELDS)'
  ], 'the same errors as Mercurius\' own validation')
  const long = `{ paramCount(input: {sizes: [1, 2]}) { total ${'# padding to make the text long\n'.repeat(20)} } }`
  for (let run = 0; run < 2; run++) t.strictSame((await post(app, '/graphql', { query: long })).json(), { data: { paramCount: { total: 4 } } }, `a long valid document, run ${run + 1}`)
  t.match((await post(app, '/graphql', { query: `{ paramCount(input: {sizes: [1, 2]}) { ${'total '.repeat(200)} } ` })).json(), { errors: [{ message: /^Syntax Error/ }] }, 'a long document that does not parse: graphql-js\' own error')
})

t.test('errors raised while the body is read carry their code and status', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const proto = await post(app, '/graphql', '{"query": "{ questions { id } }", "variables": {"__proto__": {}}}')
  t.equal(proto.statusCode, 400)
  t.match(proto.json().errors[0], { message: /has the key "__proto__"/, extensions: { code: 'DLCHECK_FORBIDDEN_KEY', statusCode: 400 } })
  const charset = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json; charset=utf-16' }, payload: '{"query": "{ questions { id } }"}' })
  t.equal(charset.statusCode, 415)
  t.match(charset.json().errors[0].extensions, { code: 'DLCHECK_UNSUPPORTED_MEDIA_TYPE', statusCode: 415 })
})

t.test('the answers of one request, all together, are bounded (GRAPHQL_MAX_ANSWER_BYTES)', async (t) => {
  // One answer is 943 bytes of JSON (its matrix, and the output map of its symbolic kernel).
  const app = await build(t, { runtime: { workers: 1, inlineCostLimit: 0 }, limits: { graphqlMaxAnswerBytes: 1500 } })
  const field = (alias: string): string => `${alias}: convMatrix(input: {input: 3, kernelSize: 2}) { matrix }`
  const one = await post(app, '/graphql', { query: `{ ${field('a')} }` })
  t.equal(one.json().data.a.matrix.length, 4, 'one answer fits')
  const two = await post(app, '/graphql', { query: `{ ${field('a')} ${field('b')} }` })
  const errors = two.json().errors as Array<{ message: string, path: string[] }>
  t.equal(errors.length, 1, 'the answer that passes the total is refused')
  t.match(errors[0].message, /^the answers come to \d+ bytes of JSON, over GraphQL's limit of 1500 for one request/)
})
