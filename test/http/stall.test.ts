/**
 * Regression tests for the requests that used to stall the service (legal requests whose cost
 * grew with the input ran on the main thread, or waited behind a dead worker). Each asserts
 * the decision — where the work runs, which status answers — never a timing; `npm run
 * bench:stall` measures the /health probes.
 */
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { operations } from '../../src/operations/index.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import type { Operation } from '../../src/operations/operation.js'
import { ComputationPool } from '../../src/runtime/pool.js'
import { build, post } from '../helpers/app.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
const list = (n: number, entry = '1'): string => `[${`${entry},`.repeat(n - 1)}${entry}]`
const graphql = (query: string, variables: string): string => `{"query":${JSON.stringify(query)},"variables":${variables}}`
/** Where the app's pool would run a computation of `operation` on `input`. */
const placement = (app: FastifyInstance, name: string, input: unknown): string => app.computations.placement(ComputationPool.cost(byName(name), input))
/** Counts the bodies the app hands to a worker unparsed, until the test ends. */
function watchWorkerBodies (t: Test, app: FastifyInstance): { count: number } {
  const seen = { count: 0 }
  const pool = app.computations
  const original = pool.executeBody
  pool.executeBody = async (...args) => { seen.count++; return await original.apply(pool, args) }
  t.teardown(() => { pool.executeBody = original })
  return seen
}
/** One pooled app for the tests with the default limits: each app's threads load the sources. */
const pooled = await build(t, { runtime: { workers: 1 } })

t.test('GraphQL: a variable of millions of entries is refused before it is parsed or coerced', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const swish = await post(app, '/graphql', graphql('query ($input: SwishInput!) { swish(input: $input) { values } }', `{"input":{"beta":1,"x":${list(2_000_000)}}}`))
  t.equal(swish.statusCode, 413, 'over GRAPHQL_BODY_LIMIT: 4 MB')
  t.match(swish.json(), { errors: [{ message: /GRAPHQL_BODY_LIMIT.*REST route/ }] })
  const hvp = await post(app, '/graphql', graphql('query ($input: HvpInput!) { hvp(input: $input) { hv } }', `{"input":{"model":{"kind":"mlp","sizes":[2,3,2],"activation":"tanh","loss":"mse","inputs":[[1,2]],"targets":[[0,1]]},"w":${list(400_000, '0')},"v":[1]}}`))
  t.equal(hvp.statusCode, 400, 'under the body limit, over the values a body may hold')
  t.match(hvp.json(), { errors: [{ message: /more than 5000 values .*GRAPHQL_MAX_VARIABLE_ENTRIES/ }] })
})

