/**
 * What the loopback proofs share (./prove.ts, scale-out; ./rolling.ts, a rolling upgrade):
 * replicas of `node dist/src/server.js` on loopback ports, the real nginx with deploy/nginx.conf
 * speaking HTTPS with a fresh self-signed certificate (deploy/tls/self-signed.sh), a load of
 * requests whose every answer is checked, and the cleanup of every process and file however
 * a proof ends.
 *
 * Its own load loop (node:http and node:https with keep-alive agents) rather than autocannon:
 * each request is awaited to its end, so "sent" equals "answered + failed" exactly (a
 * duration-bounded autocannon run abandons the requests in flight when it stops), and every
 * body is checked, not only the status. Not fetch: Node 20's fetch sends about 15 times fewer
 * POSTs a second.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Agent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { renderNginxConf } from './nginx-template.js'

const REQUEST_TIMEOUT_MS = 10_000
export const STUDENTS = ['ada@example.edu', 'grace@example.edu', 'alan@example.edu', 'émilie@example.edu']
const PARAM_COUNT_BODY = { sizes: [32, 512, 512, 10] }
const PARAM_COUNT_TOTAL = 284_682 // 32·512+512 + 512·512+512 + 512·10+10

// ---------------------------------------------------------------------------------------------
// Processes and the temporary directory, cleaned up however the script ends.

/** The repository: the first directory up from here with deploy/nginx.conf (works from dist/ too). */
function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'deploy', 'nginx.conf'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('deploy/nginx.conf not found above this script')
    dir = parent
  }
  return dir
}
export const ROOT = findRoot()
export const TEMP = mkdtempSync(join(tmpdir(), 'dlcheck-scale-out-'))
/**
 * keep: --keep, or a failure: the temporary directory stays for its logs.
 * maxEventLoopDelayMs: the replicas' MAX_EVENT_LOOP_DELAY_MS (--max-event-loop-delay-ms). Not
 * the service's 30 ms: here the replicas share the machine's CPUs with each other, nginx and
 * the load generator, and a replica starting takes every CPU for about a second, which delays
 * the others' event loops by 30 to 100 ms (measured on 2 CPUs). Under 30 ms they shed load
 * then, as they should on a starved machine; these proofs are about failing over, which a
 * deployment gives its own CPUs to, so they default to 100 ms.
 */
export const run = { keep: false, maxEventLoopDelayMs: 100 }
const children = new Set<ChildProcess>()
let cleaned = false

