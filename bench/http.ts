/**
 * Requests per second and latency through a real socket: each server runs in its own process,
 * compiled and under plain node as `npm start` and the Dockerfile run it (dist/src/server.js,
 * and dist/bench/bare-server.js: both built by `npm run build`, which the npm scripts run
 * first), and autocannon loads it from this one, as Fastify's own benchmarks do. Under tsx,
 * whose loader enables source maps, the service costs measurably more per request than
 * compiled, and that is not what runs in production. Absolute numbers move with the machine's load, so
 * what is reported are ratios measured in the same run:
 *
 * 1. Small requests, against a bare Fastify route: the same small computation through REST
 *    (POST /param-count) and GraphQL (POST /graphql, inline and with variables), and a bare
 *    Fastify 5 server answering the same JSON by hand, with request logs (LOG_LEVEL=info, as
 *    the real server runs) and without. The cases are measured in BENCH_ROUNDS interleaved
 *    rounds, so a slow stretch of a shared machine hits every case alike; each ratio is the
 *    median of its per-round ratios. Targets: REST ≥ 85 % of bare (issue "stalls", which
 *    moved work off the main thread without making small requests slower), GraphQL ≥ 70 %
 *    of REST for the small selection (issue "Production") and ≥ 80 % for every field with
 *    variables (issue "Faster than PyTorch", whose GraphQL part asks REST's pace).
 * 2. Every route of the real server once, as a ratio to GET /health.
 *
 * Every server runs with NODE_ENV=production, as the Dockerfile sets it (graphql-js skips its
 * development-mode checks then), unless NODE_ENV is set.
 *
 * Knobs: BENCH_SECONDS (per measurement, default 3), BENCH_ROUNDS (default 5),
 * BENCH_CONNECTIONS (default 10): about two and a half minutes with the defaults.
 * `npm run bench:http` runs this part alone (or, after npm run build, `npx tsx bench/http.ts`).
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { questions } from '../src/grading/questions.js'
import { startServer } from './servers.js'

const QUESTION_IDS = questions.map((question) => question.id)
const DURATION = Number(process.env.BENCH_SECONDS ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)

type ServerName = 'app' | 'bare' | 'bareSilent'
interface Case { name: string, method: 'GET' | 'POST', path: string, body?: unknown, server?: ServerName }
/** p50 and p99 in ms; cpu: the server process's CPU time per request in µs (Linux only) */
interface Measurement { rps: number, p50: number, p99: number, errors: number, cpu: number }

const SIZES = [32, 512, 512, 10]
const LOGITS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
const PARAM_COUNT_FIELDS = 'total layers { name weights biases params outputShape } hessian { shape entries unique bytesFloat32 bytesFloat64 entriesExact uniqueExact }'

