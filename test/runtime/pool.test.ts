/**
 * The worker pool: where each computation runs (inline, short lane, long lane), admission by
 * estimated work, a pool that heals, and a shutdown that answers every task. Decisions and
 * statuses are asserted, never timings.
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import type { Piscina } from 'piscina'
import { disconnection } from '../../src/runtime/disconnection.js'
import { ComputationError } from '../../src/math/errors.js'
import { operations } from '../../src/operations/index.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import type { Operation } from '../../src/operations/operation.js'
import { DEFAULT_RUNTIME } from '../../src/runtime/options.js'
import { answerValue, ClientClosedError, ComputationPool, WorkerError, type Answer } from '../../src/runtime/pool.js'
import compute, { taskBytes } from '../../src/runtime/worker.js'
import { tableBodies } from '../helpers/bodies.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
/** Everything pooled: one short thread, one long thread. */
const POOLED = { ...DEFAULT_RUNTIME, workers: 1, longWorkers: 1, queueLimit: 4, computeTimeoutMs: 60_000, inlineCostLimit: 0 }
/** An operation whose estimate is `ns`, whatever the input: it decides the lane and admission. */
const estimated = (name: string, ns: number): Operation => ({ ...byName(name), cost: () => ns })
const SECOND = 1e9
/** About half a second of work in a worker (the corner experiment's plain network), estimated at 8 s. */
const LONG = { epochs: 300, residual: false }
const corner = estimated('cornerExperiment', 8 * SECOND)
const text = (answer: Answer): string => 'bytes' in answer ? Buffer.from(answer.bytes).toString('utf8') : JSON.stringify(answer.value)

async function rejection (promise: Promise<unknown>): Promise<Error & { statusCode?: number, code?: string, retryAfterSeconds?: number }> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/** The piscina pools behind the lanes (private: the tests reach in to kill a thread). */
const piscinaOf = (pool: ComputationPool, lane: 'short' | 'long'): Piscina => (pool as unknown as { lanes: Record<string, { piscina: Piscina }> }).lanes[lane].piscina

async function until (condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  if (!condition()) throw new Error(`waited 60 s for ${what}`)
}

t.test('a pooled computation answers as the inline one, errors included', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  for (const operation of operations) {
    for (const body of tableBodies(operation)) {
      const answer = await pool.execute(operation, body)
      t.equal('bytes' in answer, ComputationPool.cost(operation, body) > 0, `${operation.name}: a worker answers with bytes`)
      t.strictSame(answerValue(answer), JSON.parse(JSON.stringify(operation.run(body, DEFAULT_LIMITS))), `${operation.name}: ${JSON.stringify(body).slice(0, 80)}`)
    }
  }
  const error = await rejection(pool.execute(byName('convMatrix'), { input: 2, kernelSize: 5 }))
  t.ok(error instanceof ComputationError)
  t.match(error, { statusCode: 422, code: 'DLCHECK_IMPOSSIBLE', message: /kernel/ }, 'the worker\'s 422 keeps its status, code and message')
  const bug = { ...estimated('paramCount', SECOND), name: 'no-such-operation' }
  const internal = await rejection(pool.execute(bug, {}))
  t.ok(internal instanceof WorkerError, 'a bug in a worker is an internal error (500), not a 4xx or a lost thread')
  t.match((internal as WorkerError).workerStack, /TypeError/)
  const picture = await pool.execute(byName('convMatrix'), { input: 3, kernelSize: 3 }, { picture: true })
  t.match(picture, { type: 'svg' })
  t.match(text(picture), /^<svg /, 'a picture is drawn by the worker')
})

t.test('cheap computations and a pool of 0 workers run inline; estimates that fail count as nothing', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_LIMITS)
  t.equal(inline.saturated, false)
  t.equal(inline.queued, 0)
  t.equal(inline.ready, true, 'no pool: ready at once')
  const answer = await inline.execute(byName('paramCount'), { sizes: [32, 512, 512, 10] })
  t.match(answer, { value: { total: 284682 } }, 'inline: the value itself')
  t.match(answerValue(answer), { total: 284682 })
  const body = await inline.executeBody(byName('paramCount'), Buffer.from('{"sizes": [2, 3]}'))
  t.match(answerValue(body), { total: 9 }, 'no pool: a large body is parsed inline')
  await inline.close()
  const odd: Operation = { ...byName('softmaxStable'), cost: () => { throw new Error('no estimate') } }
  t.equal(ComputationPool.cost(odd, {}), 0, 'an estimate that throws means inline: run will refuse the input itself')
  t.equal(ComputationPool.cost({ ...odd, cost: () => NaN }, {}), 0)
  t.equal(ComputationPool.cost({ ...odd, cost: () => -1 }, {}), 0)
  t.equal(ComputationPool.cost(byName('softmaxStable'), { x: [[1, 2], [3]] }), byName('softmaxStable').cost({ x: [[1, 2], [3]] }), 'the operation\'s estimate')
})

