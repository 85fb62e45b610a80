/**
 * GraphQL's questions, variant and grade answer as REST's /questions, /variant and /grade:
 * same data, same errors (status in extensions, messages rooted at input/), same token rule.
 */
import t from 'tap'
import { selection } from '../helpers/graphql.js'
import { buildSchema, type GraphQLObjectType } from 'graphql'
import { schemaText } from '../../src/graphql/index.js'
import { operations } from '../../src/operations/index.js'
import { GRADE_EXAMPLES } from '../../src/grading/schemas.js'
import { questions } from '../../src/grading/questions.js'
import { questionsById } from '../../src/grading/questions.js'
import { build } from '../helpers/app.js'

const schema = buildSchema(schemaText(operations))
const TOKEN = 'grader-token-for-tests-0123456789'
const bearer = { authorization: `Bearer ${TOKEN}` }

const all = (name: string) => selection(schema.getType(name) as GraphQLObjectType)

/** GraphQL answers null where REST leaves an optional field out (comparison's rtol, …). */
function withoutNulls (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== null).map(([key, inner]) => [key, withoutNulls(inner)]))
  return value
}

t.test('questions, variant and grade give REST\'s answers', async (t) => {
  const app = await build(t, { grading: { graderToken: TOKEN, variantSecret: 'variant-secret-for-tests-0123456789' } })
  const graphql = async (query: string, variables?: unknown, headers = bearer) => (await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query, variables } })).json()

  const rest = (await app.inject({ url: '/questions' })).json()
  const listed = await graphql(`{ questions ${all('Question')} }`)
  t.strictSame(withoutNulls(listed.data.questions), rest.questions)

  for (const question of questions) {
    for (const student of ['ada@example.edu', 'grace', 'élève-42']) {
      const variant = await graphql(`query ($q: String!, $s: String!) { variant(question: $q, student: $s) ${all('Variant')} }`, { q: question.id, s: student })
      const restVariant = (await app.inject({ url: `/questions/${question.id}/variant?student=${encodeURIComponent(student)}`, headers: bearer })).json()
      t.strictSame(variant.data.variant, restVariant, `${question.id} ${student}`)
    }
  }

  const sheets = [...GRADE_EXAMPLES.map((example) => example.value), {
    student: 'grace',
    items: questions.map((question, i) => ({ question: question.id, ...(i % 2 === 0 ? { answer: null } : {}), comparison: { mode: 'sigfig' as const, digits: 3 } }))
  }, {
    items: [{ question: '3.6-hvp', params: questionsById.get('3.6-hvp')!.defaults as Record<string, unknown>, answer: [4, 2.41614, 0], comparison: { mode: 'decdig' as const, digits: 4 } }]
  }]
  for (const sheet of sheets) {
    const restGrade = (await app.inject({ method: 'POST', url: '/grade', headers: bearer, payload: sheet })).json()
    const graded = await graphql(`mutation ($input: GradeInput!) { grade(input: $input) ${all('GradeResult')} }`, { input: sheet })
    t.equal(graded.errors, undefined, JSON.stringify(graded.errors))
    t.strictSame(withoutNulls(graded.data.grade), restGrade, JSON.stringify(sheet).slice(0, 100))
  }
})

