/**
 * Overload and abuse over HTTP: 503 with Retry-After when the pool's queue is full or the
 * process is under pressure (a stalled event loop, a full heap), 429 past the rate limit, while
 * /health and /ready keep answering; a fresh server never refuses; a client that hangs up
 * cancels its computation; a request in flight when the server closes is answered, with
 * Connection: close. The pressure cases assert decisions, never timings: a stall is a
 * busy-wait longer than the limit, and nothing is asserted about how long shedding lasts.
 */
import t from 'tap'
import { selectMatrixBackend } from '../../src/math/backend.js'
import net from 'node:net'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { HEARTBEAT_MS } from '../../src/http/pressure.js'
import { ComputationPool } from '../../src/runtime/pool.js'
import { build, post } from '../helpers/app.js'

const N = 301 * 300 * 2 + 301 * 10
/** An MLP HVP with the error sweep: about a second of work in a worker. */
const HEAVY_HVP = {
  model: { kind: 'mlp', sizes: [300, 300, 300, 10], activation: 'tanh', loss: 'mse', inputs: Array.from({ length: 16 }, (_, i) => Array.from({ length: 300 }, (_, j) => Math.sin(i * j))), targets: Array.from({ length: 16 }, () => Array.from({ length: 10 }, () => 0.5)) },
  w: Array.from({ length: N }, (_, i) => Math.cos(i) / 30),
  v: Array.from({ length: N }, (_, i) => Math.sin(i) / 30),
  sweep: true
}
/** Every estimate over a millisecond (1e6 ns) goes to the one worker: HEAVY_HVP does, /param-count does not. */
const POOL_OF_ONE = { workers: 1, queueLimit: 0, inlineCostLimit: 1_000_000 }

/** Polls until `condition` holds (a wait, not a timed assertion: 60 s means something hangs). */
async function until (condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await condition()) return
    await sleep(50)
  }
  throw new Error(`waited 60 s for ${what}`)
}
const busy = (app: FastifyInstance) => () => app.computations.running > 0
/** An app whose worker pool is up, so /ready speaks of nothing but what a test does. */
async function started (t: Parameters<typeof build>[0], options: Parameters<typeof build>[1] = {}): Promise<FastifyInstance> {
  const app = await build(t, options)
  await until(() => app.computations.ready, 'the worker pool to start')
  return app
}

/** MAX_EVENT_LOOP_DELAY_MS where a test sets it: roomy, so a loaded machine does not trip it by itself. */
const LIMIT = 200
/** A synchronous block of the main thread, as a long inline computation would be. */
function block (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* the event loop cannot run */ }
}
interface Answer { statusCode: number, headers: Record<string, string>, body: any }
/**
 * A request through a real socket: load shedding stands in front of Fastify's handler, where
 * light-my-request's injected requests do not pass.
 */
async function call (app: FastifyInstance, path: string, body?: unknown): Promise<Answer> {
  const address = app.server.address()
  const base = address === null ? await app.listen({ port: 0, host: '127.0.0.1' }) : `http://127.0.0.1:${(address as { port: number }).port}`
  const response = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.json() }
}
const small = (app: FastifyInstance) => call(app, '/param-count', { sizes: [2, 3] })
/**
 * A burst that arrives together: the requests a stalled loop reads in one go. Its sockets are
 * connected first (`open`); `send` then writes every request at once, synchronously (right
 * after a block, before the loop turns), and resolves to the answers.
 */