/** Kills every process group this script started (each child leads its own) and removes TEMP. */
function cleanupNow (): void {
  if (cleaned) return
  cleaned = true
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try { process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
    }
  }
  if (run.keep) console.log(`kept ${TEMP}`)
  else rmSync(TEMP, { recursive: true, force: true })
}
/** SIGTERM to every live child first (nginx's master then stops its workers), SIGKILL after 3 s. */
export async function cleanup (): Promise<void> {
  const live = [...children].filter((child) => child.exitCode === null && child.signalCode === null)
  for (const child of live) child.kill('SIGTERM')
  await Promise.race([Promise.all(live.map((child) => once(child, 'exit'))), sleep(3000)])
  cleanupNow()
}
process.on('exit', cleanupNow)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`)
    cleanup().finally(() => process.exit(130))
  })
}

/** Spawns a child in its own process group, tracked for cleanup. */
export function start (command: string, args: string[], opts: { env?: NodeJS.ProcessEnv, log: string, uid?: number, gid?: number }): ChildProcess {
  const fd = openSync(opts.log, 'a')
  const child = spawn(command, args, { cwd: ROOT, env: opts.env, stdio: ['ignore', fd, fd], detached: true, uid: opts.uid, gid: opts.gid })
  closeSync(fd)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export function tail (path: string, lines = 15): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n') } catch { return '    | (no log)' }
}

/** A free loopback port: bind port 0, read it, close. */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 })
/** For https:// URLs: nginx's certificate is trusted as the one CA (set by startNginx). */
let tlsAgent: HttpsAgent | undefined

export interface Answer { status: number, text: string, headers: Record<string, string | string[] | undefined> }

/**
 * One HTTP request, resolved with the whole answer; rejected with the socket's error code
 * (ECONNRESET, ECONNREFUSED, …) or TIMEOUT after `timeoutMs` without progress.
 */
export function send (url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) }
    const secure = url.startsWith('https:')
    if (secure && tlsAgent === undefined) throw new Error('an https:// URL before startNginx made the certificate')
    const req = (secure ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: secure ? tlsAgent : agent, timeout: timeoutMs }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { text += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text, headers: response.headers }))
      response.on('error', reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    req.on('error', reject)
    req.end(init.body)
  })
}

/** Polls `url` until it answers 200 (a 404 counts too: a service without that route). */
export async function waitFor (url: string, child: ChildProcess, log: string, what: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  let last = 'no answer'
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it answered; its log:\n${tail(log)}`)
    }
    try {
      const answer = await send(url, {}, 1000)
      if (answer.status === 200 || answer.status === 404) return Date.now() - started
      last = `${answer.status} ${answer.text}`
    } catch (error) { last = String((error as { code?: string }).code ?? error) }
    await sleep(50)
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s (last: ${last}); its log:\n${tail(log)}`)
}

export const ms = (t: number): string => `${(t / 1000).toFixed(1)} s`

// ---------------------------------------------------------------------------------------------
// The service.

const GRADER_TOKEN = randomBytes(24).toString('base64url')
const VARIANT_SECRET = randomBytes(24).toString('base64url')
const AUTH = { authorization: `Bearer ${GRADER_TOKEN}` }

export class Replica {
  child?: ChildProcess
  readonly log: string
  constructor (readonly name: string, readonly port: number) { this.log = join(TEMP, `replica-${name}.log`) }
  get address (): string { return `127.0.0.1:${this.port}` }
  get url (): string { return `http://${this.address}` }

  /**
   * Starts `node dist/src/server.js`; resolves when it is alive (/health) and ready (/ready,
   * where the service has it: not shedding load), with the time that took.
   */
  async start (extraEnv: Record<string, string> = {}): Promise<{ alive: number, ready: number }> {
    // A clean environment: only what the service reads, the same secrets for every replica.
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      LOG_LEVEL: 'warn',
      GRADER_TOKEN,
      VARIANT_SECRET,
      MAX_EVENT_LOOP_DELAY_MS: String(run.maxEventLoopDelayMs),
      ...extraEnv
    }
    this.child = start(process.execPath, [join(ROOT, 'dist', 'src', 'server.js')], { env, log: this.log })
    const started = Date.now()
    await waitFor(`${this.url}/health`, this.child, this.log, `replica ${this.name}`)
    const alive = Date.now() - started
    await waitFor(`${this.url}/ready`, this.child, this.log, `replica ${this.name}`)
    return { alive, ready: Date.now() - started }
  }

  /** Sends `signal`; resolves with how the process ended and how long that took. */
  async stop (signal: 'SIGKILL' | 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null, signal: string | null, ms: number }> {
    const child = this.child!
    const started = Date.now()
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>
    child.kill(signal)
    const result = await Promise.race([exited, sleep(timeoutMs).then(() => undefined)])
    if (result === undefined) throw new Error(`replica ${this.name} did not exit within ${timeoutMs / 1000} s of ${signal}; its log:\n${tail(this.log)}`)
    return { code: result[0], signal: result[1], ms: Date.now() - started }
  }
}

// ---------------------------------------------------------------------------------------------
// nginx.

/** $NGINX when set (a binary of one's own), else nginx on PATH or in the usual sbin directories. */
export function findNginx (): string | undefined {
  if (process.env.NGINX !== undefined) return existsSync(process.env.NGINX) ? process.env.NGINX : undefined
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']
  return dirs.map((dir) => join(dir, 'nginx')).find((path) => existsSync(path))
}

/** nginx's workers and master as an unprivileged user: ourselves, or nobody when we are root. */
export function unprivileged (): { uid?: number, gid?: number, user: string } {
  if (process.getuid?.() !== 0) return { user: process.env.USER ?? `uid ${process.getuid?.()}` }
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === 'nobody')
  return { uid: Number(entry?.[2] ?? 65534), gid: Number(entry?.[3] ?? 65534), user: 'nobody' }
}

// ---------------------------------------------------------------------------------------------
// Load.

export interface Tally {
  sent: number
  ok: number
  /** 2xx whose body was not the right answer */
  wrong: number
  non2xx: Map<number, number>
  errors: Map<string, number>
  timeouts: number
}
export const newTally = (): Tally => ({ sent: 0, ok: 0, wrong: 0, non2xx: new Map(), errors: new Map(), timeouts: 0 })
export const bump = <K>(map: Map<K, number>, key: K): void => { map.set(key, (map.get(key) ?? 0) + 1) }
export const failures = (t: Tally): number => t.wrong + [...t.non2xx.values(), ...t.errors.values()].reduce((a, b) => a + b, 0) + t.timeouts