/** The small-request comparison; `ref` names the row a ratio is taken against. */
const SMALL: Array<Case & { key: string, ref?: string }> = [
  { key: 'bare', server: 'bare', name: 'bare Fastify, logs at info', method: 'POST', path: '/param-count', body: { sizes: SIZES } },
  { key: 'bareSilent', server: 'bareSilent', name: 'bare Fastify, no logs', method: 'POST', path: '/param-count', body: { sizes: SIZES } },
  { key: 'rest', ref: 'bare', name: 'REST /param-count', method: 'POST', path: '/param-count', body: { sizes: SIZES } },
  { key: 'gqlInline', ref: 'rest', name: 'GraphQL paramCount { total }', method: 'POST', path: '/graphql', body: { query: `{ paramCount(input: {sizes: [${SIZES.join(', ')}]}) { total } }` } },
  { key: 'gqlVars', ref: 'rest', name: 'GraphQL paramCount, all, vars', method: 'POST', path: '/graphql', body: { query: `query ($input: ParamCountInput!) { paramCount(input: $input) { ${PARAM_COUNT_FIELDS} } }`, variables: { input: { sizes: SIZES } } } },
  { key: 'restSoftmax', ref: 'bare', name: 'REST /softmax-stable 10', method: 'POST', path: '/softmax-stable', body: { x: LOGITS } },
  { key: 'gqlSoftmax', ref: 'restSoftmax', name: 'GraphQL softmaxStable 10, vars', method: 'POST', path: '/graphql', body: { query: 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { softmax logSoftmax logSumExp max argmax } }', variables: { input: { x: LOGITS } } } }
]

const ROUTES: Case[] = [
  { name: 'GET /health', method: 'GET', path: '/health' },
  { name: '/softmax-stable 10 entries', method: 'POST', path: '/softmax-stable', body: { x: LOGITS } },
  { name: '/softmax-stable 10k entries', method: 'POST', path: '/softmax-stable', body: { x: Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 30) } },
  { name: '/conv-matrix question 4.3', method: 'POST', path: '/conv-matrix', body: { input: 3, kernelSize: 3, stride: 2, padding: 1 } },
  { name: '/conv-matrix 32×32 sparse', method: 'POST', path: '/conv-matrix', body: { input: 32, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, format: 'sparse' } },
  { name: '/receptive-field question 4.1', method: 'POST', path: '/receptive-field', body: { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' } },
  { name: '/param-count question 3.2', method: 'POST', path: '/param-count', body: { sizes: SIZES } },
  { name: 'GET /questions', method: 'GET', path: '/questions' },
  // A whole answer sheet: nine variants derived and nine expected answers computed per request.
  { name: '/grade 9 items, variants', method: 'POST', path: '/grade', body: { student: 'ada@example.edu', items: QUESTION_IDS.map((question) => ({ question, answer: 0 })) } }
]

const options = (url: string, c: Case): autocannon.Options => ({
  url: `${url}${c.path}`,
  method: c.method,
  connections: CONNECTIONS,
  headers: c.body === undefined ? {} : { 'content-type': 'application/json' },
  ...(c.body !== undefined && { body: JSON.stringify(c.body) })
})

/**
 * User + system CPU time of a process (all its threads) from /proc, in µs; NaN where there is
 * no /proc. Per request, it is a cost that the other load of a shared machine disturbs less
 * than req/s, which also depends on how much CPU the server got.
 */
function cpuMicroseconds (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 10 ms (USER_HZ = 100).
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return NaN
  }
}

/**
 * autocannon's own percentiles are whole milliseconds (its histogram stores integers), too
 * coarse for sub-millisecond answers, so each response time is taken from its 'response'
 * event (fractional milliseconds) instead.
 */
async function measure (url: string, c: Case, duration: number, pid: number): Promise<Measurement> {
  const times: number[] = []
  const cpuBefore = cpuMicroseconds(pid)
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...options(url, c), duration }, (error, result) => error == null ? resolve(result) : reject(error))
    instance.on('response', (_client: unknown, _status: number, _bytes: number, time: number) => { times.push(time) })
  })
  times.sort((a, b) => a - b)
  const percentile = (p: number): number => times.length === 0 ? NaN : times[Math.min(times.length - 1, Math.floor(p * times.length))]
  const cpu = (cpuMicroseconds(pid) - cpuBefore) / result.requests.total
  return { rps: result.requests.average, p50: percentile(0.5), p99: percentile(0.99), errors: result.errors + result.non2xx, cpu }
}

