/**
 * Requests per second and latency of each route through a real socket: the server runs in
 * its own process (src/server.ts, as `npm start`) and autocannon loads it from this one, as
 * Fastify's own benchmarks do. Ratios are to /health measured in the same run, since
 * absolute numbers move with the machine's load.
 */
import { spawn } from 'node:child_process'
import autocannon from 'autocannon'
import { questions } from '../src/grading/questions.js'

const QUESTION_IDS = questions.map((question) => question.id)
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const CASES: Array<{ name: string, method: 'GET' | 'POST', path: string, body?: unknown }> = [
  { name: 'GET /health', method: 'GET', path: '/health' },
  { name: '/softmax-stable 10 entries', method: 'POST', path: '/softmax-stable', body: { x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } },
  { name: '/softmax-stable 10k entries', method: 'POST', path: '/softmax-stable', body: { x: Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 30) } },
  { name: '/conv-matrix question 4.3', method: 'POST', path: '/conv-matrix', body: { input: 3, kernelSize: 3, stride: 2, padding: 1 } },
  { name: '/conv-matrix 32×32 sparse', method: 'POST', path: '/conv-matrix', body: { input: 32, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, format: 'sparse' } },
  { name: '/receptive-field question 4.1', method: 'POST', path: '/receptive-field', body: { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' } },
  { name: '/param-count question 3.2', method: 'POST', path: '/param-count', body: { sizes: [32, 512, 512, 10] } },
  { name: 'GET /questions', method: 'GET', path: '/questions' },
  // A whole answer sheet: nine variants derived and nine expected answers computed per request.
  { name: '/grade 9 items, variants', method: 'POST', path: '/grade', body: { student: 'ada@example.edu', items: QUESTION_IDS.map((question) => ({ question, answer: 0 })) } }
]

export async function benchHttp (): Promise<void> {
  const server = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)))
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match === null) return
      // From here on the request logs (LOG_LEVEL=info, the production default) are discarded.
      server.stdout.off('data', onData)
      server.stdout.resume()
      resolve(match[1])
    }
    server.stdout.on('data', onData)
  })
  const rows: Array<{ name: string, rps: number, p50: number, p99: number, errors: number }> = []
  // Warm-up, so the first route measured does not pay for the JIT.
  for (const c of CASES) {
    await autocannon({ url: `${url}${c.path}`, method: c.method, connections: 10, amount: 200, headers: { 'content-type': 'application/json' }, ...(c.body !== undefined && { body: JSON.stringify(c.body) }) })
  }
  for (const c of CASES) {
    const result = await autocannon({
      url: `${url}${c.path}`,
      method: c.method,
      connections: 10,
      duration: DURATION,
      headers: c.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(c.body !== undefined && { body: JSON.stringify(c.body) })
    })
    rows.push({ name: c.name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx })
  }
  server.removeAllListeners('exit')
  server.kill('SIGTERM')
  const health = rows[0].rps
  console.log(`\nHTTP, 10 connections, ${DURATION} s per route (server in its own process)`)
  for (const row of rows) {
    console.log(`  ${row.name.padEnd(32)} ${row.rps.toFixed(0).padStart(7)} req/s  ${(row.rps / health).toFixed(2)}× /health   p50 ${row.p50} ms  p99 ${row.p99} ms  non-2xx ${row.errors}`)
  }
}