export interface Reference {
  questions: string[]
  /** student → question → params */
  variants: Map<string, Map<string, unknown>>
  /** student → their 3.2-param-count answer */
  paramCounts: Map<string, number>
}

/** Request number i of the mix: what to send and how to tell a right answer. */
function request (i: number, base: string, ref: Reference): { url: string, init: Parameters<typeof send>[1], check: (body: any) => boolean } {
  const student = STUDENTS[Math.floor(i / 3) % STUDENTS.length]
  switch (i % 3) {
    case 0:
      return {
        url: `${base}/param-count`,
        init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PARAM_COUNT_BODY) },
        check: (body) => body.total === PARAM_COUNT_TOTAL
      }
    case 1:
      return {
        url: `${base}/grade`,
        init: {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ student, items: [{ question: '3.2-param-count', answer: ref.paramCounts.get(student) }] })
        },
        check: (body) => body.score === 1 && body.maxScore === 1
      }
    default: {
      const question = ref.questions[Math.floor(i / 3) % ref.questions.length]
      return {
        url: `${base}/questions/${encodeURIComponent(question)}/variant?student=${encodeURIComponent(student)}`,
        init: { headers: AUTH },
        check: (body) => isDeepStrictEqual(body.params, ref.variants.get(student)!.get(question))
      }
    }
  }
}

/** How the load is sent: `concurrency` loops, together at most `rate` requests a second (0: as fast as they can). */
export interface LoadShape { concurrency: number, rate: number }

/**
 * The mix sent through `base` by `shape.concurrency` loops until `durationMs` have passed, or
 * until `stop.done` is set; each request awaited to its end. With a rate, each loop sends one
 * request every concurrency/rate seconds and never bursts to catch up: a steady load, as a
 * course's clients make it, which the replicas can serve. Without one, the loops saturate
 * every CPU of the machine, the load generator's and nginx's included, and the replicas' event
 * loops fall behind for want of a CPU (then they shed load): a stress test of this one
 * machine rather than of failing over.
 */
export async function load (base: string, ref: Reference, shape: LoadShape, durationMs: number, tally: Tally, stop: { done: boolean } = { done: false }): Promise<void> {
  const deadline = Date.now() + durationMs
  const intervalMs = shape.rate > 0 ? shape.concurrency * 1000 / shape.rate : 0
  let next = 0
  const loop = async (index: number): Promise<void> => {
    // The loops start spread over one interval, not all at once.
    let due = Date.now() + intervalMs * index / shape.concurrency
    while (Date.now() < deadline && !stop.done) {
      if (intervalMs > 0) {
        const wait = due - Date.now()
        if (wait > 0) await sleep(wait)
        due = Math.max(due + intervalMs, Date.now())
        if (Date.now() >= deadline || stop.done) break
      }
      const { url, init, check } = request(next++, base, ref)
      tally.sent++
      try {
        const { status, text } = await send(url, init)
        if (status < 200 || status > 299) { bump(tally.non2xx, status); continue }
        let right = false
        try { right = check(JSON.parse(text)) } catch { /* not JSON */ }
        if (right) tally.ok++
        else tally.wrong++
      } catch (error) {
        const code = (error as { code?: string }).code ?? String(error)
        if (code === 'TIMEOUT') tally.timeouts++
        else bump(tally.errors, code)
      }
    }
  }
  await Promise.all(Array.from({ length: shape.concurrency }, (_, index) => loop(index)))
}

/** A JSON answer outside the load (set-up and checks); a 503 (load shedding) is retried after its Retry-After. */
export async function getJson (url: string, headers: Record<string, string> = {}, body?: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const answer = await send(url, body === undefined
      ? { headers }
      : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (answer.status === 200) return JSON.parse(answer.text)
    if (answer.status !== 503 || attempt === 10) throw new Error(`${url}: ${answer.status} ${answer.text}`)
    await sleep(1000 * Math.min(5, Number(answer.headers['retry-after']) || 1))
  }
}