t.test('work estimated over the time budget is refused at once with 413', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 1000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const error = await rejection(pool.execute(estimated('softmaxStable', 2 * SECOND), { x: [1] }))
  t.match(error, { statusCode: 413, code: 'DLCHECK_LIMIT', message: /estimated at about 2\.0 s of CPU, over the time budget of 1000 ms \(COMPUTE_TIMEOUT_MS\); send a smaller input .*\/softmax-stable/ })
  const inline = new ComputationPool({ ...POOLED, workers: 0, computeTimeoutMs: 1000 }, DEFAULT_LIMITS)
  t.match(await rejection(inline.execute(estimated('softmaxStable', 2 * SECOND), { x: [1] })), { statusCode: 413 }, 'without a pool too')
})

t.test('short work never waits behind long work', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const order: string[] = []
  const long = pool.execute(corner, LONG).then(() => order.push('long'))
  await until(() => pool.queued === 0 && (pool as unknown as { lanes: { long: { running: Set<unknown> } } }).lanes.long.running.size === 1, 'the long task to start')
  const short = pool.execute(estimated('softmaxStable', 0.01 * SECOND), { x: [0, -40] }).then(() => order.push('short'))
  await Promise.all([long, short])
  t.strictSame(order, ['short', 'long'], 'the short lane answered while the long lane was busy')
})

t.test('admission by estimated work: 503 with Retry-After the estimated wait, and the count limit', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 20_000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const running = pool.execute(corner, LONG)
  const waiting = pool.execute(corner, LONG)
  t.equal(pool.queued, 1, 'one running, one waiting')
  // 8 s running + 8 s waiting: a third 8 s task would end at about 24 s, over the 20 s budget.
  const refused = await rejection(pool.execute(corner, LONG))
  t.match(refused, { statusCode: 503, code: 'DLCHECK_OVERLOADED', message: /long-lane workers have about \d.* s of work waiting.*COMPUTE_TIMEOUT_MS/ })
  t.ok(refused.retryAfterSeconds! >= 15 && refused.retryAfterSeconds! <= 16, `Retry-After is the estimated wait: ${refused.retryAfterSeconds}`)
  const counted = new ComputationPool({ ...POOLED, queueLimit: 0 }, DEFAULT_LIMITS)
  t.teardown(() => counted.close())
  const first = counted.execute(corner, LONG)
  t.equal(counted.saturated, true, 'a busy lane with a full queue is saturated (for /ready)')
  t.match(await rejection(counted.execute(corner, LONG)), { statusCode: 503, code: 'DLCHECK_OVERLOADED', message: /0 computations are waiting \(QUEUE_LIMIT\)/ })
  await Promise.all([running, waiting, first])
})

t.test('the time budget stops a runaway computation with 503; a fresh thread takes the next task', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 3000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  const error = await rejection(pool.execute(estimated('cornerExperiment', 1 * SECOND), { epochs: 5000 }))
  t.match(error, { statusCode: 503, code: 'DLCHECK_TIMEOUT', message: /time budget of 3000 ms \(COMPUTE_TIMEOUT_MS\)/ })
  // The replacement thread loads the sources again (seconds on a busy machine), and a task's
  // budget counts its wait: the next task goes in once the lane is up.
  await piscinaOf(pool, 'long').run({ kind: 'ping' })
  t.match(answerValue(await pool.execute(estimated('softmaxStable', 1 * SECOND), { x: [0, -40] })), { logSumExp: 4.248354255291589e-18 })
})

