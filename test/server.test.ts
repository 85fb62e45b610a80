/**
 * The real entry point in a child process: env config, listen, SIGTERM → exit 0.
 * The child runs the server compiled with this test (npm test compiles both into build/), as
 * `npm start` runs dist/src/server.js, with this process's flags (tap's coverage hooks).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'
import t from 'tap'

function startServer (env: Record<string, string>, flags: string[] = []) {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, fileURLToPath(new URL('../src/server.js', import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const listening = (): Promise<string> => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Server listening" line within 20 s: ${output}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${output}`)))
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  return { child, listening, output: () => output }
}

t.test('listens on HOST:PORT, answers, and exits 0 on SIGTERM', async (t) => {
  // Load shedding off: right after start the worker threads load beside this process's tests,
  // and a stall of the test machine's making is not what this checks.
  const server = startServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAX_EVENT_LOOP_DELAY_MS: '0' })
  const url = await server.listening()
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  const softmax = await fetch(`${url}/softmax-stable`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":[0,-40]}' })
  t.equal((await softmax.json() as { logSumExp: number }).logSumExp, 4.248354255291589e-18)
  const bad = await fetch(`${url}/softmax-stable?from=test`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":' })
  t.equal(bad.status, 400)
  // One line per request, when it is answered, with the request and the answer's status. The
  // lines reach this process through a pipe, possibly after the answers.
  const requestLines = (): Array<Record<string, unknown>> => server.output().split('\n').filter((line) => line.includes('"reqId"')).map((line) => JSON.parse(line))
  for (let i = 0; i < 100 && requestLines().length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.match(requestLines(), [
    { msg: 'request completed', req: { method: 'GET', url: '/health', remoteAddress: '127.0.0.1' }, res: { statusCode: 200 }, responseTime: Number },
    { msg: 'request completed', req: { method: 'POST', url: '/softmax-stable' }, res: { statusCode: 200 } },
    // The query string is left out: it may hold a student's id.
    { msg: 'request completed', req: { method: 'POST', url: '/softmax-stable?…' }, res: { statusCode: 400 } }
  ])
  t.equal(requestLines().length, 3)
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'exit')
  t.equal(code, 0, 'graceful exit')
  t.match(server.output(), /shutting down/)
})

t.test('a bad setting stops the start with the variable named', async (t) => {
  const server = startServer({ PORT: 'eighty' })
  const [code] = await once(server.child, 'exit')
  t.equal(code, 1)
  t.match(server.output(), /invalid configuration: PORT="eighty"/)
})

t.test('an uncaught error closes the server the same way, then exits 1', async (t) => {
  // A rejection nobody handles, on SIGWINCH (a signal close-with-grace leaves alone), sent once
  // the server listens: close-with-grace's 'unhandledRejection' path.
  const server = startServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, ['--import=data:text/javascript,process.on("SIGWINCH", () => Promise.reject(new Error("a bug")))'])
  await server.listening()
  server.child.kill('SIGWINCH')
  const [code] = await once(server.child, 'exit')
  t.equal(code, 1)
  t.match(server.output(), /closing after an uncaught error/)
  t.match(server.output(), /"msg":"closed"/)
})

/** GET over a keep-alive agent: the socket stays open and idle afterwards. */
function getKeepAlive (url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => { response.resume(); response.on('end', () => resolve(response.statusCode!)) }).on('error', reject).end()
  })
}

t.test('SIGTERM with a computation in flight and an idle keep-alive socket: answered, then exit 0', async (t) => {
  // At debug, a request's line is written when it comes in (at info, when it is answered).
  const server = startServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', WORKERS: '1', INLINE_COST_LIMIT: '0', KEEP_ALIVE_TIMEOUT_MS: '120000' })
  const url = await server.listening()
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  t.equal(await getKeepAlive(`${url}/health`, agent), 200, 'a keep-alive socket, now idle')
  const n = 101 * 100 * 2 + 101 * 10
  const body = {
    model: { kind: 'mlp', sizes: [100, 100, 100, 10], activation: 'tanh', loss: 'mse', inputs: Array.from({ length: 64 }, (_, i) => Array.from({ length: 100 }, (_, j) => Math.sin(i * j))), targets: Array.from({ length: 64 }, () => Array.from({ length: 10 }, () => 0.5)) },
    w: Array.from({ length: n }, (_, i) => Math.cos(i) / 30),
    v: Array.from({ length: n }, (_, i) => Math.sin(i) / 30),
    sweep: true
  }
  // SIGTERM once the whole request has been sent and the server has taken it (its line is in
  // the log): its body may still be arriving, and its computation is admitted during the
  // drain since it fits in the grace.
  const text = JSON.stringify(body)
  let sent!: () => void
  const whole = new Promise<void>((resolve) => { sent = resolve })
  const inFlight = new Promise<{ status: number, connection: string | undefined, body: string }>((resolve, reject) => {
    const call = request(`${url}/hvp`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (response) => {
      let received = ''
      response.setEncoding('utf8').on('data', (chunk: string) => { received += chunk }).on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body: received }))
    }).on('error', reject)
    call.end(text, sent)
  })
  await whole
  while (!server.output().includes('"url":"/hvp"')) await new Promise((resolve) => setTimeout(resolve, 20))
  server.child.kill('SIGTERM')
  const response = await inFlight
  t.equal(response.status, 200, 'the request in flight is answered')
  t.equal(response.connection, 'close')
  t.equal((JSON.parse(response.body) as { hv: number[] }).hv.length, n)
  // With the keep-alive trap, exit would wait for the idle socket's 120 s timeout; the test's
  // own timeout (tap, 300 s) is only the hang detector, no speed is asserted.
  const [code] = await once(server.child, 'exit')
  t.equal(code, 0, 'graceful exit')
  t.match(server.output(), /"msg":"closed"/)
})
