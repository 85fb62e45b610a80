/**
 * The worker pool: heavy computations run in worker threads with the same answers and errors
 * as inline; a full queue, a spent time budget and a vanished client each end a task cleanly.
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import { disconnection } from '../../src/http/routes.js'
import { ComputationError } from '../../src/math/errors.js'
import { operations } from '../../src/operations/index.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import type { Operation } from '../../src/operations/operation.js'
import { answerValue, ClientClosedError, ComputationPool } from '../../src/runtime/pool.js'
import compute from '../../src/runtime/worker.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
const POOLED = { workers: 1, queueLimit: 4, computeTimeoutMs: 60_000, inlineCostLimit: 0 }

/** An MLP HVP heavy enough to take a while (about 9·64·(201·200·2 + 201·10) ≈ 47 M operations). */
const HEAVY = {
  model: {
    kind: 'mlp',
    sizes: [200, 200, 200, 10],
    activation: 'tanh',
    loss: 'cross-entropy',
    inputs: Array.from({ length: 64 }, (_, i) => Array.from({ length: 200 }, (_, j) => Math.sin(i + j))),
    targets: Array.from({ length: 64 }, (_, i) => i % 10)
  },
  w: Array.from({ length: 200 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10 }, (_, i) => Math.cos(i) / 20),
  v: Array.from({ length: 200 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10 }, (_, i) => Math.sin(i) / 20),
  sweep: true
}
/** The same without the sweep: about 35 times lighter. */
const LIGHTER = { ...HEAVY, sweep: false }
/** Sixteen times HEAVY (a batch of 1024): tens of seconds of work, far over the budget below. */
const RUNAWAY = {
  ...HEAVY,
  model: { ...HEAVY.model, inputs: Array.from({ length: 16 }, () => HEAVY.model.inputs).flat(), targets: Array.from({ length: 16 }, () => HEAVY.model.targets).flat() }
}

async function rejection (promise: Promise<unknown>): Promise<Error & { statusCode?: number, code?: string, retryAfterSeconds?: number }> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

t.test('a pooled computation answers as the inline one, errors included', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  for (const operation of operations) {
    for (const example of operation.examples) {
      const answer = await pool.execute(operation, example.value)
      t.equal('json' in answer, operation.cost !== undefined, operation.cost !== undefined ? 'a worker answers with JSON' : 'no cost estimate: inline')
      t.strictSame(answerValue(answer), JSON.parse(JSON.stringify(operation.run(example.value as never, DEFAULT_LIMITS))), `${operation.name}: ${example.summary}`)
    }
  }
  const conv = byName('convMatrix')
  const error = await rejection(pool.execute(conv, { input: 2, kernelSize: 5 }))
  t.ok(error instanceof ComputationError)
  t.match(error, { statusCode: 422, code: 'DLCHECK_IMPOSSIBLE', message: /kernel/ }, 'the worker\'s 422 keeps its status, code and message')
  const bug = { ...conv, name: 'no-such-operation', cost: () => 1e12 } as Operation
  t.match(await rejection(pool.execute(bug, {})), { name: 'TypeError' }, 'an internal error in a worker is not dressed up as a 4xx')
})

t.test('cheap computations and a pool of 0 workers run inline', async (t) => {
  const inline = new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_LIMITS)
  t.equal(inline.saturated, false)
  t.equal(inline.queued, 0)
  const answer = await inline.execute(byName('paramCount'), { sizes: [32, 512, 512, 10] })
  t.match(answer, { value: { total: 284682 } }, 'inline: the value itself')
  t.match(answerValue(answer), { total: 284682 })
  await inline.close()
  const odd = { ...byName('softmaxStable'), cost: () => { throw new Error('no estimate') } } as Operation
  t.equal(ComputationPool.cost(odd, {}), 0, 'an estimate that throws means inline: run will refuse the input itself')
  t.equal(ComputationPool.cost({ ...odd, cost: () => NaN } as Operation, {}), 0)
  t.equal(ComputationPool.cost(byName('softmaxStable'), { x: [[1, 2], [3]] }), byName('softmaxStable').cost({ x: [[1, 2], [3]] }), 'the operation\'s estimate')
  t.ok(ComputationPool.cost(byName('hvp'), HEAVY) > 1e9)
})

t.test('a full queue answers 503 with Retry-After, and the pool keeps working', async (t) => {
  const pool = new ComputationPool({ ...POOLED, queueLimit: 1 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const hvp = byName('hvp')
  // One task first, so Retry-After comes from a measured mean run time.
  await pool.execute(hvp, LIGHTER)
  const tasks = Array.from({ length: 4 }, async () => await pool.execute(hvp, LIGHTER).then(() => 'done', (error: Error & { code?: string, retryAfterSeconds?: number }) => error))
  const outcomes = await Promise.all(tasks)
  const refused = outcomes.filter((outcome) => outcome !== 'done') as Array<Error & { statusCode: number, code: string, retryAfterSeconds: number }>
  t.equal(refused.length, 2, "one running, one waiting, two refused")
  for (const error of refused) {
    t.match(error, { statusCode: 503, code: 'DLCHECK_OVERLOADED', message: /computations are waiting \(QUEUE_LIMIT\)/ })
    t.ok(error.retryAfterSeconds >= 1 && error.retryAfterSeconds <= 60)
  }
  t.match(answerValue(await pool.execute(byName('paramCount'), { sizes: [2, 2] })), { total: 6 })
})

t.test('the time budget stops a runaway computation with 503', async (t) => {
  // The budget counts from the call, a worker's start included; from TypeScript sources
  // (tsx in the worker) that start takes seconds on a loaded machine, so the budget is 8 s.
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 8000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const error = await rejection(pool.execute(byName('hvp'), RUNAWAY))
  t.match(error, { statusCode: 503, code: 'DLCHECK_TIMEOUT', message: /time budget of 8000 ms \(COMPUTE_TIMEOUT_MS\)/ })
  t.match(answerValue(await pool.execute(byName('softmaxStable'), { x: [0, -40] })), { logSumExp: 4.248354255291589e-18 }, 'a fresh worker takes the next task')
})

t.test('a client that goes away cancels its task', async (t) => {
  // Estimates over a millisecond (1e6 ns) go to the worker: HEAVY does, a tiny /param-count not.
  const pool = new ComputationPool({ ...POOLED, inlineCostLimit: 1_000_000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  const controller = new AbortController()
  const pending = pool.execute(byName('hvp'), HEAVY, () => controller.signal)
  setTimeout(() => controller.abort(), 20)
  t.ok(await rejection(pending) instanceof ClientClosedError)
  let made = 0
  await pool.execute(byName('paramCount'), { sizes: [2, 2] }, () => { made++; return controller.signal })
  t.equal(made, 0, 'an inline computation makes no disconnection signal')
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

t.test('the worker module: results, 4xx as data, internal errors thrown', async (t) => {
  t.match(JSON.parse((compute({ name: 'paramCount', input: { sizes: [3, 4] }, limits: DEFAULT_LIMITS }) as { json: string }).json), { total: 16 })
  t.strictSame(compute({ name: 'paramCount', input: {}, limits: DEFAULT_LIMITS }), { error: { statusCode: 400, code: 'DLCHECK_INVALID_REQUEST', message: 'body must have exactly one of sizes and architecture' } })
  t.throws(() => compute({ name: 'nope', input: {}, limits: DEFAULT_LIMITS }), TypeError)
})
