#!/usr/bin/env -S npx tsx
/**
 * The scale-out proof, on loopback: two dlcheck replicas behind nginx with deploy/nginx.conf,
 * load through nginx, one replica crashed (SIGKILL) mid-run and restarted, the other stopped
 * gracefully (SIGTERM) mid-run; every request must still be answered 2xx with the right answer.
 *
 *   npx tsx scripts/scale-out/prove.ts [--seconds 10] [--concurrency 16] [--rebuild] [--keep] [--install-nginx]
 *   (NGINX=/path/to/nginx to use another nginx binary)
 *
 * Steps: build dist/ if missing (or with --rebuild); start replicas A and B on free loopback
 * ports with one GRADER_TOKEN and one VARIANT_SECRET; render deploy/nginx.conf for their
 * addresses (the template docker compose uses, see its header) and run nginx unprivileged
 * with a temporary prefix; check that A and B hand every student the same variants; then
 *   phase 1 (--seconds): load; SIGKILL A at 35 % (a crash); start A again at 60 % (what
 *            compose's restart policy does);
 *   phase 2 (half as long): load; SIGTERM B at 40 %: it answers what it has and exits 0.
 * The load mixes POST /param-count, POST /grade and GET /questions/{id}/variant (both with the
 * token); every 2xx body is checked (the count, the score, the variant's params).
 * Exit 0 only if every request got a 2xx with the right body, A and B agreed on every
 * variant, and B exited 0 after SIGTERM; 1 otherwise; 2 when nginx is missing.
 * Every process it starts is stopped and the temporary directory removed on exit, Ctrl-C
 * included (--keep keeps the directory: the rendered config, nginx's and the replicas' logs).
 *
 * Its own load loop (node:http with a keep-alive agent) rather than autocannon: each request
 * is awaited to its end, so "sent" equals "answered + failed" exactly (a duration-bounded
 * autocannon run abandons the requests in flight when it stops), and every body is checked,
 * not only the status. Not fetch: Node 20's fetch sends about 15 times fewer POSTs a second.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Agent, request as httpRequest } from 'node:http'
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    rebuild: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'install-nginx': { type: 'boolean', default: false }
  }
})
const SECONDS = Number(options.seconds)
const CONCURRENCY = Number(options.concurrency)
if (!(SECONDS >= 2) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error('usage: prove.ts [--seconds N ≥ 2] [--concurrency N ≥ 1] [--rebuild] [--keep] [--install-nginx]')
  process.exit(1)
}
const REQUEST_TIMEOUT_MS = 10_000
const STUDENTS = ['ada@example.edu', 'grace@example.edu', 'alan@example.edu', 'émilie@example.edu']
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
const ROOT = findRoot()
const TEMP = mkdtempSync(join(tmpdir(), 'dlcheck-scale-out-'))
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
  if (options.keep) console.log(`kept ${TEMP}`)
  else rmSync(TEMP, { recursive: true, force: true })
}
/** SIGTERM to every live child first (nginx's master then stops its workers), SIGKILL after 3 s. */
async function cleanup (): Promise<void> {
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
function start (command: string, args: string[], opts: { env?: NodeJS.ProcessEnv, log: string, uid?: number, gid?: number }): ChildProcess {
  const fd = openSync(opts.log, 'a')
  const child = spawn(command, args, { cwd: ROOT, env: opts.env, stdio: ['ignore', fd, fd], detached: true, uid: opts.uid, gid: opts.gid })
  closeSync(fd)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

function tail (path: string, lines = 15): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n') } catch { return '    | (no log)' }
}

/** A free loopback port: bind port 0, read it, close. */
async function freePort (): Promise<number> {
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

interface Answer { status: number, text: string, headers: Record<string, string | string[] | undefined> }

/**
 * One HTTP request, resolved with the whole answer; rejected with the socket's error code
 * (ECONNRESET, ECONNREFUSED, …) or TIMEOUT after `timeoutMs` without progress.
 */
function send (url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) }
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, agent, timeout: timeoutMs }, (response) => {
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
async function waitFor (url: string, child: ChildProcess, log: string, what: string, timeoutMs = 30_000): Promise<number> {
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

const ms = (t: number): string => `${(t / 1000).toFixed(1)} s`

// ---------------------------------------------------------------------------------------------
// The service.

const GRADER_TOKEN = randomBytes(24).toString('base64url')
const VARIANT_SECRET = randomBytes(24).toString('base64url')
const AUTH = { authorization: `Bearer ${GRADER_TOKEN}` }

class Replica {
  child?: ChildProcess
  readonly log: string
  constructor (readonly name: string, readonly port: number) { this.log = join(TEMP, `replica-${name}.log`) }
  get address (): string { return `127.0.0.1:${this.port}` }
  get url (): string { return `http://${this.address}` }

  /**
   * Starts `node dist/src/server.js`; resolves when it is alive (/health) and ready (/ready,
   * where the service has it: not shedding load), with the time that took.
   */
  async start (): Promise<{ alive: number, ready: number }> {
    // A clean environment: only what the service reads, the same secrets for every replica.
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(this.port),
      LOG_LEVEL: 'warn',
      GRADER_TOKEN,
      VARIANT_SECRET
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

/**
 * deploy/nginx.conf with its placeholders filled, as the nginx image's envsubst does in
 * compose (`${NAME}` and `$NAME` of the given names), plus one rule: a non-comment line that
 * names DLCHECK_UPSTREAM is written once per address (compose gives one name instead, which
 * Docker's DNS resolves to every replica). Throws on a DLCHECK_ placeholder it has no value for.
 */
function renderNginxConf (template: string, upstreams: string[], values: Record<string, string>): string {
  const lines = template.split('\n').flatMap((line) =>
    !line.trimStart().startsWith('#') && /\$\{?DLCHECK_UPSTREAM\b/.test(line)
      ? upstreams.map((address) => line.replace(/\$\{DLCHECK_UPSTREAM\}|\$DLCHECK_UPSTREAM\b/g, address))
      : [line])
  return lines.join('\n').replace(/\$\{(DLCHECK_\w+)\}|\$(DLCHECK_\w+)/g, (match, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!
    if (!(name in values)) throw new Error(`deploy/nginx.conf: no value for ${match}`)
    return values[name]
  })
}

/** $NGINX when set (a binary of one's own), else nginx on PATH or in the usual sbin directories. */
function findNginx (): string | undefined {
  if (process.env.NGINX !== undefined) return existsSync(process.env.NGINX) ? process.env.NGINX : undefined
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']
  return dirs.map((dir) => join(dir, 'nginx')).find((path) => existsSync(path))
}

/** nginx's workers and master as an unprivileged user: ourselves, or nobody when we are root. */
function unprivileged (): { uid?: number, gid?: number, user: string } {
  if (process.getuid?.() !== 0) return { user: process.env.USER ?? `uid ${process.getuid?.()}` }
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === 'nobody')
  return { uid: Number(entry?.[2] ?? 65534), gid: Number(entry?.[3] ?? 65534), user: 'nobody' }
}

// ---------------------------------------------------------------------------------------------
// Load.

interface Tally {
  sent: number
  ok: number
  /** 2xx whose body was not the right answer */
  wrong: number
  non2xx: Map<number, number>
  errors: Map<string, number>
  timeouts: number
}
const newTally = (): Tally => ({ sent: 0, ok: 0, wrong: 0, non2xx: new Map(), errors: new Map(), timeouts: 0 })
const bump = <K>(map: Map<K, number>, key: K): void => { map.set(key, (map.get(key) ?? 0) + 1) }
const failures = (t: Tally): number => t.wrong + [...t.non2xx.values(), ...t.errors.values()].reduce((a, b) => a + b, 0) + t.timeouts

interface Reference {
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

/** CONCURRENCY loops sending the mix through `base` until `ms` have passed; each request awaited to its end. */
async function load (base: string, ref: Reference, durationMs: number, tally: Tally): Promise<void> {
  const deadline = Date.now() + durationMs
  let next = 0
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) {
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
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
}

/** A JSON answer outside the load (set-up and checks); a 503 (load shedding) is retried after its Retry-After. */
async function getJson (url: string, headers: Record<string, string> = {}, body?: unknown): Promise<any> {
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
async function variantsOf (replica: Replica, questions: string[]): Promise<Map<string, Map<string, unknown>>> {
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
function agreement (a: Map<string, Map<string, unknown>>, b: Map<string, Map<string, unknown>>): { same: number, total: number } {
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

interface AccessLine { status: number, request: string, upstream_addr: string, upstream_status: string }

/** nginx's access log from line `from` on: retries and which replica answered. */
function accessLog (path: string, from: number): { lines: AccessLine[], count: number } {
  const all = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')
  return { lines: all.slice(from).map((l) => JSON.parse(l) as AccessLine), count: all.length }
}

function describeTally (t: Tally): string {
  const parts = [`sent ${t.sent}`, `2xx ${t.ok + t.wrong}`, `non-2xx ${[...t.non2xx.values()].reduce((a, b) => a + b, 0)}`,
    `errors ${[...t.errors.values()].reduce((a, b) => a + b, 0)}`, `timeouts ${t.timeouts}`, `wrong answers ${t.wrong}`]
  const details = [...[...t.non2xx].map(([status, n]) => `HTTP ${status} ×${n}`), ...[...t.errors].map(([code, n]) => `${code} ×${n}`)]
  return parts.join(', ') + (details.length > 0 ? ` (${details.join(', ')})` : '')
}

function describeRetries (lines: AccessLine[], names: Map<string, string>): string[] {
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

// ---------------------------------------------------------------------------------------------

async function main (): Promise<number> {
  const nginx = findNginx()
  if (nginx === undefined) {
    if (options['install-nginx'] && process.getuid?.() === 0) {
      console.log('nginx is missing: apt-get update && apt-get install -y nginx')
      const apt = spawnSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx'], { stdio: 'inherit' })
      if (apt.status !== 0) throw new Error('could not install nginx')
      return await main()
    }
    console.error(`nginx ${process.env.NGINX === undefined ? 'is not installed' : `not found at NGINX=${process.env.NGINX}`}, and this proof runs the real nginx.\n` +
      '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y nginx   (or run this script with --install-nginx as root)\n' +
      '  Then run it again: npx tsx scripts/scale-out/prove.ts')
    return 2
  }
  const nginxVersion = spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '')

  const server = join(ROOT, 'dist', 'src', 'server.js')
  if (options.rebuild || !existsSync(server)) {
    console.log(options.rebuild ? 'building (--rebuild): npm run build' : 'dist/ is missing: npm run build')
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    if (build.status !== 0) throw new Error('npm run build failed')
  }

  const [portA, portB, portNginx] = [await freePort(), await freePort(), await freePort()]
  const a = new Replica('A', portA)
  const b = new Replica('B', portB)
  await Promise.all([a.start(), b.start()])
  const names = new Map([[a.address, 'A'], [b.address, 'B']])

  // nginx, from the same template as compose, as an unprivileged user, in TEMP/nginx.
  const prefix = join(TEMP, 'nginx')
  mkdirSync(join(prefix, 'temp'), { recursive: true })
  const accessLogPath = join(prefix, 'access.log')
  const errorLogPath = join(prefix, 'error.log')
  const confPath = join(prefix, 'nginx.conf')
  writeFileSync(confPath, renderNginxConf(readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8'), [a.address, b.address], {
    DLCHECK_LISTEN: `127.0.0.1:${portNginx}`,
    DLCHECK_TEMP_DIR: join(prefix, 'temp'),
    DLCHECK_ACCESS_LOG: accessLogPath
  }))
  writeFileSync(accessLogPath, '')
  const user = unprivileged()
  if (user.uid !== undefined) {
    for (const path of [TEMP, prefix, join(prefix, 'temp'), confPath, accessLogPath]) chownSync(path, user.uid, user.gid!)
  }
  const nginxArgs = ['-p', `${prefix}/`, '-c', confPath, '-e', errorLogPath, '-g', `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${errorLogPath} warn;`]
  const test = spawnSync(nginx, ['-t', ...nginxArgs], { encoding: 'utf8', uid: user.uid, gid: user.gid })
  if (test.status !== 0) throw new Error(`nginx -t rejected the rendered config ${confPath}:\n${test.stderr}`)
  const nginxChild = start(nginx, nginxArgs, { log: join(prefix, 'stdout.log'), uid: user.uid, gid: user.gid })
  const proxy = `http://127.0.0.1:${portNginx}`
  await waitFor(`${proxy}/health`, nginxChild, errorLogPath, 'nginx')

  console.log(`dlcheck scale-out proof: 2 replicas behind ${nginxVersion} on loopback`)
  console.log(`  replica A  ${a.address}  pid ${a.child!.pid}`)
  console.log(`  replica B  ${b.address}  pid ${b.child!.pid}   (same GRADER_TOKEN and VARIANT_SECRET, fresh random values)`)
  console.log(`  nginx      127.0.0.1:${portNginx}  pid ${nginxChild.pid}, user ${user.user}, config rendered from deploy/nginx.conf`)

  // Stateless: A and B hand every student the same variant of every question.
  const ids = (await getJson(`${proxy}/questions`) as { questions: Array<{ id: string }> }).questions.map((q) => q.id)
  if (ids.length === 0) throw new Error('GET /questions listed no question')
  const [variantsA, variantsB] = [await variantsOf(a, ids), await variantsOf(b, ids)]
  const agree = agreement(variantsA, variantsB)
  let ok = agree.same === agree.total
  console.log(`\nstateless: ${STUDENTS.length} students × ${ids.length} questions, A and B give the same variant ${agree.same}/${agree.total}${ok ? '' : '  ✗'}`)
  const paramCounts = new Map<string, number>()
  for (const student of STUDENTS) {
    const params = variantsA.get(student)!.get('3.2-param-count')
    paramCounts.set(student, (await getJson(`${a.url}/param-count`, {}, params)).total)
  }
  const ref: Reference = { questions: ids, variants: variantsA, paramCounts }

  const total = newTally()
  const events: string[] = []
  const note = (start: number, text: string): void => { events.push(`  t=${ms(Date.now() - start).padStart(6)}  ${text}`) }
  const merge = (t: Tally): void => {
    total.sent += t.sent; total.ok += t.ok; total.wrong += t.wrong; total.timeouts += t.timeouts
    for (const [k, n] of t.non2xx) total.non2xx.set(k, (total.non2xx.get(k) ?? 0) + n)
    for (const [k, n] of t.errors) total.errors.set(k, (total.errors.get(k) ?? 0) + n)
  }

  // Phase 1: a crash. SIGKILL A under load, then start it again.
  const phase1Ms = SECONDS * 1000
  const tally1 = newTally()
  let logFrom = accessLog(accessLogPath, 0).count
  const start1 = Date.now()
  const chaos1 = (async () => {
    await sleep(phase1Ms * 0.35)
    const pid = a.child!.pid
    const killed = await a.stop('SIGKILL')
    note(start1, `SIGKILL replica A (pid ${pid}): ${killed.signal === 'SIGKILL' ? 'killed under load' : `ended with ${killed.code ?? killed.signal}`}`)
    await sleep(Math.max(0, start1 + phase1Ms * 0.6 - Date.now()))
    const took = await a.start()
    note(start1, `replica A started again (pid ${a.child!.pid}, same port): alive after ${ms(took.alive)}, ready after ${ms(took.ready)}`)
  })()
  await Promise.all([load(proxy, ref, phase1Ms, tally1), chaos1])
  let log = accessLog(accessLogPath, logFrom)
  logFrom = log.count
  console.log(`\nphase 1, a crash: ${SECONDS} s of load, ${CONCURRENCY} concurrent, through nginx`)
  console.log(events.splice(0).join('\n'))
  console.log(`  requests: ${describeTally(tally1)}`)
  for (const line of describeRetries(log.lines, names)) console.log(`  ${line}`)
  merge(tally1)

  // The restarted A: same variants (the secret, not the process, makes them), and back in
  // nginx's rotation once fail_timeout is over (probed by a live request).
  const restarted = agreement(variantsA, await variantsOf(a, ids))
  ok &&= restarted.same === restarted.total
  const rejoinStart = Date.now()
  let rejoined = false
  while (!rejoined && Date.now() - rejoinStart < 15_000) {
    await getJson(`${proxy}/health`)
    log = accessLog(accessLogPath, logFrom)
    rejoined = log.lines.some((l) => l.upstream_addr === a.address && l.status === 200)
    if (!rejoined) await sleep(100)
  }
  logFrom = accessLog(accessLogPath, 0).count
  console.log(`  restarted A gives the same variants ${restarted.same}/${restarted.total}; ` +
    (rejoined ? `back in nginx's rotation ${ms(Date.now() - rejoinStart)} after the load ended` : 'NOT back in nginx\'s rotation after 15 s  ✗'))
  ok &&= rejoined

  // Phase 2: a graceful stop. SIGTERM B under load: it answers what it has, then exits 0.
  const phase2Ms = Math.max(2000, phase1Ms / 2)
  const tally2 = newTally()
  const start2 = Date.now()
  let termCode: number | null = null
  const chaos2 = (async () => {
    await sleep(phase2Ms * 0.4)
    const pid = b.child!.pid
    note(start2, `SIGTERM replica B (pid ${pid})`)
    const stopped = await b.stop('SIGTERM')
    termCode = stopped.code
    note(start2, `replica B exited with ${stopped.code ?? stopped.signal} after ${ms(stopped.ms)}${stopped.code === 0 ? '' : '  ✗ (expected 0)'}`)
  })()
  await Promise.all([load(proxy, ref, phase2Ms, tally2), chaos2])
  log = accessLog(accessLogPath, logFrom)
  console.log(`\nphase 2, a graceful stop: ${ms(phase2Ms)} of load, ${CONCURRENCY} concurrent, through nginx`)
  console.log(events.splice(0).join('\n'))
  console.log(`  requests: ${describeTally(tally2)}`)
  for (const line of describeRetries(log.lines, names)) console.log(`  ${line}`)
  merge(tally2)
  ok &&= termCode === 0

  const failed = failures(total)
  ok &&= failed === 0 && total.sent > 0
  console.log(`\ntotal: ${describeTally(total)}`)
  console.log(ok
    ? `PASS: all ${total.sent} requests answered 2xx with the right answer through one crash and one graceful stop; replicas agree on every variant`
    : `FAIL: ${failed} of ${total.sent} requests not answered 2xx with the right answer${termCode === 0 ? '' : ', or B did not exit 0 on SIGTERM'}, or the replicas disagreed (see ✗ above); logs in ${TEMP} (kept)`)
  if (!ok) {
    options.keep = true
    console.log(`nginx error log:\n${tail(errorLogPath)}`)
  }
  return ok ? 0 : 1
}

let status = 1
try {
  status = await main()
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  options.keep = true
}
await cleanup()
process.exit(status)