/** Every student's variant of every question, from one replica. */
export async function variantsOf (replica: Replica, questions: string[]): Promise<Map<string, Map<string, unknown>>> {
  const all = new Map<string, Map<string, unknown>>()
  for (const student of STUDENTS) {
    const mine = new Map<string, unknown>()
    for (const question of questions) {
      const variant = await getJson(`${replica.url}/questions/${encodeURIComponent(question)}/variant?student=${encodeURIComponent(student)}`, AUTH)
      mine.set(question, variant.params)
    }
    all.set(student, mine)
  }
  return all
}

/** How many (student, question) pairs two replicas agree on. */
export function agreement (a: Map<string, Map<string, unknown>>, b: Map<string, Map<string, unknown>>): { same: number, total: number } {
  let same = 0
  let total = 0
  for (const [student, questions] of a) {
    for (const [question, params] of questions) {
      total++
      if (isDeepStrictEqual(params, b.get(student)?.get(question))) same++
    }
  }
  return { same, total }
}

export interface AccessLine { status: number, request: string, upstream_addr: string, upstream_status: string }

/** nginx's access log from line `from` on: retries and which replica answered. */
export function accessLog (path: string, from: number): { lines: AccessLine[], count: number } {
  const all = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')
  return { lines: all.slice(from).map((l) => JSON.parse(l) as AccessLine), count: all.length }
}

export function describeTally (t: Tally): string {
  const parts = [`sent ${t.sent}`, `2xx ${t.ok + t.wrong}`, `non-2xx ${[...t.non2xx.values()].reduce((a, b) => a + b, 0)}`,
    `errors ${[...t.errors.values()].reduce((a, b) => a + b, 0)}`, `timeouts ${t.timeouts}`, `wrong answers ${t.wrong}`]
  const details = [...[...t.non2xx].map(([status, n]) => `HTTP ${status} ×${n}`), ...[...t.errors].map(([code, n]) => `${code} ×${n}`)]
  return parts.join(', ') + (details.length > 0 ? ` (${details.join(', ')})` : '')
}

export function describeRetries (lines: AccessLine[], names: Map<string, string>): string[] {
  const retried = lines.filter((l) => l.upstream_addr.includes(','))
  const firstAttempts = new Map<string, number>()
  const methods = new Map<string, number>()
  for (const l of retried) {
    bump(firstAttempts, `${names.get(l.upstream_addr.split(',')[0].trim()) ?? '?'} ${l.upstream_status.split(',')[0].trim()}`)
    bump(methods, l.request.split(' ')[0])
  }
  const answeredBy = new Map<string, number>()
  for (const l of lines) bump(answeredBy, names.get(l.upstream_addr.split(',').at(-1)!.trim()) ?? (l.upstream_addr || 'nginx'))
  return [
    `nginx proxied ${lines.length}: answered by ${[...answeredBy].map(([name, n]) => `${name} ${n}`).join(', ')}`,
    `retried on the other replica: ${retried.length}` + (retried.length === 0
      ? ''
      : ` (${[...methods].map(([method, n]) => `${method} ${n}`).join(', ')}; first attempt: ${[...firstAttempts].map(([k, n]) => `${k} ×${n}`).join(', ')}, ` +
        'nginx logs a refused or reset connection as 502)')
  ]
}

/** Sums `t` into `total`. */
export function mergeTally (total: Tally, t: Tally): void {
  total.sent += t.sent; total.ok += t.ok; total.wrong += t.wrong; total.timeouts += t.timeouts
  for (const [k, n] of t.non2xx) total.non2xx.set(k, (total.non2xx.get(k) ?? 0) + n)
  for (const [k, n] of t.errors) total.errors.set(k, (total.errors.get(k) ?? 0) + n)
}

// ---------------------------------------------------------------------------------------------
// Setting up.

/** Builds dist/ when it is missing, or always with `rebuild`. */
export function ensureBuilt (rebuild: boolean): void {
  const server = join(ROOT, 'dist', 'src', 'server.js')
  if (!rebuild && existsSync(server)) return
  console.log(rebuild ? 'building (--rebuild): npm run build' : 'dist/ is missing: npm run build')
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('npm run build failed')
}

/**
 * nginx's path, installed with apt when missing and `install` is set (as root); undefined, after
 * saying how to install it, when it is missing.
 */
