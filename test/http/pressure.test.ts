/**
 * The load shedder's deferral of connections, driven directly: a request refused for a stall
 * leaves its connection unread (paused, and kept paused when Node's HTTP parser resumes it
 * after a message), connections are taken back at on-time heartbeats, oldest first, and all of
 * them when the shedder stops. Decisions only: a stall is a busy-wait longer than the limit,
 * and the waits poll for a state, never assert a duration.
 */
import t from 'tap'
import net, { type Socket } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LoadShedder } from '../../src/http/pressure.js'

const LIMIT = 100

function block (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* the event loop cannot run */ }
}

async function until (condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (condition()) return
    await sleep(5)
  }
  throw new Error(`waited 6 s for ${what}`)
}

/** `count` server-side sockets of loopback connections, closed in teardown. */
async function sockets (t: { teardown: (fn: () => unknown) => void }, count: number): Promise<Socket[]> {
  const accepted: Socket[] = []
  const server = net.createServer((socket) => { accepted.push(socket) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  const clients = await Promise.all(Array.from({ length: count }, async () => {
    const client = net.connect(port, '127.0.0.1')
    await once(client, 'connect')
    return client
  }))
  await until(() => accepted.length === count, 'the connections')
  t.teardown(() => {
    for (const socket of [...clients, ...accepted]) socket.destroy()
    server.close()
  })
  return accepted
}

interface Sent { status: number, headers: Record<string, unknown>, body: string }
/** Whether the gate passes a request on, and what it answered if not. */
function ask (shedder: LoadShedder, socket: unknown, url = '/param-count'): { passed: boolean, sent?: Sent } {
  const outcome: { passed: boolean, sent?: Sent } = { passed: false }
  const response = {
    writeHead (status: number, headers: Record<string, unknown>) { outcome.sent = { status, headers, body: '' }; return response },
    end (body: string) { outcome.sent!.body = body; return response }
  }
  outcome.passed = shedder.admits({ url, socket } as unknown as IncomingMessage, response as unknown as ServerResponse)
  return outcome
}

t.test('a request refused for a stall leaves its connection unread until an on-time beat', async (t) => {
  const [first, second, spared] = await sockets(t, 3)
  const shedder = new LoadShedder({ maxEventLoopDelayMs: LIMIT, maxHeapUsedBytes: 0 })
  t.teardown(() => shedder.stop())
  shedder.start()
  t.strictSame(ask(shedder, first), { passed: true }, 'on time: accepted, nothing deferred')
  t.equal(first.isPaused(), false)

  block(2 * LIMIT)
  // Still inside the stall: the loop is late now.
  for (const socket of [first, second, first]) {
    t.match(ask(shedder, socket), { passed: false, sent: { status: 503, body: `{"statusCode":503,"code":"DLCHECK_UNDER_PRESSURE","error":"Service Unavailable","message":"the server is under pressure (event loop over MAX_EVENT_LOOP_DELAY_MS (${LIMIT} ms) behind); retry in 1 s"}` } })
  }
  t.equal(shedder.deferredConnections, 2, 'each connection once, however many of its requests were refused')
  t.ok(first.isPaused() && second.isPaused())
  first.resume() // what Node's HTTP server does after each message it parses
  t.ok(first.isPaused(), 'still paused')
  t.equal(spared.isPaused(), false, 'a connection with no refused request is read as before')

  // The beat after the stall records it (and takes nothing back); the next on-time beats
  // take the deferred connections back, the oldest first.
  await until(() => shedder.deferredConnections < 2, 'a connection taken back')
  t.equal(first.isPaused(), false, 'the oldest first')
  await until(() => shedder.deferredConnections === 0, 'every connection taken back')
  t.equal(second.isPaused(), false)
  second.pause()
  second.resume()
  t.equal(second.isPaused(), false, 'its own resume is back')
})

t.test('the heap limit refuses without deferring; exempt paths pass', async (t) => {
  const [socket] = await sockets(t, 1)
  const heap = new LoadShedder({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1 })
  t.teardown(() => heap.stop())
  heap.start()
  t.match(ask(heap, socket), { passed: false, sent: { status: 503, body: /heap \d+ bytes/ } })
  t.equal(heap.deferredConnections, 0)
  t.equal(socket.isPaused(), false)

  const stall = new LoadShedder({ maxEventLoopDelayMs: LIMIT, maxHeapUsedBytes: 0 })
  t.teardown(() => stall.stop())
  stall.exempt.add('/health')
  stall.start()
  block(2 * LIMIT)
  t.strictSame(ask(stall, socket, '/health?verbose=1'), { passed: true }, 'an exempt path passes, whatever its query')
  t.equal(stall.deferredConnections, 0)
  const refused = ask(stall, socket, '/healthz')
  t.match(refused, { passed: false, sent: { status: 503, headers: { 'retry-after': '1', 'content-type': 'application/json; charset=utf-8' } } })
  t.equal(refused.sent!.headers['content-length'], Buffer.byteLength(refused.sent!.body))
  t.match(JSON.parse(refused.sent!.body), { statusCode: 503, code: 'DLCHECK_UNDER_PRESSURE', error: 'Service Unavailable' })
})

t.test('stopping the shedder takes every deferred connection back; a closed one is skipped', async (t) => {
  const connections = await sockets(t, 3)
  const shedder = new LoadShedder({ maxEventLoopDelayMs: LIMIT, maxHeapUsedBytes: 0 })
  shedder.start()
  block(2 * LIMIT)
  for (const socket of connections) ask(shedder, socket)
  t.equal(shedder.deferredConnections, 3)
  connections[0].destroy()
  shedder.stop()
  t.equal(shedder.deferredConnections, 0)
  t.ok(connections.slice(1).every((socket) => !socket.isPaused()), 'the open ones read again')
})

t.test('while the app closes, a refusal says Connection: close', async (t) => {
  const shedder = new LoadShedder({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1 })
  t.teardown(() => shedder.stop())
  shedder.start()
  const refuse = (): { shouldKeepAlive: boolean } => {
    const response = { shouldKeepAlive: true, writeHead () { return response }, end () { return response } }
    t.equal(shedder.admits({ url: '/param-count', socket: {} } as unknown as IncomingMessage, response as unknown as ServerResponse), false)
    return response
  }
  t.equal(refuse().shouldKeepAlive, true, 'kept alive while the app serves')
  shedder.closing = true
  t.equal(refuse().shouldKeepAlive, false)
})