t.test('GraphQL: an answer too large to complete on the main thread is a 413 pointing to REST', async (t) => {
  const app = await build(t, { runtime: { workers: 1, inlineCostLimit: 0 }, limits: { graphqlMaxAnswerBytes: 1000 } })
  const answer = await post(app, '/graphql', { query: '{ convMatrix(input: {input: 8, kernelSize: 3, padding: 1}) { matrix } }' })
  t.match(answer.json(), { errors: [{ message: /over GraphQL's limit of 1000 for one request \(GRAPHQL_MAX_ANSWER_BYTES\).*POST \/conv-matrix/, extensions: { statusCode: 413 } }] })
  const rest = await post(app, '/conv-matrix', { input: 8, kernelSize: 3, padding: 1 })
  t.equal(rest.statusCode, 200, 'REST answers it')
})

t.test('a 69-byte conv-matrix request with a 20 MB answer runs in a worker', async (t) => {
  const app = pooled
  const body = { input: [15, 16], kernelSize: 64, transposed: true, format: 'sparse' }
  t.equal(placement(app, 'convMatrix', body), 'long', 'its estimate counts the answer\'s 1.3 M non-zeros')
  const response = await post(app, '/conv-matrix', body)
  t.equal(response.statusCode, 200)
  t.ok(response.rawPayload.length > 10_000_000, 'the worker\'s bytes, written out')
})

t.test('long evaluations of swish and the ReLU form run in a worker, their bodies parsed there', async (t) => {
  const app = pooled
  const bodies = watchWorkerBodies(t, app)
  const x = Array.from({ length: 500_000 }, () => 1)
  t.not(placement(app, 'swish', { beta: 1, x }), 'inline')
  t.not(placement(app, 'reluDecomposition', { breakpoints: [-1, 2], slopes: [-2, 0, 3], x }), 'inline')
  const swish = await post(app, '/swish', `{"beta":1,"x":${list(500_000)}}`)
  t.equal(swish.statusCode, 200)
  t.equal(bodies.count, 1, 'the 1 MB body went to a worker unparsed')
})

t.test('grading: huge grader-given params are refused; a costly sheet is graded in a worker', async (t) => {
  const app = pooled
  const huge = { items: Array.from({ length: 25 }, () => ({ question: '4.3-conv-matrix', params: { input: [1000, 1], kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }, answer: 0 })) }
  const refused = await post(app, '/grade', huge)
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { message: /^body\/items\/0\/params\/input\/0 must be <= 8, got 1000/ })
  const pool = app.computations
  let graded = 0
  const original = pool.grade
  pool.grade = async (sheet, options) => { graded++; return await original.call(pool, sheet, options) }
  t.teardown(() => { pool.grade = original })
  const largest = { input: 8, kernel: [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], padding: 2 }
  const costly = { items: Array.from({ length: 100 }, () => ({ question: '4.3-conv-matrix', params: largest, answer: 0 })) }
  const { Grader, sheetCost } = await import('../../src/grading/grader.js')
  const sheet = new Grader(Buffer.alloc(32), DEFAULT_SERVICE_LIMITS).prepare(costly, 'body')
  t.not(pool.placement(sheetCost(sheet)), 'inline', '100 items at the params\' bounds are graded in a worker')
  const response = await post(app, '/grade', costly)
  t.equal(response.statusCode, 200)
  t.equal(graded, 1)
  t.equal(response.json().items.length, 100)
  const mutation = await post(app, '/graphql', { query: 'mutation ($input: GradeInput!) { grade(input: $input) { maxScore } }', variables: { input: { items: costly.items.slice(0, 20) } } })
  t.strictSame(mutation.json(), { data: { grade: { maxScore: 20 } } })
  t.equal(graded, 2, 'the grade mutation goes through the pool too')
})

t.test('a body over an entry limit is refused by the worker that parses it', async (t) => {
  // Small limits stand for the 32 MB, 16 M-entry softmax: a body over WORKER_BODY_BYTES is
  // not parsed on the main thread, and the worker answers the entry limit's 413.
  const app = await build(t, { runtime: { workers: 1, workerBodyBytes: 1024 }, limits: { softmaxMaxEntries: 100 } })
  const bodies = watchWorkerBodies(t, app)
  const response = await post(app, '/softmax-stable', `{"x":${list(1000)}}`)
  t.equal(response.statusCode, 413)
  t.match(response.json(), { code: 'DLCHECK_LIMIT', message: /1000 entries, over the limit of 100 \(SOFTMAX_MAX_ENTRIES\)/ })
  t.equal(bodies.count, 1)
})

t.test('the assignment\'s MLP HVP: its 12 MB body is parsed by a worker of the long lane', async (t) => {
  const app = pooled
  const bodies = watchWorkerBodies(t, app)
  const sizes = [32, 512, 512, 10]
  const n = sizes.slice(1).reduce((sum, out, i) => sum + (sizes[i] + 1) * out, 0)
  const numbers = (seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.05)
  const body = { model: { kind: 'mlp', sizes, activation: 'relu', loss: 'cross-entropy', inputs: [Array.from({ length: 32 }, (_, i) => Math.sin(i))], targets: [3] }, w: numbers(2), v: numbers(3) }
  const responses = await Promise.all([post(app, '/hvp', body), post(app, '/hvp', body)])
  for (const response of responses) t.equal(response.statusCode, 200)
  t.strictSame(responses[0].json(), responses[1].json())
  t.equal(bodies.count, 2)
})

t.test('work estimated over the budget is a 413 at once; a lane with too much waiting is a 503 with Retry-After', async (t) => {
  const app = await build(t, { runtime: { workers: 1, computeTimeoutMs: 10_000 } })
  const epochs = DEFAULT_SERVICE_LIMITS.cornerMaxEpochs
  t.equal(placement(app, 'cornerExperiment', { epochs }), 'refused', 'both networks at the maximum are over a 10 s budget')
  const refused = await post(app, '/corner-experiment', { epochs })
  t.equal(refused.statusCode, 413)
  t.match(refused.json(), { code: 'DLCHECK_LIMIT', message: /over the time budget of 10000 ms \(COMPUTE_TIMEOUT_MS\); send a smaller input/ })
  // Two computations estimated at 6 s each against a 10 s budget: the first runs, the second
  // could not finish in time. The estimate is pinned (the work itself is far shorter), so the
  // decision does not depend on how fast this machine is.
  const corner = byName('cornerExperiment')
  const cost = corner.cost
  corner.cost = () => 6e9
  t.teardown(() => { corner.cost = cost })
  const six = { epochs: 300, residual: false }
  const first = post(app, '/corner-experiment', six)
  while (app.computations.running === 0) await new Promise((resolve) => setTimeout(resolve, 20))
  const second = await post(app, '/corner-experiment', six)
  t.equal(second.statusCode, 503)
  t.match(second.json(), { code: 'DLCHECK_OVERLOADED', message: /would not finish within the time budget/ })
  t.ok(Number(second.headers['retry-after']) >= 1, `Retry-After: ${second.headers['retry-after']}`)
  t.equal((await post(app, '/param-count', { sizes: [2, 3] })).statusCode, 200, 'small work is answered meanwhile')
  t.equal((await first).statusCode, 200)
})

t.test('a /grade body of too many values is refused from its bytes; limit checks name the limit', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const response = await post(app, '/grade', `{"items": [{"question": "3.2-param-count", "answer": ${list(100_001, '[]')}}]}`)
  t.equal(response.statusCode, 400)
  t.match(response.json(), { message: 'the body holds more than 100000 values in lists and objects; send the answers in several requests' })
  const check = byName('cornerExperiment').checkLimits!
  t.doesNotThrow(() => check({}, DEFAULT_SERVICE_LIMITS), 'the default epochs are within the limit')
  t.throws(() => check({}, { ...DEFAULT_SERVICE_LIMITS, cornerMaxEpochs: 10 }), { statusCode: 413, message: /CORNER_MAX_EPOCHS/ })
})