t.test('errors: the REST status and message, and the token rule', async (t) => {
  const app = await build(t, { grading: { graderToken: TOKEN, variantSecret: 'variant-secret-for-tests-0123456789' } })
  const mutation = 'mutation ($input: GradeInput!) { grade(input: $input) { score } }'
  const cases: Array<[unknown, number, string]> = [
    [{ items: [{ question: '3.2-param-count', answer: 1, comparison: { mode: 'relabs', digits: 3 } }] }, 400, 'FST_ERR_VALIDATION'],
    [{ items: [{ question: '3.2-param-count', params: { sizes: [2] }, answer: 1 }] }, 400, 'FST_ERR_VALIDATION'],
    [{ items: [{ question: '3.2-param-count', answer: 1, weight: -1 }] }, 400, 'FST_ERR_VALIDATION'],
    [{ items: [{ question: 'nope', answer: 1 }] }, 404, 'DLCHECK_NOT_FOUND'],
    [{ items: [{ question: '4.3-conv-matrix', params: { input: 2, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] }, answer: 1 }] }, 422, 'DLCHECK_IMPOSSIBLE'],
    [{ items: [{ question: '4.3-conv-matrix', params: { input: [1000, 1], kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }, answer: 1 }] }, 400, 'FST_ERR_VALIDATION']
  ]
  for (const [input, statusCode, code] of cases) {
    const rest = (await app.inject({ method: 'POST', url: '/grade', headers: bearer, payload: input as object })).json()
    const [error] = (await app.inject({ method: 'POST', url: '/graphql', headers: bearer, payload: { query: mutation, variables: { input } } })).json().errors
    t.match(error.extensions, { statusCode, code }, JSON.stringify(input))
    // A union's message names its path twice: the branch's and the union's.
    t.equal(error.message, rest.message.replaceAll('body/items/', 'input/items/'), 'the same message, rooted at input/')
  }
  const variantError = (await app.inject({ method: 'POST', url: '/graphql', headers: bearer, payload: { query: '{ variant(question: "3.6-hvp", student: "") { params } }' } })).json().errors[0]
  t.match(variantError, { message: 'args/student must NOT have fewer than 1 characters', extensions: { statusCode: 400 } })
  const unknown = (await app.inject({ method: 'POST', url: '/graphql', headers: bearer, payload: { query: '{ variant(question: "9.9", student: "ada") { params } }' } })).json().errors[0]
  t.match(unknown, { message: /^id: no question '9\.9'/, extensions: { statusCode: 404 } })

  for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'Token x' }]) {
    for (const query of ['{ variant(question: "3.6-hvp", student: "ada") { params } }', 'mutation { grade(input: {items: [{question: "3.2-param-count", answer: 1}]}) { score } }']) {
      const response = (await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query } })).json()
      t.equal(response.data, null)
      t.match(response.errors[0].extensions, { code: 'DLCHECK_UNAUTHORIZED', statusCode: 401 }, `${JSON.stringify(headers)} ${query}`)
    }
  }
  const open = (await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ questions { id } paramCount(input: {sizes: [3, 4]}) { total } }' } })).json()
  t.strictSame(open.data.paramCount, { total: 16 }, 'questions and computations need no token')
})

t.test('a "__proto__" key written inline in a JSON scalar stays a key, and the schema refuses it', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'POST', url: '/graphql', payload: { query: 'mutation { grade(input: {items: [{question: "3.2-param-count", answer: 1, params: {sizes: [2, 2], __proto__: {bias: false}}}]}) { score } }' } })
  t.match(response.json().errors[0], { message: 'input/items/0/params has an unknown property \'__proto__\'; allowed: sizes, bias', extensions: { statusCode: 400 } }, 'not taken as the copy\'s prototype (which would hide it from the schema)')
})