/** One request first: a case that answers an error (or GraphQL `errors`) would measure the wrong thing. */
async function check (url: string, c: Case): Promise<number> {
  const response = await fetch(`${url}${c.path}`, { method: c.method, headers: c.body === undefined ? {} : { 'content-type': 'application/json' }, body: c.body === undefined ? undefined : JSON.stringify(c.body) })
  const text = await response.text()
  if (response.status !== 200 || (c.path === '/graphql' && 'errors' in JSON.parse(text))) {
    throw new Error(`${c.name}: HTTP ${response.status} ${text.slice(0, 300)}`)
  }
  return Buffer.byteLength(text)
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export async function benchHttp (): Promise<void> {
  const servers = {
    app: await startServer('dist/src/server.js', 'info'),
    bare: await startServer('dist/bench/bare-server.js', 'info'),
    bareSilent: await startServer('dist/bench/bare-server.js', 'silent')
  } satisfies Record<ServerName, unknown>
  const urlOf = (c: Case): string => servers[c.server ?? 'app'].url
  const pidOf = (c: Case): number => servers[c.server ?? 'app'].process.pid!
  try {
    // Warm-up, so the first case measured does not pay for the JIT.
    const bytes = new Map<string, number>()
    for (const c of SMALL) {
      bytes.set(c.key, await check(urlOf(c), c))
      await autocannon({ ...options(urlOf(c), c), duration: 1 })
    }
    for (const c of ROUTES) {
      await check(urlOf(c), c)
      await autocannon({ ...options(urlOf(c), c), amount: 200 })
    }

    const msText = (value: number): string => `${value.toFixed(2)} ms`.padStart(9)
    const rounds = new Map<string, Measurement[]>(SMALL.map((c) => [c.key, []]))
    for (let r = 0; r < ROUNDS; r++) {
      // Each round starts one case later, so no case always follows the same one.
      for (let k = 0; k < SMALL.length; k++) {
        const c = SMALL[(k + r) % SMALL.length]
        rounds.get(c.key)!.push(await measure(urlOf(c), c, DURATION, pidOf(c)))
      }
    }
    const routes: Array<Case & Measurement> = []
    for (const c of ROUTES) routes.push({ ...c, ...await measure(urlOf(c), c, DURATION, pidOf(c)) })

    /** Median over rounds of the per-round ratio of `key` to `ref`: req/s, or CPU per request inverted. */
    const perRound = (key: string, ref: string, f: (m: Measurement, base: Measurement) => number): number =>
      median(rounds.get(key)!.map((m, r) => f(m, rounds.get(ref)![r])))
    const rpsRatio = (key: string, ref: string): number => perRound(key, ref, (m, base) => m.rps / base.rps)
    const cpuRatio = (key: string, ref: string): number => perRound(key, ref, (m, base) => base.cpu / m.cpu)
    const refName = (key: string): string => SMALL.find((c) => c.key === key)!.name

    console.log(`\nSmall requests, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds × ${DURATION} s per case, medians over rounds; each server in its own process`)
    console.log(`  ${'case'.padEnd(32)} ${'answer'.padStart(6)} ${'req/s'.padStart(7)} ${'(min–max)'.padStart(15)} ${'÷ bare'.padStart(6)} ${'÷ its REST'.padStart(10)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}  ${'CPU/req'.padStart(8)}  non-2xx`)
    for (const c of SMALL) {
      const ms = rounds.get(c.key)!
      const rps = ms.map((m) => m.rps)
      const vsRest = c.ref === undefined || c.ref === 'bare' ? '' : rpsRatio(c.key, c.ref).toFixed(2)
      console.log(`  ${c.name.padEnd(32)} ${`${bytes.get(c.key)!} B`.padStart(6)} ${median(rps).toFixed(0).padStart(7)} ${`(${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)})`.padStart(15)} ${rpsRatio(c.key, 'bare').toFixed(2).padStart(6)} ${vsRest.padStart(10)} ${msText(median(ms.map((m) => m.p50)))} ${msText(median(ms.map((m) => m.p99)))}  ${`${median(ms.map((m) => m.cpu)).toFixed(0)} µs`.padStart(8)}  ${ms.reduce((sum, m) => sum + m.errors, 0)}`)
    }
    const targets: Array<[string, string, number]> = [['rest', 'bare', 0.85], ['gqlInline', 'rest', 0.7], ['gqlVars', 'rest', 0.8]]
    console.log('  targets (req/s ratio; in brackets the same ratio from server CPU per request, which the machine\'s other load disturbs less):')
    for (const [key, ref, target] of targets) {
      const value = rpsRatio(key, ref)
      console.log(`    ${`${refName(key)} ÷ ${refName(ref)}`.padEnd(54)} ${value.toFixed(2)} (${cpuRatio(key, ref).toFixed(2)})  target ≥ ${target.toFixed(2)}: ${value >= target ? 'met' : 'NOT met'}`)
    }
    console.log(`    for reference: REST ÷ bare Fastify without logs ${rpsRatio('rest', 'bareSilent').toFixed(2)} (${cpuRatio('rest', 'bareSilent').toFixed(2)}); bare with logs ÷ without ${rpsRatio('bare', 'bareSilent').toFixed(2)} (${cpuRatio('bare', 'bareSilent').toFixed(2)})`)

    const health = routes[0].rps
    console.log(`\nHTTP routes of dist/src/server.js, ${CONNECTIONS} connections, ${DURATION} s per route`)
    for (const row of routes) {
      console.log(`  ${row.name.padEnd(32)} ${row.rps.toFixed(0).padStart(7)} req/s  ${(row.rps / health).toFixed(2)}× /health   p50 ${msText(row.p50)}  p99 ${msText(row.p99)}  CPU ${row.cpu.toFixed(0).padStart(6)} µs/req  non-2xx ${row.errors}`)
    }
  } finally {
    for (const server of Object.values(servers)) server.process.kill('SIGTERM')
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHttp()