export function requireNginx (install: boolean, script: string): string | undefined {
  const nginx = findNginx()
  if (nginx !== undefined) return nginx
  if (install && process.getuid?.() === 0) {
    console.log('nginx is missing: apt-get update && apt-get install -y nginx')
    const apt = spawnSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx'], { stdio: 'inherit' })
    if (apt.status !== 0) throw new Error('could not install nginx')
    return findNginx()
  }
  console.error(`nginx ${process.env.NGINX === undefined ? 'is not installed' : `not found at NGINX=${process.env.NGINX}`}, and this proof runs the real nginx.\n` +
    '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y nginx   (or run this script with --install-nginx as root)\n' +
    `  Then run it again: npx tsx ${script}`)
  return undefined
}

export interface Front {
  /** the HTTPS origin every request of the load goes to */
  https: string
  /** the plain-HTTP origin, which only redirects */
  http: string
  child: ChildProcess
  version: string
  user: string
  accessLogPath: string
  errorLogPath: string
}

/**
 * nginx in front of `upstreams`, from deploy/nginx.conf as compose renders it but for loopback
 * addresses, unprivileged (nobody when run as root), in TEMP/nginx, with a self-signed
 * certificate for 127.0.0.1 made by deploy/tls/self-signed.sh and trusted by this process's
 * https agent alone. Resolves once nginx answers /health over HTTPS.
 */
export async function startNginx (nginx: string, upstreams: string[]): Promise<Front> {
  const version = spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '')
  const prefix = join(TEMP, 'nginx')
  const tls = join(prefix, 'tls')
  mkdirSync(join(prefix, 'temp'), { recursive: true })
  const certificate = spawnSync('sh', [join(ROOT, 'deploy', 'tls', 'self-signed.sh'), tls, '127.0.0.1'], { encoding: 'utf8' })
  if (certificate.status !== 0) throw new Error(`deploy/tls/self-signed.sh failed (is openssl installed?):\n${certificate.stderr}`)
  tlsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256, ca: readFileSync(join(tls, 'dlcheck.crt')) })
  const [httpPort, httpsPort] = [await freePort(), await freePort()]
  const accessLogPath = join(prefix, 'access.log')
  const errorLogPath = join(prefix, 'error.log')
  const confPath = join(prefix, 'nginx.conf')
  writeFileSync(confPath, renderNginxConf(readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8'), upstreams, {
    DLCHECK_LISTEN: `127.0.0.1:${httpPort}`,
    DLCHECK_LISTEN_TLS: `127.0.0.1:${httpsPort}`,
    DLCHECK_HTTPS_PORT: String(httpsPort),
    DLCHECK_TLS_CERT: join(tls, 'dlcheck.crt'),
    DLCHECK_TLS_KEY: join(tls, 'dlcheck.key'),
    // Loopback addresses: nothing to resolve (compose: Docker's DNS and `resolve`).
    DLCHECK_RESOLVER: '127.0.0.1',
    DLCHECK_UPSTREAM_RESOLVE: '',
    DLCHECK_TEMP_DIR: join(prefix, 'temp'),
    DLCHECK_ACCESS_LOG: accessLogPath
  }))
  writeFileSync(accessLogPath, '')
  const user = unprivileged()
  if (user.uid !== undefined) {
    for (const path of [TEMP, prefix, join(prefix, 'temp'), tls, join(tls, 'dlcheck.key'), confPath, accessLogPath]) chownSync(path, user.uid, user.gid!)
  }
  const nginxArgs = ['-p', `${prefix}/`, '-c', confPath, '-e', errorLogPath, '-g', `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${errorLogPath} warn;`]
  const test = spawnSync(nginx, ['-t', ...nginxArgs], { encoding: 'utf8', uid: user.uid, gid: user.gid })
  if (test.status !== 0) throw new Error(`nginx -t rejected the rendered config ${confPath}:\n${test.stderr}`)
  const child = start(nginx, nginxArgs, { log: join(prefix, 'stdout.log'), uid: user.uid, gid: user.gid })
  const front = { https: `https://127.0.0.1:${httpsPort}`, http: `http://127.0.0.1:${httpPort}`, child, version, user: user.user, accessLogPath, errorLogPath }
  await waitFor(`${front.https}/health`, child, errorLogPath, 'nginx')
  return front
}

/**
 * What a client of the front sees besides the load: plain HTTP redirected to HTTPS (308 keeps
 * a POST a POST), HSTS, and no /metrics on the public side. One line each, ✗ when wrong.
 */
