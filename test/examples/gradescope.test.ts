/**
 * examples/gradescope runs as Gradescope runs it: run_autograder (bash, then grade.py with
 * python3) in a temporary AUTOGRADER_ROOT laid out as /autograder, against the app listening
 * on a port with a grader token and a variant secret.
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { flakyFront } from '../helpers/flaky-front.js'
import { repositoryPath } from '../helpers/repository.js'

const EXAMPLE = repositoryPath('examples/gradescope/')
const TOKEN = 'x'.repeat(20) + 'tok'
const STUDENT = 'ada@example.edu'
const QUESTIONS = [
  '1.1-swish', '1.2-relu-decomposition', '1.4-log-softmax', '2-logistic-mixture', '3.2-param-count', '3.2-hessian-shape', '3.6-hvp',
  '4.1-output-shape', '4.3-conv-matrix', '4.4-transposed-conv-matrix', '5.1-output-shape', '5.3-receptive-field', '3.1-largest-eigenvalue'
]

interface GradescopeTest { name: string, score: number, max_score: number, output: string }
interface Results { score: number, output?: string, visibility?: string, tests: GradescopeTest[] }
interface GradedItem { question: string, correct: boolean, expected: unknown, feedback: string }
interface Run { code: number | null, stdout: string, stderr: string }

const python = spawnSync('python3', ['--version'])
if (python.error !== undefined || python.status !== 0) {
  t.plan(0, 'python3 is not on PATH, and examples/gradescope/run_autograder runs grade.py with it')
} else {
  // Load shedding off, as the build() helper does: the test machine's own load is not the service's.
  const app = await buildApp({ grading: { graderToken: TOKEN, variantSecret: 's'.repeat(20) }, runtime: { maxEventLoopDelayMs: 0 } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`

  /** The service, as staff would call it: 200 or the test fails. */
  async function api<T> (path: string, body?: unknown): Promise<T> {
    const response = await fetch(url + path, body === undefined
      ? { headers: { authorization: `Bearer ${TOKEN}` } }
      : { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return await response.json() as T
  }

  /** What POST /grade says of these answers for STUDENT's variants. */
  async function grade (answers: Record<string, unknown>): Promise<Map<string, GradedItem>> {
    const result = await api<{ items: GradedItem[] }>('/grade', { student: STUDENT, items: QUESTIONS.map((question) => ({ question, answer: answers[question] ?? null })) })
    return new Map(result.items.map((item) => [item.question, item]))
  }

  // The correct sheet for STUDENT, from the service itself: each variant's params, then the expected answer for them.
  const variants = await Promise.all(QUESTIONS.map((id) => api<{ params: unknown }>(`/questions/${id}/variant?student=${encodeURIComponent(STUDENT)}`)))
  const reference = await api<{ items: GradedItem[] }>('/grade', { items: QUESTIONS.map((question, i) => ({ question, params: variants[i].params, answer: null })) })
  const correct: Record<string, unknown> = Object.fromEntries(reference.items.map((item) => [item.question, item.expected]))

  /** A fresh /autograder: Gradescope's metadata, and the submission's answers.json unless undefined. */
  async function autograderRoot (t: { teardown: (fn: () => unknown) => void }, answers: string | undefined): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'dlcheck-gradescope-'))
    t.teardown(() => rm(root, { recursive: true, force: true }))
    await mkdir(join(root, 'submission'))
    await writeFile(join(root, 'submission_metadata.json'), JSON.stringify({
      id: 123456,
      created_at: '2026-11-29T10:00:00.000000-08:00',
      assignment: { id: 42, title: 'Assignment 1' },
      users: [{ email: STUDENT, id: 1234, name: 'Ada Lovelace' }]
    }))
    if (answers !== undefined) await writeFile(join(root, 'submission', 'answers.json'), answers)
    return root
  }

  /** run_autograder in a child, with only the given DLCHECK_* variables (none inherited, no proxy for 127.0.0.1). */
  function run (root: string, env: Record<string, string>, script = join(EXAMPLE, 'run_autograder')): Promise<Run> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DLCHECK_|AUTOGRADER_)|_proxy$/i.test(name)))
    return new Promise((resolve, reject) => {
      const child = spawn(script, [], { env: { ...inherited, AUTOGRADER_ROOT: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', reject)
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
  }

  async function results (root: string): Promise<Results> {
    return JSON.parse(await readFile(join(root, 'results', 'results.json'), 'utf8')) as Results
  }

  const service = { DLCHECK_URL: url, DLCHECK_TOKEN: TOKEN }
  const byName = (results: Results, id: string): GradescopeTest => results.tests.find((test) => test.name.startsWith(`${id}: `))!

  t.test('answers.example.json holds the assignment\'s own answers', async (t) => {
    const example = JSON.parse(await readFile(join(EXAMPLE, 'answers.example.json'), 'utf8')) as Record<string, unknown>
    t.strictSame(Object.keys(example), QUESTIONS)
    const graded = await api<{ score: number, maxScore: number }>('/grade', { items: QUESTIONS.map((question) => ({ question, answer: example[question] })) })
    t.equal(graded.score, 13)
    t.ok(QUESTIONS.some((id) => JSON.stringify(example[id]) !== JSON.stringify(correct[id])), 'the student\'s variant is not the assignment\'s numbers')
  })

  t.test('a correct sheet for the student\'s own variant scores 13 / 13', async (t) => {
    const root = await autograderRoot(t, JSON.stringify(correct))
    const { code, stdout, stderr } = await run(root, service)
    t.equal(code, 0, stderr)
    const graded = await results(root)
    t.equal(graded.score, 13)
    t.strictSame(graded.tests.map((test) => test.name.split(':')[0]), QUESTIONS, 'one test per question, in order')
    for (const test of graded.tests) {
      t.match(test, { score: 1, max_score: 1, output: /^correct/ }, test.name)
      t.match(test.name, /^[\w.-]+: \w/, 'the id and a short title')
    }
    t.match(graded.output, /13 \/ 13/)
    t.notMatch(stdout + stderr + JSON.stringify(graded), TOKEN)
  })

  t.test('a wrong answer and a missing one score 0 with the service\'s feedback', async (t) => {
    const sheet: Record<string, unknown> = { ...correct, '3.2-param-count': (correct['3.2-param-count'] as number) + 1 }
    delete sheet['5.3-receptive-field']
    const root = await autograderRoot(t, JSON.stringify(sheet))
    const { code, stderr } = await run(root, service)
    t.equal(code, 0, stderr)
    const graded = await results(root)
    t.equal(graded.score, 11)
    t.equal(graded.tests.length, 13)
    const feedback = await grade(sheet)
    const wrong = byName(graded, '3.2-param-count')
    t.match(wrong, { score: 0, max_score: 1 })
    t.ok(wrong.output.includes(feedback.get('3.2-param-count')!.feedback), wrong.output)
    const missing = byName(graded, '5.3-receptive-field')
    t.match(missing, { score: 0, max_score: 1, output: /answers\.json has no answer for "5\.3-receptive-field"/ })
    t.ok(missing.output.includes(feedback.get('5.3-receptive-field')!.feedback), missing.output)
    t.match(graded.output, /No answer in answers\.json for: 5\.3-receptive-field/)
  })

  t.test('an answer written with a decimal comma is a format error, shown as such; a number as text is read', async (t) => {
    const count = correct['3.2-param-count'] as number
    const sheet: Record<string, unknown> = { ...correct, '3.2-param-count': count.toLocaleString('en-US'), '3.2-hessian-shape': (correct['3.2-hessian-shape'] as number[]).map(String) }
    const root = await autograderRoot(t, JSON.stringify(sheet))
    const { code, stderr } = await run(root, service)
    t.equal(code, 0, stderr)
    const graded = await results(root)
    t.match(byName(graded, '3.2-param-count'), { score: 0, output: /^Format error, not a wrong answer: your answer could not be read\. Fix its format and resubmit\.\ninvalid, expected a number: .*a point for decimals and no thousands separator/ })
    t.match(byName(graded, '3.2-hessian-shape'), { score: 1, output: /^correct/ }, 'numbers as text: read and graded')
    t.match(graded.output, /Answers that could not be read \(a format error, see each question\): 3\.2-param-count\./)
  })

  t.test('in French (DLCHECK_LANGUAGE=fr): the titles of GET /questions, the service\'s feedback and the autograder\'s own words', async (t) => {
    const count = correct['3.2-param-count'] as number
    const sheet: Record<string, unknown> = { ...correct, '3.2-param-count': count.toLocaleString('en-US'), '5.3-receptive-field': [1, 1] }
    delete sheet['1.1-swish']
    const root = await autograderRoot(t, JSON.stringify(sheet))
    const { code, stderr } = await run(root, { ...service, DLCHECK_LANGUAGE: 'fr' })
    t.equal(code, 0, stderr)
    const graded = await results(root)
    const titles = await (await fetch(`${url}/questions`, { headers: { 'accept-language': 'fr' } })).json() as { questions: Array<{ id: string, title: string }> }
    t.strictSame(graded.tests.map((test) => test.name), titles.questions.map((question) => `${question.id}: ${question.title}`), 'the service\'s French titles')
    t.match(byName(graded, '3.2-param-count').output, /^Erreur de format, pas une mauvaise réponse\s: .*\ninvalide, attendu un nombre\s: .*point décimal.*\nVos paramètres\s: /s)
    t.match(byName(graded, '5.3-receptive-field').output, /^incorrect\s: /)
    t.match(byName(graded, '1.1-swish').output, /^answers\.json n’a pas de réponse pour «\s1\.1-swish\s»\.\ninvalide, attendu un nombre\s: la réponse doit être un nombre, et non null/)
    t.match(graded.output, /^13 questions corrigées avec vos propres paramètres\s: 10 \/ 13\.\nAucune réponse dans answers\.json pour\s: 1\.1-swish\.\nRéponses illisibles .*: 3\.2-param-count\./)
    const unreadable = await autograderRoot(t, '[1, 2]')
    t.equal((await run(unreadable, { ...service, DLCHECK_LANGUAGE: 'fr' })).code, 0)
    t.match((await results(unreadable)).output, /^answers\.json doit contenir un objet JSON .*, pas une liste\.\nRien n’a été corrigé\./)
    const wrong = await run(await autograderRoot(t, '{}'), { ...service, DLCHECK_LANGUAGE: 'de' })
    t.equal(wrong.code, 1)
    t.match(wrong.stderr, 'language (config.json, or DLCHECK_LANGUAGE) must be "en" or "fr", got \'de\'')
  })

  t.test('an answers.json that is not a JSON object is graded 0 with what was expected', async (t) => {
    await Promise.all(([
      ['{"3.2-param-count": 284682,', /answers\.json is not valid JSON/],
      ['[284682]', /answers\.json must hold one JSON object/],
      [undefined, /No answers\.json in your submission/]
    ] as const).map(async ([answers, message]) => {
      const root = await autograderRoot(t, answers)
      const { code, stderr } = await run(root, service)
      t.equal(code, 0, stderr)
      const graded = await results(root)
      t.equal(graded.score, 0)
      t.match(graded.output, message)
      t.match(graded.output, /Expected answers\.json: one JSON object mapping each question id/)
      t.ok(graded.tests.every((test) => test.score === 0), 'every question at 0')
    }))
  })

  t.test('when the service refuses or cannot be reached: exit 1, no results.json, no token printed', async (t) => {
    const wrongToken = 'not-the-token-' + 'y'.repeat(20)
    await Promise.all(([
      { env: { ...service, DLCHECK_TOKEN: wrongToken }, error: /POST http:\/\/127\.0\.0\.1:\d+\/grade answered 401/ },
      { env: { DLCHECK_URL: 'http://127.0.0.1:1', DLCHECK_TOKEN: TOKEN, DLCHECK_RETRY_SECONDS: '0' }, error: /cannot reach the service at http:\/\/127\.0\.0\.1:1\/grade/ },
      { env: { DLCHECK_URL: 'http://127.0.0.1:1', DLCHECK_TOKEN: TOKEN, DLCHECK_RETRY_SECONDS: '2' }, error: /cannot reach the service .* \(gave up after 2 attempts over 2 s, DLCHECK_RETRY_SECONDS\)/ }
    ] as Array<{ env: Record<string, string>, error: RegExp }>).map(async ({ env, error }) => {
      const root = await autograderRoot(t, JSON.stringify(correct))
      const { code, stdout, stderr } = await run(root, env)
      t.equal(code, 1)
      t.notOk(existsSync(join(root, 'results', 'results.json')), 'no results.json: staff re-run, students get no 0')
      t.match(stderr, error)
      t.notMatch(stdout + stderr, wrongToken)
      t.notMatch(stdout + stderr, TOKEN)
    }))
  })

  t.test('a busy service is tried again after its Retry-After; a 401 is not', async (t) => {
    // In front of the service: the first POST gets 503 with Retry-After: 1, as an overloaded
    // replica answers; the next ones go through.
    const front = await flakyFront(url)
    t.teardown(front.close)
    const frontUrl = front.url
    const root = await autograderRoot(t, JSON.stringify(correct))
    const started = Date.now()
    const { code, stderr } = await run(root, { DLCHECK_URL: frontUrl, DLCHECK_TOKEN: TOKEN })
    t.equal(code, 0, stderr)
    t.equal(front.requests(), 2, 'tried twice')
    t.ok(Date.now() - started >= 1000, 'after the Retry-After second')
    t.match(stderr, /answered 503: Service Unavailable \(DLCHECK_OVERLOADED\): busy; retry in 1 s; trying again in 1 s/)
    t.notMatch(stderr, TOKEN)
    t.equal((await results(root)).score, 13)

    const refused = await autograderRoot(t, JSON.stringify(correct))
    const unauthorized = await run(refused, { DLCHECK_URL: url, DLCHECK_TOKEN: 'not-the-token-' + 'z'.repeat(20) })
    t.equal(unauthorized.code, 1)
    t.notMatch(unauthorized.stderr, /trying again/, 'a 401 is for staff to fix, not to wait out')
  })

  t.test('deployed as Gradescope does: config.json in source/, run_autograder copied to the root', async (t) => {
    const sheet = { ...correct, '3.2-param-count': (correct['3.2-param-count'] as number) + 1 }
    const root = await autograderRoot(t, JSON.stringify(sheet))
    await mkdir(join(root, 'source'))
    for (const file of ['run_autograder', 'grade.py']) await copyFile(join(EXAMPLE, file), join(root, 'source', file))
    await copyFile(join(EXAMPLE, 'run_autograder'), join(root, 'run_autograder'))
    await writeFile(join(root, 'source', 'config.json'), JSON.stringify({
      url: 'http://127.0.0.1:1', // DLCHECK_URL overrides it
      token: TOKEN,
      questions: ['3.2-param-count', '3.2-hessian-shape'],
      weights: { '3.2-hessian-shape': 2 },
      visibility: 'after_due_date'
    }))
    const { code, stdout, stderr } = await run(root, { DLCHECK_URL: url }, join(root, 'run_autograder'))
    t.equal(code, 0, stderr)
    const graded = await results(root)
    t.match(graded, { score: 2, visibility: 'after_due_date' })
    t.strictSame(graded.tests.map((test) => [test.name.split(':')[0], test.score, test.max_score]), [['3.2-param-count', 0, 1], ['3.2-hessian-shape', 2, 2]])
    const wrong = byName(graded, '3.2-param-count')
    t.match(wrong.output, /^incorrect: the answer, \d+, is off \(exact\)/)
    t.notOk(wrong.output.includes(String(correct['3.2-param-count'])), 'the expected answer is not shown')
    t.notMatch(stdout + stderr + JSON.stringify(graded), TOKEN)
  })
}