async function burst (app: FastifyInstance): Promise<{ send: () => Promise<{ statuses: number[], refusal: Answer, health: number, ready: Answer }> }> {
  await call(app, '/health') // listening
  const { port } = app.server.address() as { port: number }
  const body = JSON.stringify({ sizes: [2, 3] })
  const requests = [
    'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /ready HTTP/1.1\r\nHost: x\r\n\r\n',
    ...Array.from({ length: 5 }, () => `POST /param-count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  ]
  // Accepted by the server too, not only connected by the kernel: a socket the server accepts
  // after the block starts reading one loop turn later, when a beat may have ended the stall.
  let accepted = 0
  const allAccepted = new Promise<void>((resolve) => {
    const count = (): void => { if (++accepted === requests.length) { app.server.off('connection', count); resolve() } }
    app.server.on('connection', count)
  })
  const sockets = await Promise.all(requests.map(async () => {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    return socket
  }))
  await allAccepted
  const answer = (socket: net.Socket): Promise<Answer> => new Promise((resolve) => {
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8')
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      const lines = received.slice(0, end).split('\r\n')
      const headers = Object.fromEntries(lines.slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      if (Buffer.byteLength(received.slice(end + 4)) < Number(headers['content-length'])) return
      socket.destroy()
      resolve({ statusCode: Number(lines[0].slice(9, 12)), headers, body: JSON.parse(received.slice(end + 4)) })
    })
  })
  return {
    send: async () => {
      sockets.forEach((socket, i) => socket.write(requests[i]))
      const [health, ready, ...responses] = await Promise.all(sockets.map(answer))
      return { statuses: responses.map((r) => r.statusCode), refusal: responses[0], health: health.statusCode, ready }
    }
  }
}

t.test('/ready is ready; /health answers', async (t) => {
  const app = await started(t)
  t.strictSame((await app.inject({ url: '/ready' })).json(), { status: 'ready', reasons: [], queued: 0 })
  t.match((await app.inject({ url: '/health' })).json(), { status: 'ok', uptime: Number, kernels: selectMatrixBackend('auto').backend.name })
})

t.test('/health names the matrix kernels the worker threads loaded (MATRIX_BACKEND)', async (t) => {
  const app = await started(t, { runtime: { matrixBackend: 'js' } })
  t.match((await app.inject({ url: '/health' })).json(), { status: 'ok', kernels: 'js' })
  t.equal(app.computations.kernels, 'js')
})

t.test('a full pool: 503 with Retry-After on REST and GraphQL, /ready not ready, /health fine', async (t) => {
  const app = await started(t, { runtime: POOL_OF_ONE })
  const first = post(app, '/hvp', HEAVY_HVP)
  await until(busy(app), 'the worker to be busy')
  const ready = await app.inject({ url: '/ready' })
  t.strictSame(ready.json(), { status: 'not-ready', reasons: ['computation queue full (QUEUE_LIMIT)'], queued: 0 })
  t.equal(ready.headers['retry-after'], '1')
  const second = await post(app, '/hvp', HEAVY_HVP)
  t.equal(second.statusCode, 503)
  t.match(second.json(), { code: 'DLCHECK_OVERLOADED', error: 'Service Unavailable', message: 'every long-lane worker is busy and 0 computations are waiting (QUEUE_LIMIT); retry in 1 s' })
  t.ok(Number(second.headers['retry-after']) >= 1, `Retry-After: ${second.headers['retry-after']}`)
  // Long work from a small GraphQL request (GraphQL takes no parameter vector as large as
  // HEAVY_HVP's: GRAPHQL_BODY_LIMIT): it needs the same long lane.
  const graphql = await post(app, '/graphql', { query: '{ cornerExperiment(input: {epochs: 1000}) { summary } }' })
  t.match(graphql.json().errors[0].extensions, { code: 'DLCHECK_OVERLOADED', statusCode: 503 })
  t.equal((await post(app, '/graphql', { query: 'query ($input: HvpInput!) { hvp(input: $input) { hv } }', variables: { input: { model: { kind: 'quadratic', A: [[2]] }, w: [1], v: [1] } } })).json().data.hvp.hv[0], 2, 'short work is not refused: it has its own lane')
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, '/health answers while the pool is saturated')
  t.equal((await post(app, '/param-count', { sizes: [2, 3] })).statusCode, 200, 'small requests run inline')
  t.equal((await first).statusCode, 200, 'the computation that had the worker finishes')
})

t.test('a fresh server never refuses, whatever its start-up cost', async (t) => {
  const app = await started(t, { runtime: { maxEventLoopDelayMs: LIMIT, maxHeapUsedBytes: 2 ** 50 } })
  block(2 * LIMIT) // work before the server is ready is no stall: the heartbeat starts with it
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await small(app)).statusCode)
  t.strictSame(statuses, [200, 200, 200, 200, 200])
  await sleep(5 * HEARTBEAT_MS) // heartbeats run, reading a heap far under its limit
  t.equal((await small(app)).statusCode, 200)
  t.strictSame((await app.inject({ url: '/ready' })).json(), { status: 'ready', reasons: [], queued: 0 })
})

t.test('a stalled event loop: the requests behind the stall get 503, /health and /ready answer', async (t) => {
  const app = await started(t, { runtime: { maxEventLoopDelayMs: LIMIT } })
  t.equal((await small(app)).statusCode, 200, 'ready and accepting')

  block(2 * LIMIT)
  // Asked before the heartbeat has run again: the stall is still in progress. (What a request
  // read at this moment gets is asserted in test/http/pressure.test.ts: no socket is read here.)
  const [health, ready] = await Promise.all([app.inject({ url: '/health' }), app.inject({ url: '/ready' })])
  t.equal(health.statusCode, 200, '/health answers')
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '1')
  t.match(ready.json(), { status: 'not-ready', reasons: [new RegExp(`^event loop \\d+ ms behind, over MAX_EVENT_LOOP_DELAY_MS \\(${LIMIT} ms\\)$`)] })

  await until(async () => (await app.inject({ url: '/ready' })).statusCode === 200, 'the loop to be on time again')
  t.equal((await small(app)).statusCode, 200, 'accepting again')

  const arriving = await burst(app)
  block(2 * LIMIT)
  // The requests are written right after the block: the heartbeat, due during it, runs first
  // and records the stall, as a burst queued in the kernel during a block is read after it.
  const after = await arriving.send()
  t.strictSame(after.statuses, [503, 503, 503, 503, 503])
  t.match(after.refusal.body, { statusCode: 503, code: 'DLCHECK_UNDER_PRESSURE', error: 'Service Unavailable', message: new RegExp(`^the server is under pressure \\(event loop stalled \\d+ ms, over MAX_EVENT_LOOP_DELAY_MS \\(${LIMIT} ms\\)\\); retry in 1 s$`) })
  t.equal(after.refusal.headers['retry-after'], '1')
  t.equal(after.refusal.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(after.health, 200)
  t.equal(after.ready.statusCode, 503)
  t.match(after.ready.body, { status: 'not-ready', reasons: [/^event loop stalled \d+ ms, over MAX_EVENT_LOOP_DELAY_MS/] })
  t.ok(Number(/stalled (\d+) ms/.exec(after.ready.body.reasons[0])![1]) >= 2 * LIMIT - 10, `the stall measured whole: ${after.ready.body.reasons[0]}`)
})

/**
 * A raw keep-alive connection to a started app with MAX_EVENT_LOOP_DELAY_MS = LIMIT: what it
 * writes is pipelined, and `statuses` lists the answers' status codes so far.
 */
async function pipeliningClient (t: Parameters<typeof started>[0]) {
  const app = await started(t, { runtime: { maxEventLoopDelayMs: LIMIT } })
  const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
  const client = net.connect(Number(url.port), '127.0.0.1')
  t.teardown(() => client.destroy())
  await once(client, 'connect')
  let received = ''
  client.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
  const body = JSON.stringify({ sizes: [2, 3] })
  return {
    write: (text: string) => client.write(text),
    // Each status line follows the body before it directly: no line start to anchor to.
    statuses: (): number[] => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1])),
    get: (path: string): string => `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`,
    /** a small computation, POST /param-count */
    compute: `POST /param-count HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
  }
}

t.test('a client pipelining into a stall: 503 for each request, then its connection is read again', async (t) => {
  const { write, statuses, compute } = await pipeliningClient(t)

  write(compute)
  await until(() => statuses().length === 1, 'the first answer')
  block(2 * LIMIT)
  await sleep(1) // the heartbeat records the stall; the three pipelined requests are read after it
  write(compute.repeat(3))
  await until(() => statuses().length === 4, 'the refusals')
  // Written once the refusals are in: it waits unread until the connection is taken back.
  write(compute)
  await until(() => statuses().length === 5, 'the last answer')
  t.strictSame(statuses(), [200, 503, 503, 503, 200])
})

t.test('during a stall, a student page\'s KaTeX fonts and stylesheet pass, as /health does', async (t) => {
  const { write, statuses, get, compute } = await pipeliningClient(t)
  write(get('/health'))
  await until(() => statuses().length === 1, 'the first answer')
  block(2 * LIMIT)
  await sleep(1)
  // A page's assets first, then a computation: the assets pass, the computation is refused.
  write(get('/assets/katex/fonts/KaTeX_Main-Regular.woff2') + get('/assets/katex/katex.min.css') + compute)
  await until(() => statuses().length === 4, 'the three answers')
  t.strictSame(statuses(), [200, 200, 200, 503])
})

t.test('refused requests write no log lines; the heartbeat sums them up', async (t) => {
  const lines: string[] = []
  const app = await started(t, { runtime: { maxEventLoopDelayMs: LIMIT }, logger: { level: 'info', stream: new Writable({ write (chunk, _e, done) { lines.push(String(chunk)); done() } }) } })
  t.equal((await small(app)).statusCode, 200)
  t.ok(lines.some((line) => line.includes('"statusCode":200')), 'an answered request is logged')
  const arriving = await burst(app)
  const before = lines.length
  block(2 * LIMIT)
  const during = await arriving.send()
  t.strictSame(during.statuses, [503, 503, 503, 503, 503])
  const logged = lines.slice(before)
  t.notOk(logged.some((line) => line.includes('/param-count')), 'no line per refused request')
  t.equal(logged.filter((line) => line.includes('request completed')).length, 2, 'the answers logged are /health\'s and /ready\'s')
  await until(() => lines.some((line) => line.includes('load shedding: ')), 'the summary')
  t.match(JSON.parse(lines.find((line) => line.includes('load shedding: '))!), { level: 40, refused: 5, deferred: 5, msg: /^load shedding: 5 requests refused with 503 since the last summary, 5 connections left unread for now/ })
})

t.test('MAX_EVENT_LOOP_DELAY_MS=0 turns the event-loop check off', async (t) => {
  const app = await started(t, { runtime: { maxEventLoopDelayMs: 0 } })
  t.equal((await small(app)).statusCode, 200)
  const arriving = await burst(app)
  block(2 * LIMIT)
  const during = await arriving.send()
  t.strictSame(during.statuses, [200, 200, 200, 200, 200])
  t.equal(during.ready.statusCode, 200)
  t.strictSame(during.ready.body, { status: 'ready', reasons: [], queued: 0 })
})

t.test('a heap over MAX_HEAP_USED_BYTES: 503 with Retry-After, except /health and /ready', async (t) => {
  const app = await started(t, { runtime: { maxHeapUsedBytes: 1 } })
  const response = await small(app)
  t.equal(response.statusCode, 503, 'the heap is read when the server starts')
  t.equal(response.headers['retry-after'], '1')
  t.match(response.body, { code: 'DLCHECK_UNDER_PRESSURE', message: /^the server is under pressure \(heap \d+ bytes, over MAX_HEAP_USED_BYTES \(1\)\); retry in 1 s$/ })
  await sleep(5 * HEARTBEAT_MS) // heartbeats read it again
  t.equal((await small(app)).statusCode, 503)
  t.equal((await call(app, '/health')).statusCode, 200)
  const metrics = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/metrics`)
  t.equal(metrics.status, 200, '/metrics too: scraped when it matters')
  t.match(await metrics.text(), /^dlcheck_load_shed_requests_total 2$/m, 'which count the two refusals above')
  const ready = await call(app, '/ready')
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '1')
  t.match(ready.body, { status: 'not-ready', reasons: [/^heap \d+ bytes, over MAX_HEAP_USED_BYTES \(1\)$/] })
  t.equal((await app.inject({ url: '/param-count', method: 'POST', payload: { sizes: [2, 3] } })).statusCode, 200, 'an injected request does not pass the gate')
})

t.test('/ready: not ready while the worker pool starts; requests are still served', async (t) => {
  const getter = Object.getOwnPropertyDescriptor(ComputationPool.prototype, 'ready')!
  Object.defineProperty(ComputationPool.prototype, 'ready', { get: () => false, configurable: true })
  t.teardown(() => { Object.defineProperty(ComputationPool.prototype, 'ready', getter) })
  const app = await build(t)
  const ready = await app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.strictSame(ready.json(), { status: 'not-ready', reasons: ['worker pool starting'], queued: 0 })
  t.equal((await small(app)).statusCode, 200)
})

t.test('the rate limit, when set: 429 with our error shape; /health and /ready exempt', async (t) => {
  const app = await started(t, { runtime: { rateLimitMax: 2, rateLimitWindowMs: 60_000 } })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await post(app, '/param-count', { sizes: [2, 3] })).statusCode)
  t.strictSame(statuses, [200, 200, 429])
  const limited = await post(app, '/param-count', { sizes: [2, 3] })
  t.match(limited.json(), { statusCode: 429, code: 'DLCHECK_RATE_LIMIT', error: 'Too Many Requests', message: 'over 2 requests per 1 minute from this client (RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS); retry in 1 minute' })
  t.ok(Number(limited.headers['retry-after']) > 0)
  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject({ url: '/health' })).statusCode, 200)
    t.equal((await app.inject({ url: '/ready' })).statusCode, 200)
  }
  const open = await started(t)
  for (let i = 0; i < 5; i++) t.equal((await post(open, '/param-count', { sizes: [2, 3] })).statusCode, 200, 'off by default')
})

t.test('a client that hangs up cancels its computation', async (t) => {
  const lines: string[] = []
  const app = await started(t, { runtime: POOL_OF_ONE, logger: { level: 'info', stream: new Writable({ write (chunk, _e, done) { lines.push(String(chunk)); done() } }) } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const controller = new AbortController()
  const request = fetch(`${url}/hvp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(HEAVY_HVP), signal: controller.signal }).catch((error: Error) => error.name)
  await until(busy(app), 'the worker to be busy')
  controller.abort()
  t.equal(await request, 'AbortError')
  await until(() => !busy(app)(), 'the worker to be free again')
  t.ok(lines.some((line) => line.includes('the client closed the connection; its computation was cancelled')), 'the handler saw the hang-up instead of finishing the computation')
})

t.test('closing: a request in flight is answered, with Connection: close', async (t) => {
  const app = await started(t, { runtime: POOL_OF_ONE })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const request = fetch(`${url}/hvp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(HEAVY_HVP) })
  await until(busy(app), 'the worker to be busy')
  const closed = app.close()
  const response = await request
  t.equal(response.status, 200, 'answered, not cut off')
  t.equal(response.headers.get('connection'), 'close')
  t.equal((await response.json() as { hv: number[] }).hv.length, N)
  await closed
})