export async function checkFront (front: Front): Promise<{ ok: boolean, lines: string[] }> {
  const redirect = await send(`${front.http}/questions?lang=fr`)
  const expected = `${front.https}/questions?lang=fr`
  const redirected = redirect.status === 308 && redirect.headers.location === expected
  const health = await send(`${front.https}/health`)
  const hsts = String(health.headers['strict-transport-security'] ?? '')
  const metrics = await send(`${front.https}/metrics`)
  const lines = [
    `http:// → ${redirect.status} Location ${String(redirect.headers.location)}${redirected ? '' : `  ✗ (expected 308 to ${expected})`}`,
    `https:// /health ${health.status} over TLS (certificate checked against the one made for this run), Strict-Transport-Security: ${hsts || 'none  ✗'}`,
    `https:// /metrics → ${metrics.status}${metrics.status === 404 ? ' (not public; Prometheus scrapes the replicas)' : '  ✗ (expected 404)'}`
  ]
  return { ok: redirected && health.status === 200 && hsts !== '' && metrics.status === 404, lines }
}

/**
 * What the load checks answers against: the bank's question ids, every student's variants (from
 * the first replica) and their 3.2 answer, and how many (student, question) pairs every other
 * replica agrees on.
 */
export async function reference (front: Front, replicas: Replica[]): Promise<{ ref: Reference, agree: { same: number, total: number } }> {
  const ids = (await getJson(`${front.https}/questions`) as { questions: Array<{ id: string }> }).questions.map((q) => q.id)
  if (ids.length === 0) throw new Error('GET /questions listed no question')
  const variants = await variantsOf(replicas[0], ids)
  const agree = { same: 0, total: 0 }
  for (const other of replicas.slice(1)) {
    const pairs = agreement(variants, await variantsOf(other, ids))
    agree.same += pairs.same
    agree.total += pairs.total
  }
  const paramCounts = new Map<string, number>()
  for (const student of STUDENTS) {
    const params = variants.get(student)!.get('3.2-param-count')
    paramCounts.set(student, (await getJson(`${replicas[0].url}/param-count`, {}, params)).total)
  }
  return { ref: { questions: ids, variants, paramCounts }, agree }
}

// ---------------------------------------------------------------------------------------------
// What both proofs' command lines and endings share.

/** The options every proof takes, for node:util's parseArgs (each proof adds its own). */
export const PROOF_OPTIONS = {
  concurrency: { type: 'string', default: '16' },
  rate: { type: 'string', default: '1000' },
  'max-event-loop-delay-ms': { type: 'string', default: '100' },
  rebuild: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  'install-nginx': { type: 'boolean', default: false }
} as const

/**
 * Applies the shared options (--keep and the replicas' event-loop limit go to `run`) and returns
 * the load's shape. With one out of range, or `ownValid` false (the proof's own options), prints
 * the usage, `usage` first (the script and its own options), and exits 1.
 */
export function proofOptions (values: { concurrency: string, rate: string, 'max-event-loop-delay-ms': string, keep: boolean }, usage: string, ownValid: boolean): LoadShape {
  const shape = { concurrency: Number(values.concurrency), rate: Number(values.rate) }
  run.keep = values.keep
  run.maxEventLoopDelayMs = Number(values['max-event-loop-delay-ms'])
  if (!ownValid || !Number.isInteger(shape.concurrency) || shape.concurrency < 1 || !(shape.rate >= 0) || !Number.isInteger(run.maxEventLoopDelayMs) || run.maxEventLoopDelayMs < 0) {
    console.error(`usage: ${usage} [--concurrency N ≥ 1] [--rate requests/s, 0: unbounded] [--max-event-loop-delay-ms N] [--rebuild] [--keep] [--install-nginx]`)
    process.exit(1)
  }
  return shape
}

/** A proof's verdict as its exit status; on failure the temp directory is kept and nginx's error log shown. */
export function verdict (ok: boolean, front: Front): number {
  if (!ok) {
    run.keep = true
    console.log(`nginx error log:\n${tail(front.errorLogPath)}`)
  }
  return ok ? 0 : 1
}

/** Runs a proof's main, then stops every process it started and exits with its status (1 on an error). */
export async function runProof (main: () => Promise<number>): Promise<never> {
  let status = 1
  try {
    status = await main()
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
    run.keep = true
  }
  await cleanup()
  process.exit(status)
}

/** The load's shape in words, for the proofs' reports. */
export const describeShape = (shape: LoadShape): string => `${shape.concurrency} concurrent${shape.rate > 0 ? `, at most ${shape.rate} requests/s` : ''}`
