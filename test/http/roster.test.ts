/**
 * Rosters over HTTP (POST /variants, JSON and CSV, behind the grader token) and the students'
 * pages (GET /statements, open to whoever holds the key), in English and French; statements
 * and feedback in the language Accept-Language asks for, on REST and GraphQL alike.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import { Value } from '@sinclair/typebox/value'
import { RosterResult, StatementsResult } from '../../src/grading/schemas.js'
import { questions } from '../../src/grading/questions.js'
import { build, post } from '../helpers/app.js'
import { POOLED } from '../helpers/pool.js'

const TOKEN = 'grader-token-for-tests-0123456789'
const SECRET = 'variant-secret-for-tests-0123456789'
const grading = { graderToken: TOKEN, variantSecret: SECRET }
const bearer = { authorization: `Bearer ${TOKEN}` }
const errors = (schema: Parameters<typeof Value.Errors>[0], value: unknown) => [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)
const keyOf = (page: string): string => new URL(page).searchParams.get('key')!

t.test('POST /variants: every student\'s variants and personal link, JSON by default, CSV on request', async (t) => {
  const app = await build(t, { grading })
  const roster = await post(app, '/variants', { students: [' Ada@Example.EDU ', 'bob@example.edu'] }, bearer)
  t.equal(roster.statusCode, 200)
  t.equal(roster.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(roster.headers['cache-control'], 'no-store', 'links are keys: no cache keeps them')
  t.equal(roster.headers.vary, 'Accept, Accept-Language')
  t.equal(roster.headers['content-language'], 'en')
  const body = roster.json()
  t.strictSame(errors(RosterResult, body), [])
  t.strictSame(body.questions.map((q: { id: string }) => q.id), questions.map((q) => q.id), 'every question by default')
  t.strictSame(body.students.map((s: { student: string }) => s.student), ['ada@example.edu', 'bob@example.edu'], 'identities, normalised')
  t.match(body.students[0].page, /^http:\/\/localhost:80\/statements\?key=[A-Za-z0-9_-]{40,}$/, 'a link on the request\'s own origin')
  // The roster's variants are the students' variants, on every door.
  for (const [i, question] of questions.entries()) {
    const single = await app.inject({ url: `/questions/${question.id}/variant?student=ada%40example.edu`, headers: bearer })
    t.strictSame(body.students[0].variants[i], { question: question.id, params: single.json().params, statement: single.json().statement }, question.id)
  }
  t.strictSame((await post(app, '/variants', { students: ['ADA@example.edu', 'bob@example.edu'] }, bearer)).json(), body, 'the same roster, the same links')

  t.equal((await post(app, '/variants', { students: ['ada'] }, { ...bearer, accept: 'image/png' })).headers['content-type'], 'application/json; charset=utf-8', 'an Accept naming neither: JSON')
  const csv = await post(app, '/variants', { students: ['ada@example.edu', 'bob@example.edu'], questions: ['5.3-receptive-field', '3.2-param-count'] }, { ...bearer, accept: 'text/csv' })
  t.equal(csv.statusCode, 200)
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(csv.headers['content-disposition'], 'attachment; filename="dlcheck-roster.csv"')
  const rows = csv.body.split('\r\n')
  t.equal(rows[0], 'student,page,3.2-param-count,5.3-receptive-field')
  t.equal(rows.length, 4, 'a header, two students, the last CRLF')
  t.match(rows[1], /^ada@example\.edu,http:\/\/localhost:80\/statements\?key=[A-Za-z0-9_-]+,"\{""sizes"":\[/)

  const french = await post(app, '/variants', { students: ['ada@example.edu'], questions: ['3.2-param-count'] }, { ...bearer, 'accept-language': 'fr-CA,fr;q=0.9' })
  t.equal(french.headers['content-language'], 'fr')
  t.match(french.json().students[0], { page: /&lang=fr$/, variants: [{ statement: /^Un perceptron multicouche.*Combien de paramètres.*\*\*Correction\s:\*\* valeur exacte/s }] })

  const behind = await build(t, { grading: { ...grading, publicUrl: 'https://dlcheck.example.edu' } })
  t.match((await post(behind, '/variants', { students: ['ada'] }, bearer)).json().students[0].page, /^https:\/\/dlcheck\.example\.edu\/statements\?key=/, 'PUBLIC_URL, when set')
})

t.test('POST /variants refuses, saying what to fix', async (t) => {
  const app = await build(t, { grading, limits: { rosterMaxStudents: 3 } })
  const unauthorized = await post(app, '/variants', { students: ['ada'] })
  t.equal(unauthorized.statusCode, 401)
  t.match(unauthorized.headers['www-authenticate'], 'Bearer realm="dlcheck"')
  const over = await post(app, '/variants', { students: ['a', 'b', 'c', 'd'] }, bearer)
  t.equal(over.statusCode, 413)
  t.match(over.json().message, 'body/students has 4 entries, over the limit of 3 (ROSTER_MAX_STUDENTS); send the roster in several requests')
  const far = await post(app, '/variants', { students: Array.from({ length: 300 }, (_, i) => `s${i}`) }, bearer)
  t.equal(far.statusCode, 413, 'far over: refused before parsing, as the limit it stands for')
  t.match(far.json().message, 'far more values than a roster of ROSTER_MAX_STUDENTS (3) students needs')
  const twice = await post(app, '/variants', { students: ['ada@example.edu', ' ADA@example.edu'] }, { ...bearer, accept: 'text/csv' })
  t.equal(twice.statusCode, 400)
  t.equal(twice.headers['content-type'], 'application/json; charset=utf-8')
  t.notOk('content-disposition' in twice.headers, 'an error is no CSV download')
  t.match(twice.json().message, 'body/students/1 is the same student as body/students/0 once normalised')
  t.match((await post(app, '/variants', { students: ['ada', '\u200b'] }, bearer)).json(), { statusCode: 400, message: /^body\/students\/1 is blank once trimmed/ })
  t.match((await post(app, '/variants', { students: ['ada'], questions: ['nope'] }, bearer)).json(), { statusCode: 404, message: /^body\/questions\/0: no question 'nope'/ })
  t.match((await post(app, '/variants', { students: [] }, bearer)).json(), { statusCode: 400, message: /body\/students must NOT have fewer than 1 items/ })
  t.match((await post(app, '/variants', { students: ['ada'], extra: 1 }, bearer)).json(), { statusCode: 400, message: /unknown property 'extra'/ })
})

t.test('GET /statements: the student\'s page in HTML or JSON, English or French; a wrong key is a 404', async (t) => {
  const app = await build(t, { grading })
  const roster = (await post(app, '/variants', { students: ['ada@example.edu'], questions: ['1.4-log-softmax', '3.2-param-count'] }, bearer)).json()
  const key = keyOf(roster.students[0].page)
  // No token: the key is the permission, even with the computations closed.
  const closed = await build(t, { grading: { ...grading, computations: 'token' } })
  for (const server of [app, closed]) {
    const html = await server.inject({ url: `/statements?key=${key}` })
    t.equal(html.statusCode, 200)
    t.equal(html.headers['content-type'], 'text/html; charset=utf-8')
  }
  const html = await app.inject({ url: `/statements?key=${key}`, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
  t.match(html.headers, {
    'cache-control': 'private, no-cache',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex, nofollow',
    'content-security-policy': /default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'/,
    'content-language': 'en'
  })
  t.match(html.body, '<html lang="en">')
  t.match(html.body, '<link rel="stylesheet" href="/assets/katex/katex.min.css">')
  t.match(html.body, '<h2>Question 1.4 — Stable log-softmax</h2>')
  t.match(html.body, 'class="katex"', 'the math typeset on the server')
  t.match(html.body, '<strong>Graded:</strong> relative tolerance')
  t.equal(html.body.match(/<section /g)?.length, 2, 'the roster\'s questions only')
  t.notMatch(html.body, /<script/, 'no script')
  t.match(html.body, `<a href="/statements?key=${key}&amp;lang=fr" hreflang="fr" lang="fr">Version française</a>`)

  const french = await app.inject({ url: `/statements?key=${key}`, headers: { 'accept-language': 'fr-CA' } })
  t.match(french.body, '<html lang="fr">')
  t.match(french.body, 'Question 3.2 — Paramètres d’un MLP')
  t.equal((await app.inject({ url: `/statements?key=${key}&lang=fr`, headers: { 'accept-language': 'en' } })).headers['content-language'], 'fr', 'lang wins over Accept-Language')

  const json = await app.inject({ url: `/statements?key=${key}&lang=fr`, headers: { accept: 'application/json' } })
  t.equal(json.headers['content-type'], 'application/json; charset=utf-8')
  t.strictSame(errors(StatementsResult, json.json()), [])
  const variant = (await app.inject({ url: '/questions/3.2-param-count/variant?student=ada%40example.edu', headers: { ...bearer, 'accept-language': 'fr' } })).json()
  t.strictSame(json.json(), {
    student: 'ada@example.edu',
    language: 'fr',
    variants: [json.json().variants[0], { question: '3.2-param-count', title: variant.title, params: variant.params, statement: variant.statement }]
  }, 'the page shows the student\'s variants')

  // One page, one address: Node's base64url decoder would also take a trailing character, or
  // other unused low bits in the last one.
  for (const respelled of [`${key}A`, `${key.slice(0, -1)}${key.at(-1) === 'A' ? 'B' : 'A'}`]) {
    t.equal((await app.inject({ url: `/statements?key=${respelled}` })).statusCode, 404, `not ${respelled.slice(-6)}`)
  }
  t.equal((await app.inject({ url: `/statements?key=${key}&utm_source=mail&fbclid=x` })).statusCode, 200, 'a mailer\'s parameters are ignored')

  // Revalidated by ETag: a hash, not a render; another language or format is another tag.
  const tag = html.headers.etag as string
  t.match(tag, /^"[A-Za-z0-9_-]{27}"$/)
  const again = await app.inject({ url: `/statements?key=${key}`, headers: { 'if-none-match': `"other", ${tag}` } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  t.equal(again.headers.etag, tag)
  t.not(french.headers.etag, tag)
  t.equal((await app.inject({ url: `/statements?key=${key}`, headers: { 'if-none-match': french.headers.etag as string } })).statusCode, 200, 'the French page\'s tag is not the English page\'s')
  t.not((await app.inject({ url: `/statements?key=${key}`, headers: { accept: 'application/json' } })).headers.etag, tag)

  const cut = await app.inject({ url: `/statements?key=${key.slice(0, -1)}` })
  t.equal(cut.statusCode, 404)
  t.match(cut.json().message, 'querystring/key is not the key of a personal link of this service: check that the link was copied whole')
  const otherSecret = await build(t, { grading: { ...grading, variantSecret: 'another-variant-secret-0123456789' } })
  t.equal((await otherSecret.inject({ url: `/statements?key=${key}` })).statusCode, 404, 'a new VARIANT_SECRET: old links stop working')
  t.match((await app.inject({ url: '/statements?key=short' })).json(), { statusCode: 400, message: /querystring\/key must NOT have fewer than 40 characters/ })
  t.match((await app.inject({ url: `/statements?key=${key}&lang=de` })).json(), { statusCode: 400, message: /querystring\/lang/ })
  t.equal((await app.inject({ url: '/statements' })).statusCode, 400)

  const css = await app.inject({ url: '/assets/katex/katex.min.css' })
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  const fonts = [...css.body.matchAll(/url\((fonts\/[^)]+\.woff2)\)/g)].map((match) => match[1])
  t.ok(fonts.length >= 20, `${fonts.length} WOFF2 fonts named by the stylesheet`)
  for (const font of fonts) {
    const response = await app.inject({ url: `/assets/katex/${font}` })
    if (response.statusCode !== 200 || response.headers['content-type'] !== 'font/woff2') t.fail(`${font}: ${response.statusCode}`)
  }
  t.equal((await app.inject({ url: '/assets/katex/katex.js' })).statusCode, 404, 'only the stylesheet and fonts')
  t.equal((await app.inject({ url: '/assets/katex/../package.json' })).statusCode, 404)
})

t.test('a student id is text on the page, never markup', async (t) => {
  const app = await build(t, { grading })
  const roster = (await post(app, '/variants', { students: ['<script>alert(1)</script>"@example.edu'], questions: ['1.1-swish'] }, bearer)).json()
  const page = await app.inject({ url: `/statements?key=${keyOf(roster.students[0].page)}` })
  t.equal(page.statusCode, 200)
  t.match(page.body, '<strong>&lt;script&gt;alert(1)&lt;/script&gt;&quot;@example.edu</strong>')
  t.notMatch(page.body, '<script>')
})

t.test('rosters and pages in the worker pool: the same bytes as inline', async (t) => {
  const inline = await build(t, { grading })
  const pooled = await build(t, { grading, runtime: POOLED })
  const students = Array.from({ length: 40 }, (_, i) => `student${i}@example.edu`)
  for (const accept of ['application/json', 'text/csv']) {
    const [a, b] = await Promise.all([inline, pooled].map((app) => post(app, '/variants', { students }, { ...bearer, accept })))
    t.equal(b.statusCode, 200)
    t.equal(b.headers['content-type'], a.headers['content-type'])
    t.equal(b.body, a.body, accept)
  }
  const key = keyOf((await post(pooled, '/variants', { students: ['ada'] }, bearer)).json().students[0].page)
  const [a, b] = await Promise.all([inline, pooled].map((app) => app.inject({ url: `/statements?key=${key}` })))
  t.equal(b.statusCode, 200)
  t.equal(b.body, a.body, 'the page')
  t.match((await post(pooled, '/variants', { students: ['ada', 'ADA'] }, bearer)).json(), { statusCode: 400, message: /the same student/ }, 'a worker\'s 4xx comes back as one')
  const budget = await build(t, { grading, runtime: { ...POOLED, computeTimeoutMs: 1 } })
  t.match((await post(budget, '/variants', { students }, bearer)).json(), { statusCode: 413, message: /over the time budget of 1 ms.*see \/variants in openapi.yaml/ }, 'a roster over the time budget: refused at once')
})

t.test('Accept-Language on /questions, variants and /grade, REST and GraphQL alike', async (t) => {
  const app = await build(t, { grading })
  const fr = { ...bearer, 'accept-language': 'fr' }
  const list = await app.inject({ url: '/questions', headers: { 'accept-language': 'fr-CA,fr;q=0.9' } })
  t.equal(list.headers['content-language'], 'fr')
  t.match(list.json().questions[0], { title: 'Distance entre Swish et ReLU', statement: /^La fonction Swish.*\*\*Correction\s:\*\* à 3 chiffres significatifs/s })
  t.match((await app.inject({ url: '/questions' })).json().questions[0], { title: 'How far Swish is from ReLU', statement: /\*\*Graded:\*\* to 3 significant digits/ }, 'English by default')
  // Written once per language; revalidated by ETag.
  const english = await app.inject({ url: '/questions' })
  t.match(english.headers, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', etag: /^"[A-Za-z0-9_-]{27}"$/ })
  t.not(english.headers.etag, list.headers.etag, 'each language its own tag')
  const unchanged = await app.inject({ url: '/questions', headers: { 'if-none-match': english.headers.etag as string } })
  t.equal(unchanged.statusCode, 304)
  t.equal(unchanged.body, '')
  t.equal((await app.inject({ url: '/questions', headers: { 'if-none-match': english.headers.etag as string, 'accept-language': 'fr' } })).statusCode, 200, 'the English tag does not match the French list')
  t.strictSame((await app.inject({ url: '/questions' })).json(), english.json())

  const rest = (await app.inject({ url: '/questions/5.3-receptive-field/variant?student=ada', headers: fr })).json()
  t.match(rest.statement, /^Pour le réseau `/)
  const graphql = await post(app, '/graphql', { query: '{ variant(question: "5.3-receptive-field", student: "ada") { question student params title statement } }' }, fr)
  t.match(graphql.headers, { 'content-language': 'fr', vary: 'Accept-Language' }, 'said on the reply, as REST says it')
  t.strictSame(graphql.json().data.variant, rest, 'GraphQL answers as REST does')
  const questionsQuery = await post(app, '/graphql', { query: '{ questions { id title statement } }' }, fr)
  t.strictSame(questionsQuery.json().data.questions, list.json().questions.map((q: { id: string, title: string, statement: string }) => ({ id: q.id, title: q.title, statement: q.statement })))

  const sheet = { student: 'ada', items: [{ question: '3.2-param-count', answer: '284,682' }, { question: '5.3-receptive-field', answer: [1, 1] }] }
  const graded = await post(app, '/grade', sheet, fr)
  t.equal(graded.headers['content-language'], 'fr')
  t.match(graded.json().items, [{ invalid: true, feedback: /^invalide, attendu un nombre\s: la réponse doit être un nombre, et non la chaîne "284,682"\s: écrivez-le avec un point décimal/ }, { feedback: /^incorrect\s: / }])
  const mutation = await post(app, '/graphql', { query: 'mutation ($input: GradeInput!) { grade(input: $input) { score items { invalid feedback } } }', variables: { input: sheet } }, fr)
  t.strictSame(mutation.json().data.grade.items, graded.json().items.map((item: { invalid: boolean, feedback: string }) => ({ invalid: item.invalid, feedback: item.feedback })))
})

t.test('privacy: no student id and no key in any log line', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await build(t, { grading, logger: { level: 'debug', stream } })
  const roster = await post(app, '/variants', { students: ['Canary.Student@Example.EDU'] }, { ...bearer, accept: 'application/json' })
  const key = keyOf(roster.json().students[0].page)
  t.equal((await app.inject({ url: `/statements?key=${key}` })).statusCode, 200)
  t.equal((await app.inject({ url: `/statements?key=${key.slice(0, 30)}B${key.slice(31)}` })).statusCode, 404)
  await post(app, '/variants', { students: ['Canary.Student@Example.EDU', 'canary.student@example.edu'] }, bearer)
  const log = lines.join('')
  t.ok(lines.length >= 8, `${lines.length} log lines`)
  t.notMatch(log, /canary/i, 'no student id')
  t.notMatch(log, key.slice(0, 20), 'no key')
  t.match(log, '"url":"/statements?…"')
})
