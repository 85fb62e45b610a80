/**
 * The worker pool's budgets, in their own file so it runs beside test/runtime/pool.test.ts:
 * short work never waits behind long work, work that cannot finish in COMPUTE_TIMEOUT_MS is
 * refused or stopped, a pool heals when a thread dies or a client leaves, and a shutdown
 * answers every task. Decisions and statuses are asserted, never timings.
 */
import t from 'tap'
import { matrixBackend } from '../../src/math/backend.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { answerValue, ClientClosedError, ComputationPool } from '../../src/runtime/pool.js'
import compute, { taskBytes, useWorkerKernels } from '../../src/runtime/worker.js'
import { byName, corner, estimated, LONG, piscinaOf, POOLED, rejection, SECOND, until } from '../helpers/pool.js'

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
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 1000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  const error = await rejection(pool.execute(estimated('cornerExperiment', 0.5 * SECOND), { epochs: 5000 }))
  t.match(error, { statusCode: 503, code: 'DLCHECK_TIMEOUT', message: /time budget of 1000 ms \(COMPUTE_TIMEOUT_MS\)/ })
  // The replacement thread loads the sources again (seconds on a busy machine), and a task's
  // budget counts its wait: the next task goes in once the lane is up.
  await piscinaOf(pool, 'long').run({ kind: 'ping' })
  t.match(answerValue(await pool.execute(estimated('softmaxStable', 0.3 * SECOND), { x: [0, -40] })), { logSumExp: 4.248354255291589e-18 }, 'on the long lane')
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

t.test('shutdown: tasks admitted are answered, the ones out of time with 503; new ones only if they fit', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  await until(() => pool.ready, 'the threads')
  const quick = pool.execute(estimated('paramCount', 0.1 * SECOND), { sizes: [2, 2] })
  const slow = rejection(pool.execute(corner, { epochs: 5000, residual: false }))
  const behind = rejection(pool.execute(corner, LONG))
  const drained = pool.drain(1000)
  // Requests the server took before it stopped listening: their work is admitted if it fits.
  const late = pool.execute(estimated('paramCount', 0.1 * SECOND), { sizes: [3, 1] })
  t.match(await rejection(pool.execute(corner, LONG)), { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN', message: /would not finish before it stops/ }, 'estimated past the grace: refused at once')
  await drained
  t.match(answerValue(await quick), { total: 6 }, 'a task that finishes in time is answered')
  t.match(answerValue(await late), { total: 4 }, 'a task admitted during the drain is answered')
  for (const task of [slow, behind]) t.match(await task, { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN', retryAfterSeconds: 1 })
  t.match(await rejection(pool.execute(estimated('paramCount', 0.1 * SECOND), { sizes: [2, 2] })), { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN' }, 'after the grace, nothing')
  await pool.close()
  t.match(await rejection(pool.execute(estimated('paramCount', 0.1 * SECOND), { sizes: [2, 2] })), { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN' }, 'after close, nothing')
})

t.test('shutdown: work admitted after an idle pool drained is stopped when the grace ends', async (t) => {
  const pool = new ComputationPool(POOLED, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  await pool.drain(1000)
  // Estimated to fit, it runs for seconds: its budget is the grace's end, not COMPUTE_TIMEOUT_MS's 60 s.
  const underestimated = estimated('cornerExperiment', 0.3 * SECOND)
  t.match(await rejection(pool.execute(underestimated, { epochs: 5000, residual: false })), { statusCode: 503, code: 'DLCHECK_SHUTTING_DOWN', message: /could not finish in time/ })
})

t.test('a task that can no longer finish in its budget when a thread is free is not started', async (t) => {
  const limits = DEFAULT_LIMITS
  const late = Date.now() - 1
  t.match(compute({ kind: 'operation', name: 'paramCount', input: { sizes: [2, 2] }, limits, estimateNs: 1e6, deadline: late }), { error: { statusCode: 503, code: 'DLCHECK_OVERLOADED', retryAfterSeconds: 1, message: /could no longer finish within its time budget/ } })
  t.match(compute({ kind: 'grade', sheet: { items: [], language: 'en' }, limits, estimateNs: 1e6, deadline: late }), { error: { statusCode: 503 } })
  const body = Buffer.from('{"sizes": [2, 2]}')
  t.match(compute({ kind: 'body', name: 'paramCount', bytes: body, limits, budgetNs: 1e12, deadline: late }), { error: { statusCode: 503 } }, 'a body: once its estimate is known')
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'body', name: 'paramCount', bytes: body, limits, budgetNs: 1e12, deadline: Date.now() + 60_000 })).toString()), { total: 6 })
  t.match(JSON.parse(Buffer.from(taskBytes({ kind: 'grade', sheet: { items: [], language: 'en' }, limits, estimateNs: 0 })).toString()), { score: 0, maxScore: 0 })
  t.equal(Buffer.from(taskBytes({ kind: 'ping' })).toString(), matrixBackend().name, 'a ping names the thread\'s matrix kernels')
  useWorkerKernels(true, undefined)
  t.equal(Buffer.from(taskBytes({ kind: 'ping' })).toString(), matrixBackend().name, 'on the main thread the module leaves the choice alone')
  useWorkerKernels(false, { matrixBackend: 'js' })
  t.equal(Buffer.from(taskBytes({ kind: 'ping' })).toString(), 'js', 'a pool thread takes the choice it is started with')
  const svg = Buffer.from(taskBytes({ kind: 'body', name: 'convMatrix', bytes: Buffer.from('{"input": 3, "kernelSize": 2}'), limits, rendering: 'svg', budgetNs: 1e12 })).toString()
  t.match(svg, /^<svg /)
  const overLimit = compute({ kind: 'body', name: 'cornerExperiment', bytes: Buffer.from(`{"epochs": ${limits.cornerMaxEpochs + 1}}`), limits, budgetNs: 1 })
  t.match(overLimit, { error: { statusCode: 413, message: /CORNER_MAX_EPOCHS/ } }, 'over the budget and over a limit: the limit\'s 413')

  // Over HTTP-free pool calls: a queue that ran longer than estimated.
  const pool = new ComputationPool({ ...POOLED, computeTimeoutMs: 1000 }, DEFAULT_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the threads')
  // Both on the long lane (over LONG_TASK_MS); 0.3 s + 0.6 s fit in 1 s, but the first runs
  // about 0.65 s, not 0.3.
  const underestimated = estimated('cornerExperiment', 0.3 * SECOND)
  const first = pool.execute(underestimated, { epochs: 500, residual: false }).catch((error: Error) => error)
  const second = await rejection(pool.execute(estimated('cornerExperiment', 0.6 * SECOND), { epochs: 1, residual: false }))
  t.match(second, { statusCode: 503 }, 'refused, by the worker or by the budget, never run late')
  await first
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
