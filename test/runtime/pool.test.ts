/**
 * The worker pool: where each computation runs (inline, short lane, long lane), what a worker
 * answers, and admission by its estimate; test/runtime/pool-budget.test.ts has the budgets, a
 * pool that heals and the shutdown. Decisions and statuses are asserted, never timings.
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import { disconnection } from '../../src/runtime/disconnection.js'
import { ComputationError } from '../../src/math/errors.js'
import { operations } from '../../src/operations/index.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import type { Operation } from '../../src/operations/operation.js'
import { answerValue, ComputationPool, WorkerError } from '../../src/runtime/pool.js'
import compute, { taskBytes } from '../../src/runtime/worker.js'
import { tableBodies } from '../helpers/bodies.js'
import { byName, estimated, POOLED, rejection, SECOND, text, until } from '../helpers/pool.js'

t.test('a pooled computation answers as the inline one, errors included', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pool.close())
  for (const operation of operations) {
    for (const body of tableBodies(operation)) {
      const answer = await pool.execute(operation, body)
      t.equal('bytes' in answer, ComputationPool.cost(operation, body) > 0, `${operation.name}: a worker answers with bytes`)
      t.strictSame(answerValue(answer), JSON.parse(JSON.stringify(operation.run(body, DEFAULT_SERVICE_LIMITS))), `${operation.name}: ${JSON.stringify(body).slice(0, 80)}`)
    }
  }
  const error = await rejection(pool.execute(byName('convMatrix'), { input: 2, kernelSize: 5 }))
  t.ok(error instanceof ComputationError)
  t.match(error, { statusCode: 422, code: 'DLCHECK_IMPOSSIBLE', message: /kernel/ }, 'the worker\'s 422 keeps its status, code and message')
  const bug = { ...estimated('paramCount', SECOND), name: 'no-such-operation' }
  const internal = await rejection(pool.execute(bug, {}))
  t.ok(internal instanceof WorkerError, 'a bug in a worker is an internal error (500), not a 4xx or a lost thread')
  t.match((internal as WorkerError).workerStack, /TypeError/)
  const picture = await pool.execute(byName('convMatrix'), { input: 3, kernelSize: 3 }, { rendering: 'svg' })
  t.match(picture, { type: 'svg' })
  t.match(text(picture), /^<svg /, 'a picture is drawn by the worker')
})

t.test('cheap computations and a pool of 0 workers run inline; estimates that fail count as nothing', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_SERVICE_LIMITS)
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
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 1000 }, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pool.close())
  const error = await rejection(pool.execute(estimated('softmaxStable', 2 * SECOND), { x: [1] }))
  t.match(error, { statusCode: 413, code: 'DLCHECK_LIMIT', message: /estimated at about 2\.0 s of CPU, over the time budget of 1000 ms \(COMPUTE_TIMEOUT_MS\); send a smaller input .*\/softmax-stable/ })
  const inline = new ComputationPool({ ...POOLED, workers: 0, computeTimeoutMs: 1000 }, DEFAULT_SERVICE_LIMITS)
  t.match(await rejection(inline.execute(estimated('softmaxStable', 2 * SECOND), { x: [1] })), { statusCode: 413 }, 'without a pool too')
})

t.test('a large body parsed by a worker: the same errors as Fastify\'s, the budget checked after parsing', async (t) => {
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 60_000 }, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pool.close())
  const softmax = byName('softmaxStable')
  const body = (value: string): Buffer => Buffer.from(value)
  t.match(answerValue(await pool.executeBody(softmax, body('{"x": [0, -40]}'))), { logSumExp: 4.248354255291589e-18 })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1, "a"]}'))), { statusCode: 400, code: 'FST_ERR_VALIDATION', message: 'body/x/1 must be a finite number, got the string "a" (body/x: logits: a vector, or a matrix whose rows are independent vectors)' })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1,'))), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.match(await rejection(pool.executeBody(softmax, body('{"x": [1], "__proto__": {}}'))), { statusCode: 400, code: 'DLCHECK_FORBIDDEN_KEY', message: /body has the key "__proto__"/ })
  const tight = new ComputationPool({ ...POOLED, computeTimeoutMs: 5000 }, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => tight.close())
  const corners = `{"epochs": ${DEFAULT_SERVICE_LIMITS.cornerMaxEpochs}}`
  t.match(await rejection(tight.executeBody(byName('cornerExperiment'), body(corners))), { statusCode: 413, message: /over the time budget of 5000 ms/ }, 'refused by the worker once it knows the estimate')
  const slice = Buffer.from('  {"x": [3]}').subarray(2)
  t.match(answerValue(await pool.executeBody(softmax, slice)), { argmax: 0 }, 'a view into a larger buffer is copied before it moves')
  const svg = await pool.executeBody(byName('convMatrix'), body('{"input": 3, "kernelSize": 3}'), { rendering: 'svg' })
  t.match(text(svg), /^<svg /)
})

t.test('grading: inline when small, in a worker above the inline limit', async (t) => {
  const { Grader } = await import('../../src/grading/grader.js')
  const grader = new Grader(Buffer.from('a secret of sixteen bytes'), DEFAULT_SERVICE_LIMITS)
  const sheet = grader.prepare({ items: [{ question: '3.2-param-count', params: { sizes: [3, 4, 2], bias: false }, answer: 20 }] }, 'body')
  const inline = new ComputationPool({ ...POOLED, inlineCostLimit: Infinity }, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => inline.close())
  const pooled = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pooled.close())
  const here = await inline.grade(sheet)
  t.ok('value' in here)
  t.match(here, { value: { score: 1, maxScore: 1 } })
  const there = await pooled.grade(sheet)
  t.ok('bytes' in there)
  t.strictSame(answerValue(there), JSON.parse(JSON.stringify((here as { value: unknown }).value)))
})

t.test('ready once every lane has a thread up', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
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
  const limits = DEFAULT_SERVICE_LIMITS
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'operation', name: 'paramCount', input: { sizes: [3, 4] }, limits, estimateNs: 0 })).toString()), { total: 16 })
  t.strictSame(compute({ kind: 'operation', name: 'paramCount', input: {}, limits, estimateNs: 0 }), { error: { statusCode: 400, code: 'DLCHECK_INVALID_REQUEST', message: 'body must have exactly one of sizes and architecture' } })
  t.match(compute({ kind: 'operation', name: 'nope', input: {}, limits, estimateNs: 0 }), { internal: /TypeError/ })
})

t.test('a task the pool cannot send to a thread is a bug (500), not a lost thread', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
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
  const pool = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the second ping')
  t.ok(failed >= 2)
  t.equal(pool.running, 0)
  const closed = new ComputationPool(POOLED, DEFAULT_SERVICE_LIMITS)
  await closed.close()
  t.equal(closed.ready, false, 'a closed pool pings no more')
  t.equal(new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_SERVICE_LIMITS).running, 0)
})

t.test('grading: a sheet over the budget is a 413; a deep answer a 400', async (t) => {
  const { Grader } = await import('../../src/grading/grader.js')
  const grader = new Grader(Buffer.from('a secret of sixteen bytes'), DEFAULT_SERVICE_LIMITS)
  const sheet = grader.prepare({ items: [{ question: '3.2-param-count', answer: 1 }] }, 'body')
  const pool = new ComputationPool({ ...POOLED, workers: 0, computeTimeoutMs: 0 }, DEFAULT_SERVICE_LIMITS)
  t.match(await rejection(pool.grade(sheet)), { statusCode: 413, message: /over the time budget of 0 ms .*\/grade/ })
  let deep: unknown = 1
  for (let i = 0; i < 9; i++) deep = [deep]
  t.throws(() => grader.prepare({ items: [{ question: '3.2-param-count', answer: deep }] }, 'body'), { statusCode: 400, message: 'body/items/0/answer nests lists more than 8 deep; an answer is a number, a list or a matrix' })
  t.doesNotThrow(() => grader.prepare({ items: [{ question: '3.2-param-count', answer: (deep as unknown[])[0] }] }, 'body'), '8 deep is a (wrong) answer')
})

t.test('no pool: a large body\'s picture is drawn inline', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_SERVICE_LIMITS)
  t.match(await inline.executeBody(byName('convMatrix'), Buffer.from('{"input": 3, "kernelSize": 2}'), { rendering: 'svg' }), { type: 'svg' })
  t.match(compute({ kind: 'body', name: 'convMatrix', bytes: Buffer.from('{"input": 3, "kernel": 2}'), limits: DEFAULT_SERVICE_LIMITS, budgetNs: 1e12 }), { error: { statusCode: 400, code: 'FST_ERR_VALIDATION' } })
})

t.test('no pool: execute draws the rendering asked for, or attaches those selected', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_SERVICE_LIMITS)
  const latex = await inline.execute(byName('paramCount'), { sizes: [2, 3] }, { rendering: 'latex' })
  t.match(latex, { type: 'latex' })
  t.match(text(latex), /n &= 9 = 9/)
  const attached = await inline.execute(byName('paramCount'), { sizes: [2, 3] }, { attach: ['latex'] })
  t.match(attached, { value: { total: 9, latex: text(latex) } })
  t.notOk('latex' in (answerValue(await inline.execute(byName('paramCount'), { sizes: [2, 3] })) as object), 'nothing attached unless asked')
})