t.test('a client that goes away cancels its task, and the task queued behind it starts on a fresh thread', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const controller = new AbortController()
  const pending = pool.execute(corner, LONG, { disconnection: () => controller.signal })
  const queued = pool.execute(estimated('paramCount', 1 * SECOND), { sizes: [2, 2] })
  t.equal(pool.queued, 1)
  setTimeout(() => controller.abort(), 50)
  t.ok(await rejection(pending) instanceof ClientClosedError)
  t.match(answerValue(await queued), { total: 6 }, 'answered, not left waiting for the budget')
  let made = 0
  await pool.execute(estimated('paramCount', SECOND), { sizes: [2, 2] }, { disconnection: () => { made++; return new AbortController().signal } })
  t.equal(made, 1, 'a pooled computation makes its disconnection signal')
  const inline = new ComputationPool({ ...POOLED, inlineCostLimit: Infinity }, DEFAULT_LIMITS)
  t.teardown(() => inline.close())
  await inline.execute(estimated('paramCount', SECOND), { sizes: [2, 2] }, { disconnection: () => { made++; return controller.signal } })
  t.equal(made, 1, 'an inline computation makes none')
  t.ok(await rejection(pool.execute(corner, LONG, { disconnection: () => controller.signal })) instanceof ClientClosedError, 'a client gone before its task was queued')
})

t.test('a task whose thread dies gets a retryable 503, and the lane heals', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  const pending = pool.execute(corner, LONG)
  // The thread is killed while it runs the task (started a moment ago: the lane was idle).
  await new Promise((resolve) => setTimeout(resolve, 200))
  void piscinaOf(pool, 'long').threads[0].terminate()
  const error = await rejection(pending)
  t.match(error, { statusCode: 503, code: 'DLCHECK_WORKER_LOST', retryAfterSeconds: 1 })
  t.match(answerValue(await pool.execute(corner, { epochs: 1, residual: false })), { runs: Array }, 'the next task runs on a replacement thread')
})

t.test('a large body parsed by a worker: the same errors as Fastify\'s, the budget checked after parsing', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 60_000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const softmax = byName('softmaxStable')
  const body = (value: string): Buffer => Buffer.from(value)
  t.match(answerValue(await pool.executeBody(softmax, body('{"x": [0, -40]}'))), { logSumExp: 4.248354255291589e-18 })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1, "a"]}'))), { statusCode: 400, code: 'FST_ERR_VALIDATION', message: 'body/x/1 must be a finite number, got the string "a" (body/x: logits: a vector, or a matrix whose rows are independent vectors)' })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1,'))), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1], "__proto__": {}}'))), { statusCode: 400, code: 'DLCHECK_FORBIDDEN_KEY', message: /body has the key "__proto__"/ })
  const tight = new ComputationPool({ ...POOLED, computeTimeoutMs: 5000 }, DEFAULT_LIMITS)
  t.teardown(() => tight.close())
  const corners = `{"epochs": ${DEFAULT_LIMITS.cornerMaxEpochs}}`
  t.match(await rejection(tight.executeBody(byName('cornerExperiment'), body(corners))), { statusCode: 413, message: /over the time budget of 5000 ms/ }, 'refused by the worker once it knows the estimate')
  const slice = Buffer.from('  {"x": [3]}').subarray(2)
  t.match(answerValue(await pool.executeBody(softmax, slice)), { argmax: 0 }, 'a view into a larger buffer is copied before it moves')
  const svg = await pool.executeBody(byName('convMatrix'), body('{"input": 3, "kernelSize": 3}'), { picture: true })
  t.match(text(svg), /^<svg /)
})

t.test('grading: inline when small, in a worker above the inline limit', async (t) => {
  const { Grader } = await import('../../src/grading/grader.js')
  const grader = new Grader(Buffer.from('a secret of sixteen bytes'), DEFAULT_LIMITS)
  const sheet = grader.prepare({ items: [{ question: '3.2-param-count', params: { sizes: [3, 4, 2], bias: false }, answer: 20 }] }, 'body')
  const inline = new ComputationPool({ ...POOLED, inlineCostLimit: Infinity }, DEFAULT_LIMITS)
  t.teardown(() => inline.close())
  const pooled = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pooled.close())
  const here = await inline.grade(sheet)
  t.ok('value' in here)
  t.match(here, { value: { score: 1, maxScore: 1 } })
  const there = await pooled.grade(sheet)
  t.ok('bytes' in there)
  t.strictSame(answerValue(there), JSON.parse(JSON.stringify((here as { value: unknown }).value)))
})

