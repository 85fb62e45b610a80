/**
 * The PrairieLearn example (examples/prairielearn/): each question's server.py, driven as
 * PrairieLearn drives it (generate, then grade for each submission) by
 * test/examples/prairielearn-drive.py, against the app listening on a port.
 */
import { spawn, spawnSync } from 'node:child_process'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { flakyFront } from '../helpers/flaky-front.js'
import { repositoryPath } from '../helpers/repository.js'

const TOKEN = 'x'.repeat(20) + 'pl'
const DRIVER = repositoryPath('test/examples/prairielearn-drive.py')

interface Submission { format_errors: Record<string, string>, partial_scores: Record<string, { score: number, feedback: string }>, score: number, feedback: Record<string, string> }
interface Driven { generated: { params: { dlcheck: unknown, statement: string }, correct_answers: { answer: unknown } }, submissions: Submission[] }

function drive (question: string, seed: number, answers: string[], env: Record<string, string>): Promise<Driven> {
  return new Promise((resolve, reject) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^DLCHECK_|_proxy$/i.test(name)))
    const child = spawn('python3', [DRIVER, repositoryPath(`examples/prairielearn/questions/${question}`), String(seed), ...answers], { env: { ...inherited, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.once('error', reject)
    child.once('close', (code) => code === 0 ? resolve(JSON.parse(stdout) as Driven) : reject(new Error(`exit ${code}: ${stderr}`)))
  })
}

const python = spawnSync('python3', ['--version'])
if (python.error !== undefined || python.status !== 0) {
  t.plan(0, 'python3 is not on PATH, and the example\'s server.py files are Python')
} else {
  const app = await buildApp({ grading: { graderToken: TOKEN, variantSecret: 's'.repeat(20) }, runtime: { maxEventLoopDelayMs: 0 } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const service = { DLCHECK_URL: url, DLCHECK_TOKEN: TOKEN }
  const variant = async (question: string, seed: number): Promise<{ params: unknown, statement: string }> =>
    await (await fetch(`${url}/questions/${question}/variant?student=pl-variant-${seed}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { params: unknown, statement: string }

  t.test('question 3.2: the variant is the service\'s for the seed; correct, wrong, and a decimal comma', async (t) => {
    const first = await drive('dlcheck-param-count', 7, [], service)
    const expected = first.generated.correct_answers.answer as number
    t.ok(Number.isInteger(expected) && expected > 0, `the correct answer: ${expected}`)
    const thousands = expected.toLocaleString('en-US')
    t.match(thousands, /,/, 'large enough to be written with a thousands separator')
    const driven = await drive('dlcheck-param-count', 7, [String(expected), String(expected + 1), thousands, '[NaN]'], service)
    const fromService = await variant('3.2-param-count', 7)
    t.strictSame(driven.generated.params, { dlcheck: fromService.params, statement: fromService.statement }, 'data["params"]: the service\'s variant for pl-variant-<seed>')
    t.not(JSON.stringify((await drive('dlcheck-param-count', 8, [], service)).generated.params), JSON.stringify(driven.generated.params), 'another seed, another variant')
    const [right, wrong, comma] = driven.submissions
    t.match(right, { score: 1, partial_scores: { answer: { score: 1, feedback: 'correct, exact' } }, format_errors: {} })
    t.match(wrong, { score: 0, partial_scores: { answer: { score: 0, feedback: /^incorrect: the answer, \d+, is off \(exact\)$/ } }, format_errors: {} })
    t.match(comma, { score: 0, partial_scores: {}, format_errors: { answer: /^invalid, expected a number: .*a point for decimals and no thousands separator/ } }, 'a format error, not graded: PrairieLearn does not use up an attempt')
    t.match(driven.submissions[3], { partial_scores: {}, format_errors: { answer: /^invalid, expected a number: the answer must be a number, got the string "\[NaN\]"/ } }, 'not JSON: a format error, not a broken question')
  })

  t.test('question 1.1: a real number, graded with the question\'s comparison', async (t) => {
    const { generated } = await drive('dlcheck-swish', 3, [], service)
    const expected = generated.correct_answers.answer as number
    const driven = await drive('dlcheck-swish', 3, [String(expected * (1 + 1e-7)), String(expected * 1.01), '0,5'], service)
    t.strictSame(driven.submissions.map((submission) => submission.score), [1, 0, 0])
    t.match(driven.submissions[1].feedback.answer, /^incorrect: the answer, [0-9.e-]+, is off \(sigfig, 3 significant digits\)$/, 'the question\'s comparison: 3 significant digits')
    t.match(driven.submissions[2].format_errors.answer, /decimal|a point for decimals/)
  })

  t.test('in French: the statement and the feedback, with "language" (DLCHECK_LANGUAGE)', async (t) => {
    const driven = await drive('dlcheck-param-count', 7, ['1', '1,5'], { ...service, DLCHECK_LANGUAGE: 'fr' })
    t.match(driven.generated.params.statement, /^Un perceptron multicouche .*\*\*Correction\s:\*\* valeur exacte/s)
    t.match(driven.submissions[0].feedback.answer, /^incorrect\s: la réponse, 1, ne correspond pas \(comparaison exacte\)$/)
    t.match(driven.submissions[1].format_errors.answer, /^invalide, attendu un nombre\s: .*point décimal/)
  })

  t.test('a busy service is waited out (Retry-After); an unreachable one fails the question\'s code', async (t) => {
    const front = await flakyFront(url)
    t.teardown(front.close)
    const driven = await drive('dlcheck-param-count', 7, [], { DLCHECK_URL: front.url, DLCHECK_TOKEN: TOKEN })
    t.strictSame(driven.generated.params.dlcheck, (await variant('3.2-param-count', 7)).params)
    t.equal(front.requests(), 3, 'the variant tried twice, then the correct answer')
    await t.rejects(drive('dlcheck-param-count', 7, [], { DLCHECK_URL: url, DLCHECK_TOKEN: 'not-the-token-' + 'w'.repeat(20) }), /answered 401/, 'a wrong token: at once')
  })
}