t.test('the token is checked before graphql-js coerces the variables of grade and variant', async (t) => {
  const app = await build(t, { grading: { graderToken: TOKEN, variantSecret: 'variant-secret-for-tests-0123456789' } })
  const send = (query: string, variables?: unknown, headers: Record<string, string> = {}, operationName?: string) =>
    app.inject({ method: 'POST', url: '/graphql', headers, payload: { query, variables, operationName } })
  // What the resolver's own check answers: HTTP 200 (Mercurius' rule for an error with data
  // null and no status of its own), no WWW-Authenticate header, the error at the field.
  const unauthorized = (response: Awaited<ReturnType<typeof send>>, path: string, message = 'grading needs the grader token: send Authorization: Bearer <GRADER_TOKEN>') => {
    t.equal(response.statusCode, 200)
    t.equal(response.headers['www-authenticate'], undefined)
    const body = response.json()
    t.equal(body.data, null)
    t.strictSame(body.errors.map((e: { path: unknown, message: string, extensions: unknown }) => [e.path, e.message, e.extensions]), [[[path], message, { code: 'DLCHECK_UNAUTHORIZED', statusCode: 401 }]], JSON.stringify(body))
  }
  const MUTATION = 'mutation ($input: GradeInput!) { grade(input: $input) { score } }'
  const invalid = { input: { items: 5 } }
  const withToken = await send(MUTATION, invalid, bearer)
  t.match(withToken.json().errors[0].message, /^Variable "\$input" got invalid value 5/, 'with the token, graphql-js coerces (and refuses) the variables')
  // Runs 1 to 3 of one text with the token (Mercurius caches it, then graphql-jit compiles it),
  // then without: the cached and compiled query is refused all the same.
  const sheet = { input: GRADE_EXAMPLES[0].value }
  for (let run = 1; run <= 3; run++) t.equal((await send(MUTATION, sheet, bearer)).json().data.grade.score, 3, `with the token, run ${run}`)
  for (let run = 1; run <= 3; run++) {
    unauthorized(await send(MUTATION, invalid), 'grade')
    unauthorized(await send(MUTATION, sheet, { authorization: 'Bearer wrong-token' }), 'grade', 'the bearer token is not the grader token')
  }
  // Just over GRAPHQL_MAX_VARIABLE_ENTRIES: the body parses, and the token is checked first.
  const huge = { input: { items: [{ question: '3.6-hvp', answer: Array.from({ length: 5010 }, () => 1) }] } }
  unauthorized(await send(MUTATION, huge), 'grade')
  t.match((await send(MUTATION, huge, bearer)).json().errors[0].message, /\(GRAPHQL_MAX_VARIABLE_ENTRIES\)/, 'with the token, the variables are bounded as anyone\'s')
  // Far over it, the body is refused from its bytes before it is parsed, token or not: no
  // work is done on it at all.
  const enormous = { input: { items: [{ question: '3.6-hvp', answer: Array.from({ length: 100_000 }, () => 1) }] } }
  for (const headers of [{}, bearer]) {
    const refused = await send(MUTATION, enormous, headers)
    t.equal(refused.statusCode, 400)
    t.match(refused.json().errors[0].message, /^the body holds more than 5000 values .*\(GRAPHQL_MAX_VARIABLE_ENTRIES\)/)
  }

  const VARIANT = 'query ($q: String!, $s: String!) { variant(question: $q, student: $s) { params } }'
  unauthorized(await send(VARIANT, { q: 1, s: { nested: true } }), 'variant')
  const get = await app.inject({ url: `/graphql?query=${encodeURIComponent(VARIANT)}&variables=${encodeURIComponent('{"q": [1], "s": 2}')}` })
  unauthorized(get, 'variant')

  // Hidden behind an alias, fragments (spread twice, nested, inline) or among other fields.
  const hidden: Array<[string, string]> = [
    ['mutation ($input: GradeInput!) { score: grade(input: $input) { score } }', 'score'],
    ['mutation ($input: GradeInput!) { ...F } fragment F on Mutation { ...G } fragment G on Mutation { grade(input: $input) { score } }', 'grade'],
    ['mutation ($input: GradeInput!) { ...F ...F ... on Mutation { ... @include(if: true) { g: grade(input: $input) { score } } } } fragment F on Mutation { __typename }', 'g'],
    ['query ($s: String!) { questions { id } v: variant(question: "3.6-hvp", student: $s) { params } }', 'v']
  ]
  for (const [query, path] of hidden) unauthorized(await send(query, { input: 5, s: [] }), path)
  // The operation graphql-js would run decides, as in its buildExecutionContext.
  const TWO = 'query A { questions { id } } mutation B ($input: GradeInput!) { grade(input: $input) { score } }'
  t.equal((await send(TWO, invalid, {}, 'A')).json().data.questions.length, questions.length, 'operation A does not grade')
  unauthorized(await send(TWO, invalid, {}, 'B'), 'grade')
  t.match((await send(TWO, invalid)).json().errors[0].message, 'Must provide operation name', 'no name: graphql-js\' own error, before coercion')
  t.match((await send(TWO, invalid, {}, 'C')).json().errors[0].message, 'Unknown operation named "C"')

  // Unaffected: introspection, other fields, and texts that only mention the names.
  const open: Array<[string, RegExp | object]> = [
    ['{ __schema { mutationType { fields { name } } } }', { data: { __schema: { mutationType: { fields: [{ name: 'grade' }] } } } }],
    ['{ grade: questions { id } }', { data: { grade: questions.map((question) => ({ id: question.id })) } }],
    ['# variant, grade\n{ paramCount(input: {sizes: [1, 2]}) { total } }', { data: { paramCount: { total: 4 } } }],
    ['{ questions { ...Missing } } # grade', { errors: [{ message: 'Unknown fragment "Missing".' }] }],
    ['subscription { grade }', { errors: [{ message: 'Schema is not configured to execute subscription operation.' }] }],
    ['mutation { grade(input: ', { errors: [{ message: /^Syntax Error/ }] }]
  ]
  for (const [query, expected] of open) t.match((await send(query)).json(), expected, query)
})

t.test('the resolvers check the token too (defence in depth behind the preParsing hook)', async (t) => {
  const app = await build(t, { grading: { graderToken: TOKEN, variantSecret: 'variant-secret-for-tests-0123456789' } })
  const context = { app, reply: { request: { headers: {} } } }
  const grade = app.graphql.schema.getMutationType()!.getFields().grade.resolve!
  const variant = app.graphql.schema.getQueryType()!.getFields().variant.resolve!
  t.throws(() => grade(undefined, { input: { items: [] } }, context, undefined as never), { message: /grader token/, extensions: { code: 'DLCHECK_UNAUTHORIZED', statusCode: 401 } })
  t.throws(() => variant(undefined, { question: '3.6-hvp', student: 'ada' }, context, undefined as never), { message: /grader token/, extensions: { code: 'DLCHECK_UNAUTHORIZED', statusCode: 401 } })
})