t.test('shutdown: tasks admitted are answered, the ones out of time with 503; nothing new is admitted', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  await until(() => pool.ready, 'the threads')
  const quick = pool.execute(estimated('paramCount', 0.1 * SECOND), { sizes: [2, 2] })
  const slow = rejection(pool.execute(corner, { epochs: 5000, residual: false }))
  const behind = rejection(pool.execute(corner, LONG))
  await pool.drain(1000)
  t.match(answerValue(await quick), { total: 6 }, 'a task that finishes in time is answered')
  for (const task of [slow, behind]) t.match(await task, { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN', retryAfterSeconds: 1 })
  t.match(await rejection(pool.execute(corner, LONG)), { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN' })
  await pool.close()
})

t.test('ready once every lane has a thread up', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  t.equal(pool.ready, false, 'threads still loading')
  await until(() => pool.ready, 'the threads')
  t.equal(pool.ready, true)
})

t.test('the disconnection signal of a response', async (t) => {
  const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()))
  const open = response()
  const signal = disconnection(open)
  t.equal(signal.aborted, false, 'open: not aborted')
  open.emit('close') // what Node emits when the socket closes under an unfinished response
  t.equal(signal.aborted, true, 'aborted when the response closes unfinished')
  const gone = response()
  gone.destroy()
  t.equal(disconnection(gone).aborted, true, 'a client gone before the task was handed over: aborted at once')
})

t.test('the worker module: bytes, 4xx as data, internal errors as data', async (t) => {
  const limits = DEFAULT_LIMITS
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'operation', name: 'paramCount', input: { sizes: [3, 4] }, limits, picture: false, estimateNs: 0 })).toString()), { total: 16 })
  t.strictSame(compute({ kind: 'operation', name: 'paramCount', input: {}, limits, picture: false, estimateNs: 0 }), { error: { statusCode: 400, code: 'DLCHECK_INVALID_REQUEST', message: 'body must have exactly one of sizes and architecture' } })
  t.match(compute({ kind: 'operation', name: 'nope', input: {}, limits, picture: false, estimateNs: 0 }), { internal: /TypeError/ })
})

t.test('a task that can no longer finish in its budget when a thread is free is not started', async (t) => {
  const limits = DEFAULT_LIMITS
  const late = Date.now() - 1
  t.match(compute({ kind: 'operation', name: 'paramCount', input: { sizes: [2, 2] }, limits, picture: false, estimateNs: 1e6, deadline: late }), { error: { statusCode: 503, code: 'DLCHECK_OVERLOADED', retryAfterSeconds: 1, message: /could no longer finish within its time budget/ } })
  t.match(compute({ kind: 'grade', sheet: { items: [] }, limits, estimateNs: 1e6, deadline: late }), { error: { statusCode: 503 } })
  const body = Buffer.from('{"sizes": [2, 2]}')
  t.match(compute({ kind: 'body', name: 'paramCount', bytes: body, limits, picture: false, budgetNs: 1e12, deadline: late }), { error: { statusCode: 503 } }, 'a body: once its estimate is known')
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'body', name: 'paramCount', bytes: body, limits, picture: false, budgetNs: 1e12, deadline: Date.now() + 60_000 })).toString()), { total: 6 })
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'grade', sheet: { items: [] }, limits, estimateNs: 0 })).toString()), { score: 0, maxScore: 0 })
  t.equal(taskBytes({ kind: 'ping' }).length, 0)
  const svg = Buffer.from(taskBytes({ kind: 'body', name: 'convMatrix', bytes: Buffer.from('{"input": 3, "kernelSize": 2}'), limits, picture: true, budgetNs: 1e12 })).toString()
  t.match(svg, /^<svg /)
  const overLimit = compute({ kind: 'body', name: 'cornerExperiment', bytes: Buffer.from(`{"epochs": ${limits.cornerMaxEpochs + 1}}`), limits, picture: false, budgetNs: 1 })
  t.match(overLimit, { error: { statusCode: 413, message: /CORNER_MAX_EPOCHS/ } }, 'over the budget and over a limit: the limit\'s 413')

  // Over HTTP-free pool calls: a queue that ran longer than estimated.
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 2000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  const underestimated = estimated('cornerExperiment', 0.5 * SECOND)
  const first = pool.execute(underestimated, { epochs: 1000, residual: false }).catch((error: Error) => error)
  const second = await rejection(pool.execute(estimated('cornerExperiment', 1.2 * SECOND), { epochs: 1, residual: false }))
  t.match(second, { statusCode: 503 }, 'refused, by the worker or by the budget, never run late')
  await first
})

