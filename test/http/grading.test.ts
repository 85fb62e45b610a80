/**
 * The grading routes over HTTP: the question list, variants and /grade, the grader token
 * (RFC 6750 challenges), and a canary check that the token and the secret never leave the
 * process in a response or a log line.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import type { InjectOptions } from 'fastify'
import { Value } from '@sinclair/typebox/value'
import { GRADE_EXAMPLES, GradeResult, QuestionList, Variant } from '../../src/grading/schemas.js'
import { questions } from '../../src/grading/questions.js'
import { ErrorResponse } from '../../src/operations/schemas.js'
import { operations } from '../../src/operations/index.js'
import { Grader } from '../../src/grading/grader.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import { build, post } from '../helpers/app.js'
import { loadFixture } from '../helpers/fixtures.js'

const TOKEN = 'grader-token-for-tests-0123456789'
const SECRET = 'variant-secret-for-tests-0123456789'
const grading = { graderToken: TOKEN, variantSecret: SECRET }
const bearer = { authorization: `Bearer ${TOKEN}` }
const errors = (schema: Parameters<typeof Value.Errors>[0], value: unknown) => [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)

t.test('GET /questions lists the bank, open to everyone; each default request answers the question', async (t) => {
  const app = await build(t, { grading })
  const response = await app.inject({ url: '/questions' })
  t.equal(response.statusCode, 200)
  const list = response.json()
  t.strictSame(errors(QuestionList, list), [])
  t.strictSame(list.questions.map((q: { id: string }) => q.id), questions.map((q) => q.id))
  t.strictSame(list.questions.filter((q: { answer: { shape: string } }) => q.answer.shape === 'number').map((q: { id: string }) => q.id), ['1.1-swish', '2-logistic-mixture', '3.1-largest-eigenvalue'], 'real-number answers')
  const sheet = new Map(loadFixture<{ name: string, answer: unknown }>('questions').cases.map((c) => [c.name, c.answer]))
  for (const entry of list.questions) {
    // A client can reproduce the expected answer with the computation the entry names.
    const computed = await post(app, entry.computation.path, entry.computation.request)
    t.equal(computed.statusCode, 200, entry.id)
    const graded = await app.inject({ method: 'POST', url: '/grade', headers: bearer, payload: { items: [{ question: entry.id, answer: sheet.get(entry.id) }] } })
    t.equal(graded.json().score, 1, `${entry.id}: PyTorch's answer is correct`)
    t.match(entry, { statement: String, params: Object, paramsSchema: { type: 'object' }, answer: { shape: String, description: String }, comparison: { mode: String } })
  }
  const conv = list.questions.find((q: { id: string }) => q.id === '4.3-conv-matrix')
  t.match(conv.paramsSchema.properties.input, { anyOf: [{ maximum: 8 }, { items: { maximum: 8 } }], description: /variant-sized: larger inputs go to the computation's own route, POST \/conv-matrix.*each in 1…8$/ },
    'paramsSchema shows the bounds')
})

t.test('variants: 200 with the token, the same for the same student, 4xx otherwise', async (t) => {
  const app = await build(t, { grading })
  const get = (url: string, headers: Record<string, string> = bearer) => app.inject({ url, headers })
  const first = await get('/questions/4.3-conv-matrix/variant?student=ada%40example.edu')
  t.equal(first.statusCode, 200)
  t.strictSame(errors(Variant, first.json()), [])
  t.match(first.json(), { question: '4.3-conv-matrix', student: 'ada@example.edu', params: { kernel: Array }, statement: /kernel \$\\begin\{pmatrix\}/ })
  t.strictSame((await get('/questions/4.3-conv-matrix/variant?student=ada%40example.edu')).json(), first.json())
  const other = await build(t, { grading })
  t.strictSame((await other.inject({ url: '/questions/4.3-conv-matrix/variant?student=ada%40example.edu', headers: bearer })).json(), first.json(), 'another replica with the same secret')

  const missing = await get('/questions/4.3-conv-matrix/variant')
  t.equal(missing.statusCode, 400)
  t.match(missing.json().message, 'querystring must have the property \'student\'')
  const empty = await get('/questions/4.3-conv-matrix/variant?student=')
  t.match(empty.json().message, 'querystring/student must NOT have fewer than 1 characters')
  const unknown = await get('/questions/9.9-nothing/variant?student=ada')
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { code: 'DLCHECK_NOT_FOUND', message: /^id: no question '9\.9-nothing'/ })
})

t.test('one identity per student: NFKC, trimmed, lower-cased, on every door, and echoed', async (t) => {
  const app = await build(t, { grading })
  const variant = async (student: string) => (await app.inject({ url: `/questions/3.2-param-count/variant?student=${encodeURIComponent(student)}`, headers: bearer })).json()
  const ada = await variant('ada@example.edu')
  // A roster's spelling, an LMS export's, a trailing space, full-width letters (NFKC).
  for (const spelling of [' Ada@Example.EDU ', 'ADA@EXAMPLE.EDU', 'ada@example.edu\t', 'ａｄａ@example.edu', 'ada\u200b@example.edu\ufeff']) {
    t.strictSame(await variant(spelling), ada, JSON.stringify(spelling))
  }
  t.not((await variant('bob@example.edu')).params, ada.params, 'another student, another variant')
  const blank = await app.inject({ url: '/questions/3.2-param-count/variant?student=%20%20', headers: bearer })
  t.equal(blank.statusCode, 400)
  t.match(blank.json().message, /^querystring\/student is blank once trimmed/)
  const invisible = await app.inject({ url: '/questions/3.2-param-count/variant?student=%E2%80%8B', headers: bearer })
  t.match(invisible.json(), { statusCode: 400, message: /is blank once trimmed/ }, 'a zero-width space alone is blank')
  // U+FDFA is one character and 18 once NFKC spells it out: 15 of them pass the schema's 256.
  const long = await app.inject({ url: `/questions/3.2-param-count/variant?student=${encodeURIComponent('\ufdfa'.repeat(15))}`, headers: bearer })
  t.match(long.json(), { statusCode: 400, message: /^querystring\/student is longer than 256 characters once normalised \(NFKC\)/ })
  const graded = await post(app, '/grade', { student: ' Ada@Example.EDU ', items: [{ question: '3.2-param-count' }] }, bearer)
  t.equal(graded.json().student, 'ada@example.edu', '/grade echoes the identity')
  t.strictSame(graded.json().items[0].params, ada.params, 'and grades that student\'s variant')
  t.match((await post(app, '/grade', { student: ' ', items: [{ question: '3.2-param-count' }] }, bearer)).json(), { statusCode: 400, message: /^body\/student is blank once trimmed/ })
  const graphql = await post(app, '/graphql', { query: '{ variant(question: "3.2-param-count", student: " Ada@Example.EDU ") { student params } }' }, bearer)
  t.strictSame(graphql.json().data.variant, { student: 'ada@example.edu', params: ada.params }, 'GraphQL too')
  const mutation = await post(app, '/graphql', { query: 'mutation { grade(input: {student: "ADA@example.edu", items: [{question: "3.2-param-count"}]}) { student } }' }, bearer)
  t.strictSame(mutation.json().data.grade, { student: 'ada@example.edu' })
  const blankField = await post(app, '/graphql', { query: '{ variant(question: "3.2-param-count", student: " ") { student } }' }, bearer)
  t.match(blankField.json().errors[0], { message: /^args\/student is blank once trimmed/, extensions: { statusCode: 400 } })
})

t.test('the grader token: RFC 6750 challenges on /grade and variants, computations stay open', async (t) => {
  const app = await build(t, { grading })
  const attempts: Array<[Record<string, string>, string]> = [
    [{}, 'Bearer realm="dlcheck"'],
    [{ authorization: '' }, 'Bearer realm="dlcheck"'],
    [{ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, 'Bearer realm="dlcheck", error="invalid_request"'],
    [{ authorization: 'Bearer' }, 'Bearer realm="dlcheck", error="invalid_request"'],
    [{ authorization: `Bearer ${TOKEN}x` }, 'Bearer realm="dlcheck", error="invalid_token"'],
    [{ authorization: `Bearer ${TOKEN.slice(0, -1)}` }, 'Bearer realm="dlcheck", error="invalid_token"']
  ]
  for (const [headers, challenge] of attempts) {
    for (const request of [
      { method: 'POST' as const, url: '/grade', payload: { items: [{ question: '3.2-param-count', answer: 284682 }] } },
      { method: 'GET' as const, url: '/questions/3.6-hvp/variant?student=ada' }
    ]) {
      const response = await app.inject({ ...request, headers })
      t.equal(response.statusCode, 401, `${request.url} ${JSON.stringify(headers)}`)
      t.equal(response.headers['www-authenticate'], challenge)
      t.strictSame(errors(ErrorResponse, response.json()), [])
      t.equal(response.json().code, 'DLCHECK_UNAUTHORIZED')
    }
  }
  t.equal((await app.inject({ method: 'POST', url: '/grade', headers: { authorization: `bearer  ${TOKEN}` }, payload: { items: [{ question: '3.2-param-count', answer: 284682 }] } })).statusCode, 200, 'the scheme is case-insensitive (RFC 7235)')
  t.equal((await post(app, '/param-count', { sizes: [32, 512, 512, 10] })).statusCode, 200, 'computations need no token')
  t.equal((await app.inject({ url: '/questions' })).statusCode, 200, 'nor does the question list')
})

t.test('COMPUTATIONS=token closes the solver: every computation, /questions and /graphql need the token', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await build(t, { grading: { ...grading, computations: 'token' }, logger: { level: 'info', stream } })
  t.match(lines.join(''), /need the grader token \(COMPUTATIONS=token\)/, 'the start-up log says so')
  const closed: InjectOptions[] = [
    ...operations.map((operation) => ({ method: 'POST' as const, url: operation.path, payload: operation.examples[0].value as object })),
    { method: 'GET' as const, url: '/questions' },
    { method: 'POST' as const, url: '/graphql', payload: { query: '{ __typename }' } },
    { method: 'GET' as const, url: '/graphql?query=%7B__typename%7D' }
  ]
  for (const request of closed) {
    const refused = await app.inject(request)
    t.equal(refused.statusCode, 401, `${request.method} ${request.url} without the token`)
    t.equal(refused.headers['www-authenticate'], 'Bearer realm="dlcheck"')
    t.match(JSON.stringify(refused.json()), /computations need the grader token \(COMPUTATIONS=token/)
  }
  const wrong = await post(app, '/param-count', { sizes: [2, 3] }, { authorization: `Bearer ${TOKEN}x` })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.headers['www-authenticate'], 'Bearer realm="dlcheck", error="invalid_token"')
  t.equal((await post(app, '/param-count', { sizes: [2, 3] }, bearer)).statusCode, 200, 'with the token: answered')
  t.equal((await app.inject({ url: '/questions', headers: bearer })).statusCode, 200)
  t.strictSame((await app.inject({ method: 'POST', url: '/graphql', headers: bearer, payload: { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }' } })).json(), { data: { paramCount: { total: 9 } } })
  for (const url of ['/health', '/ready', '/', '/graphiql', '/docs/api.md']) t.equal((await app.inject({ url })).statusCode, 200, `${url} stays open`)
})

t.test('privacy: no student id in any log line; one audit line per graded item, the student hashed', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await build(t, { grading, logger: { level: 'debug', stream } })
  const student = 'Canary.Student@Example.EDU'
  await app.inject({ url: `/questions/3.2-param-count/variant?student=${encodeURIComponent(student)}`, headers: bearer })
  await app.inject({ url: `/questions/3.2-param-count/variant?student=${encodeURIComponent(student)}` })
  const rest = await post(app, '/grade', { student, items: [{ question: '3.2-param-count' }, { question: '5.3-receptive-field', answer: [7, 7] }] }, bearer)
  t.equal(rest.statusCode, 200)
  await post(app, '/graphql', { query: 'mutation ($s: String!) { grade(input: {student: $s, items: [{question: "3.2-param-count"}]}) { score } }', variables: { s: student } }, bearer)
  await app.inject({ url: `/graphql?query=${encodeURIComponent(`{ variant(question: "3.2-param-count", student: "${student}") { student } }`)}`, headers: bearer })
  // graphql-js quotes a refused value in its message: a numeric id, passed where a string goes.
  const refused = await post(app, '/graphql', { query: 'query ($s: String!) { variant(question: "3.2-param-count", student: $s) { student } }', variables: { s: 20231234 } }, bearer)
  t.match(refused.json().errors[0].message, /20231234/, 'the client is told which value')
  const log = lines.join('')
  t.ok(lines.length > 10, `${lines.length} log lines`)
  t.notMatch(log, /canary/i, 'the id appears in no log line, in no spelling')
  t.notMatch(log, /20231234/, 'nor a value graphql-js refused')
  t.match(log, '"msg":"GraphQL error"', 'the GraphQL error is logged, without its message')
  t.match(log, '"url":"/questions/3.2-param-count/variant?…"', 'query strings are left out of request lines')
  const audit = lines.map((line) => JSON.parse(line) as { msg: string, audit?: Record<string, unknown> }).filter((line) => line.msg === 'graded').map((line) => line.audit)
  const grader = new Grader(Buffer.from(SECRET, 'utf8'), DEFAULT_SERVICE_LIMITS)
  const hashed = grader.auditId(student)
  t.match(hashed, /^[0-9a-f]{16}$/)
  t.equal(grader.auditId(' canary.student@example.edu'), hashed, 'the hash of the identity, whatever the spelling')
  t.strictSame(audit, [
    { question: '3.2-param-count', student: hashed, score: 0, maxScore: 1, correct: false, invalid: true, comparison: { mode: 'exact' } },
    { question: '5.3-receptive-field', student: hashed, score: rest.json().items[1].score, maxScore: 1, correct: rest.json().items[1].correct, invalid: false, comparison: { mode: 'exact' } },
    { question: '3.2-param-count', student: hashed, score: 0, maxScore: 1, correct: false, invalid: true, comparison: { mode: 'exact' } }
  ], 'one audit line per graded item, REST and GraphQL')
  t.notMatch(JSON.stringify(audit), /expected|answer/, 'no answer key in the audit lines')
})

t.test('without GRADER_TOKEN grading is open, and the start-up log says so once', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await build(t, { logger: { level: 'info', stream } })
  const response = await post(app, '/grade', { items: [{ question: '3.2-param-count', answer: 284682 }] })
  t.equal(response.statusCode, 200)
  t.equal(lines.filter((line) => line.includes('grading is open: GRADER_TOKEN is not set')).length, 1)
  t.equal(lines.filter((line) => line.includes('VARIANT_SECRET is not set')).length, 1)
  const quiet: string[] = []
  await build(t, { grading, logger: { level: 'info', stream: new Writable({ write (chunk, _e, done) { quiet.push(String(chunk)); done() } }) } })
  t.strictSame(quiet.filter((line) => /grading is open|VARIANT_SECRET/.test(line)), [], 'no warning when both are set')
})

t.test('POST /grade: the documented examples, and grader mistakes as 4xx', async (t) => {
  const app = await build(t, { grading })
  const grade = (payload: unknown) => app.inject({ method: 'POST', url: '/grade', headers: { ...bearer, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
  for (const example of GRADE_EXAMPLES) {
    const response = await grade(example.value)
    t.equal(response.statusCode, 200, example.summary)
    t.strictSame(errors(GradeResult, response.json()), [], example.summary)
  }
  const first = (await grade(GRADE_EXAMPLES[0].value)).json()
  t.strictSame([first.score, first.maxScore], [3, 3], 'the first example is a correct sheet')
  const second = (await grade(GRADE_EXAMPLES[1].value)).json()
  t.match(second.items[1], { correct: false, score: 0, maxScore: 2, feedback: /^invalid, expected a \d+ × \d+ matrix/ })

  const cases: Array<[unknown, number, RegExp]> = [
    [{ items: [] }, 400, /body\/items must NOT have fewer than 1 items/],
    [{ items: [{ answer: 1 }] }, 400, /body\/items\/0 must have the property 'question'/],
    [{ items: [{ question: '3.2-param-count', answer: 1, comparison: { mode: 'close' } }] }, 400, /body\/items\/0\/comparison\/mode must be one of "relabs", "sigfig", "decdig", "exact", got the string "close"/],
    [{ items: [{ question: '3.2-param-count', answer: 1, comparison: { mode: 'relabs', digits: 3 } }] }, 400, /body\/items\/0\/comparison has an unknown property 'digits'; allowed: mode, rtol, atol/],
    [{ items: [{ question: '3.2-param-count', answer: 1, comparison: { mode: 'sigfig', digits: 0 } }] }, 400, /body\/items\/0\/comparison\/digits must be >= 1, got 0/],
    [{ items: [{ question: '3.2-param-count', answer: 1, weight: 0 }] }, 400, /body\/items\/0\/weight must be > 0, got 0/],
    [{ items: [{ question: '3.2-param-count', answer: 1 }], student: '' }, 400, /body\/student must NOT have fewer than 1 characters/],
    [{ items: [{ question: '3.2-param-count', params: { sizes: [2] }, answer: 1 }] }, 400, /body\/items\/0\/params\/sizes must NOT have fewer than 2 items/],
    [{ items: [{ question: '3.7', answer: 1 }] }, 404, /body\/items\/0\/question: no question '3\.7'/],
    [{ items: [{ question: '5.3-receptive-field', params: { architecture: 'Conv-3x3 →' }, answer: 1 }] }, 400, /body\/items\/0 \(5\.3-receptive-field\): architecture: syntax error at position/],
    [{ items: Array.from({ length: 101 }, () => ({ question: '3.2-param-count', answer: 1 })) }, 413, /body\/items has 101 entries, over the limit of 100 \(GRADE_MAX_ITEMS\)/]
  ]
  for (const [body, status, message] of cases) {
    const response = await grade(body)
    t.equal(response.statusCode, status, JSON.stringify(body).slice(0, 120))
    t.match(response.json().message, message)
  }
  // Grader-given params are variant-sized: a huge input is refused before anything is computed.
  const conv = { question: '4.3-conv-matrix', params: { input: [1000, 1], kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }, answer: 1 }
  const huge = await grade({ items: Array.from({ length: 25 }, () => conv) })
  t.equal(huge.statusCode, 400)
  t.match(huge.json(), { code: 'FST_ERR_VALIDATION', message: /^body\/items\/0\/params\/input\/0 must be <= 8, got 1000 \(body\/items\/0\/params\/input: input size \[H, W\] \(variant-sized: .* each in 1…8\)$/ })
  const blank = await grade({ items: [{ question: '3.2-param-count' }] })
  t.match(blank.json().items[0], { correct: false, feedback: 'expected a number: no answer was given' }, 'a missing answer is a blank, not an error')
  const infinite = await grade('{"items": [{"question": "3.2-param-count", "answer": 1e999}]}')
  t.equal(infinite.statusCode, 200, 'a non-finite answer is the student\'s mistake: graded, not refused')
  t.match(infinite.json().items[0], { correct: false, feedback: /must be a finite number, got Infinity/ })
})

t.test('canary: the token and the secret appear in no response, header or log line', async (t) => {
  const canaryToken = 'CANARY-TOKEN-7f3a9c1e5b'
  const canarySecret = 'CANARY-SECRET-2d8e4b6a0c'
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await build(t, { grading: { graderToken: canaryToken, variantSecret: canarySecret }, logger: { level: 'trace', stream } })
  const seen: string[] = []
  const send = async (options: InjectOptions) => {
    const response = await app.inject(options)
    seen.push(JSON.stringify(response.headers), response.body)
  }
  const items = [{ question: '3.6-hvp', answer: [1, 2, 3] }, { question: '1.4-log-softmax', answer: 'no' }]
  for (const authorization of [`Bearer ${canaryToken}`, `Bearer ${canaryToken}-wrong`, `Bearer ${canarySecret}`, `Basic ${canaryToken}`, undefined]) {
    const headers = authorization === undefined ? {} : { authorization }
    await send({ method: 'POST', url: '/grade', headers, payload: { student: 'ada', items } })
    await send({ method: 'POST', url: '/grade', headers, payload: { student: 'ada', items: [{ question: 'nope', answer: 1 }] } })
    await send({ method: 'GET', url: '/questions/3.6-hvp/variant?student=ada', headers })
    await send({ method: 'POST', url: '/graphql', headers, payload: { query: 'mutation { grade(input: {student: "ada", items: [{question: "3.6-hvp", answer: [1]}]}) { score items { feedback params } } }' } })
    await send({ method: 'POST', url: '/graphql', headers, payload: { query: '{ variant(question: "5.3-receptive-field", student: "ada") { params statement } }' } })
  }
  await send({ url: '/questions' })
  await send({ url: '/openapi.json' })
  await send({ url: '/README.md' })
  t.ok(lines.length > 20, `${lines.length} log lines captured`)
  t.ok(seen.some((body) => body.includes('"score"')), 'the requests did reach grading')
  for (const text of [...seen, ...lines]) {
    if (text.includes(canaryToken) || text.includes(canarySecret) || text.includes('CANARY')) t.fail(`leaked: ${text.slice(0, 300)}`)
  }
})