t.test('a task the pool cannot send to a thread is a bug (500), not a lost thread', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const error = await rejection(pool.execute(estimated('paramCount', SECOND), { sizes: [2, 2], f: () => 1 }))
  t.ok(error instanceof WorkerError, `${error.name}: ${error.message}`)
})

t.test('a thread that fails its first ping is pinged again', async (t) => {
  const { Piscina } = await import('piscina')
  const run = Piscina.prototype.run
  let failed = 0
  Piscina.prototype.run = function (this: InstanceType<typeof Piscina>, task: { kind?: string }, options?: object) {
    if (task.kind === 'ping' && failed++ === 0) return Promise.reject(new Error('lost while loading'))
    return run.call(this, task, options)
  } as typeof run
  t.teardown(() => { Piscina.prototype.run = run })
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the second ping')
  t.ok(failed >= 2)
  t.equal(pool.running, 0)
  const closed = new ComputationPool(POOLED, DEFAULT_LIMITS)
  await closed.close()
  t.equal(closed.ready, false, 'a closed pool pings no more')
  t.equal(new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_LIMITS).running, 0)
})

t.test('grading: a sheet over the budget is a 413; a deep answer a 400', async (t) => {
  const { Grader } = await import('../../src/grading/grader.js')
  const grader = new Grader(Buffer.from('a secret of sixteen bytes'), DEFAULT_LIMITS)
  const sheet = grader.prepare({ items: [{ question: '3.2-param-count', answer: 1 }] }, 'body')
  const pool = new ComputationPool({ ...POOLED, workers: 0, computeTimeoutMs: 0 }, DEFAULT_LIMITS)
  t.match(await rejection(pool.grade(sheet)), { statusCode: 413, message: /over the time budget of 0 ms .*\/grade/ })
  let deep: unknown = 1
  for (let i = 0; i < 9; i++) deep = [deep]
  t.throws(() => grader.prepare({ items: [{ question: '3.2-param-count', answer: deep }] }, 'body'), { statusCode: 400, message: 'body/items/0/answer nests lists more than 8 deep; an answer is a number, a list or a matrix' })
  t.doesNotThrow(() => grader.prepare({ items: [{ question: '3.2-param-count', answer: (deep as unknown[])[0] }] }, 'body'), '8 deep is a (wrong) answer')
})

t.test('the budget: tasks that could no longer finish when a thread is free are not started', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 300 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  // All three admitted on a tiny estimate; the first runs for about a second, past its budget.
  const tiny = estimated('cornerExperiment', 0.01 * SECOND)
  const running = rejection(pool.execute(tiny, { epochs: 1000, residual: false }))
  const waiting = [rejection(pool.execute(tiny, { epochs: 1, residual: false })), rejection(pool.execute(tiny, { epochs: 1, residual: false }))]
  t.match(await running, { code: 'DLCHECK_TIMEOUT', message: /ran over its time budget of 300 ms/ })
  for (const task of waiting) t.match(await task, { statusCode: 503, code: 'DLCHECK_OVERLOADED', retryAfterSeconds: 1, message: /could no longer finish within its time budget of 300 ms .* and was not started/ })

  // A large body is admitted by its size; only its worker learns its estimate, here exactly
  // the budget: by then (a thread hop and a parse later) it can no longer finish, and is refused.
  const body = Buffer.from('{"epochs": 1000, "residual": false}')
  const budgetMs = byName('cornerExperiment').cost({ epochs: 1000, residual: false }) / 1e6
  const exact = new ComputationPool({ ...POOLED, computeTimeoutMs: budgetMs }, DEFAULT_LIMITS)
  t.teardown(() => exact.close())
  await until(() => exact.ready, 'the threads')
  t.match(await rejection(exact.executeBody(byName('cornerExperiment'), body)), { statusCode: 503, code: 'DLCHECK_OVERLOADED', retryAfterSeconds: 1 })
})

t.test('no pool: a large body\'s picture is drawn inline', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_LIMITS)
  t.match(await inline.executeBody(byName('convMatrix'), Buffer.from('{"input": 3, "kernelSize": 2}'), { picture: true }), { type: 'svg' })
  t.match(compute({ kind: 'body', name: 'convMatrix', bytes: Buffer.from('{"input": 3, "kernel": 2}'), limits: DEFAULT_LIMITS, picture: false, budgetNs: 1e12 }), { error: { statusCode: 400, code: 'FST_ERR_VALIDATION' } })
})
