#!/usr/bin/env -S npx tsx
/**
 * The rolling-upgrade proof, on loopback: N dlcheck replicas (3, as docker-compose.yml runs)
 * behind nginx with deploy/nginx.conf over HTTPS, under steady load; each replica in turn is
 * replaced by a new one as an orchestrator does it (SIGTERM the old, which answers what it has
 * and exits 0; start the new on the same address; wait for its /ready and for nginx to send it
 * traffic again; next). Every request must be answered 2xx with the right answer: 0 failed.
 *
 *   npm run proof:rolling -- [--replicas 3] [--settle 2] [--concurrency 16] [--rate 1000] [--max-event-loop-delay-ms 100] [--rebuild] [--keep] [--install-nginx]
 *   (NGINX=/path/to/nginx to use another nginx binary)
 *
 * Both generations run this checkout's dist/; they differ in GIT_COMMIT (1111111, then
 * 2222222), which GET /version reports, so the proof sees which generation answers: a probe
 * asks /version through nginx every 100 ms, and at the end every replica must report the new
 * one. Waiting for nginx to route to a new replica before stopping the next matters: nginx
 * takes a replica whose port refused connections out for fail_timeout (5 s), and stopping the
 * next one meanwhile would leave fewer replicas than the load needs.
 * Exit 0 only if every request got a right 2xx, every old replica exited 0, every new one
 * rejoined, and the front behaved (./harness.ts, checkFront); 1 otherwise; 2 without nginx.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  accessLog, checkFront, describeRetries, describeShape, describeTally, ensureBuilt, failures, freePort, load, ms, newTally,
  PROOF_OPTIONS, proofOptions, reference, Replica, requireNginx, runProof, send, startNginx, TEMP, verdict, type Front
} from './harness.js'

const { values: options } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3' },
    settle: { type: 'string', default: '2' },
    ...PROOF_OPTIONS
  }
})
const REPLICAS = Number(options.replicas)
const SETTLE_MS = Number(options.settle) * 1000
const SHAPE = proofOptions(options, 'rolling.ts [--replicas N ≥ 2] [--settle seconds ≥ 0]', Number.isInteger(REPLICAS) && REPLICAS >= 2 && SETTLE_MS >= 0)
const OLD = '1111111'
const NEW = '2222222'
const REJOIN_TIMEOUT_MS = 20_000

/** Resolves true once nginx's access log, from line `from`, shows `address` answering 200; false after REJOIN_TIMEOUT_MS. */
async function rejoined (front: Front, address: string, from: number): Promise<boolean> {
  const started = Date.now()
  while (Date.now() - started < REJOIN_TIMEOUT_MS) {
    if (accessLog(front.accessLogPath, from).lines.some((line) => line.status === 200 && line.upstream_addr.split(',').at(-1)!.trim() === address)) return true
    await sleep(50)
  }
  return false
}

async function main (): Promise<number> {
  const nginx = requireNginx(options['install-nginx'], 'scripts/scale-out/rolling.ts')
  if (nginx === undefined) return 2
  ensureBuilt(options.rebuild)

  const replicas: Replica[] = []
  for (let i = 0; i < REPLICAS; i++) replicas.push(new Replica(String.fromCharCode(65 + i), await freePort()))
  await Promise.all(replicas.map((replica) => replica.start({ GIT_COMMIT: OLD })))
  const names = new Map(replicas.map((replica) => [replica.address, replica.name]))
  const front = await startNginx(nginx, replicas.map((replica) => replica.address))

  console.log(`dlcheck rolling-upgrade proof: ${REPLICAS} replicas behind ${front.version} on loopback, over HTTPS`)
  for (const replica of replicas) console.log(`  replica ${replica.name}  ${replica.address}  pid ${replica.child!.pid}  GIT_COMMIT=${OLD}`)
  console.log(`  nginx      ${front.https.replace('https://', '')} (HTTPS)  pid ${front.child.pid}, user ${front.user}, config rendered from deploy/nginx.conf`)
  const checked = await checkFront(front)
  let ok = checked.ok
  console.log(`\nthe front:\n${checked.lines.map((line) => `  ${line}`).join('\n')}`)
  const { ref, agree } = await reference(front, replicas)
  ok &&= agree.same === agree.total
  console.log(`stateless: every replica gives the first one's variants ${agree.same}/${agree.total}${agree.same === agree.total ? '' : '  ✗'}`)

  // Steady load, and a probe of which generation answers, both until the last replica is replaced.
  const tally = newTally()
  const stop = { done: false }
  const logFrom = accessLog(front.accessLogPath, 0).count
  const started = Date.now()
  const loading = load(front.https, ref, SHAPE, Number.POSITIVE_INFINITY, tally, stop)
  const seen: Array<{ at: number, commit: string }> = []
  const probing = (async () => {
    while (!stop.done) {
      try {
        const answer = await send(`${front.https}/version`)
        if (answer.status === 200) seen.push({ at: Date.now() - started, commit: String(JSON.parse(answer.text).commit) })
      } catch { /* counted by the load, not here */ }
      await sleep(100)
    }
  })()
  const events: string[] = []
  const note = (text: string): void => { events.push(`  t=${ms(Date.now() - started).padStart(6)}  ${text}`) }

  try {
    await sleep(SETTLE_MS)
    for (const replica of replicas) {
      const pid = replica.child!.pid
      note(`SIGTERM replica ${replica.name} (pid ${pid}, ${OLD})`)
      const stopped = await replica.stop('SIGTERM')
      ok &&= stopped.code === 0
      note(`replica ${replica.name} exited with ${stopped.code ?? stopped.signal} after ${ms(stopped.ms)}${stopped.code === 0 ? '' : '  ✗ (expected 0)'}`)
      const from = accessLog(front.accessLogPath, 0).count
      const took = await replica.start({ GIT_COMMIT: NEW })
      note(`new replica ${replica.name} (pid ${replica.child!.pid}, ${NEW}, same address): alive after ${ms(took.alive)}, ready after ${ms(took.ready)}`)
      const back = await rejoined(front, replica.address, from)
      ok &&= back
      note(back ? `nginx sends new replica ${replica.name} traffic` : `nginx did not send new replica ${replica.name} traffic within ${REJOIN_TIMEOUT_MS / 1000} s  ✗`)
      await sleep(SETTLE_MS)
    }
  } finally {
    stop.done = true
    await Promise.all([loading, probing])
  }
  const elapsed = Date.now() - started

  const log = accessLog(front.accessLogPath, logFrom)
  console.log(`\nrolling upgrade: ${ms(elapsed)} of load, ${describeShape(SHAPE)}, through nginx over HTTPS`)
  console.log(events.join('\n'))
  console.log(`  requests: ${describeTally(tally)}`)
  for (const line of describeRetries(log.lines, names)) console.log(`  ${line}`)
  const lastOld = seen.filter((entry) => entry.commit === OLD).at(-1)
  const firstNew = seen.find((entry) => entry.commit === NEW)
  console.log(`  /version through nginx, every 100 ms: ${seen.filter((entry) => entry.commit === OLD).length} × ${OLD}, ${seen.filter((entry) => entry.commit === NEW).length} × ${NEW}; ` +
    `first ${NEW} at t=${firstNew === undefined ? '–' : ms(firstNew.at)}, last ${OLD} at t=${lastOld === undefined ? '–' : ms(lastOld.at)}`)
  const versions = await Promise.all(replicas.map(async (replica) => JSON.parse((await send(`${replica.url}/version`)).text).commit as string))
  const upgraded = versions.every((commit) => commit === NEW)
  ok &&= upgraded
  console.log(`  every replica now reports ${upgraded ? NEW : `${versions.join(', ')}  ✗`}`)

  const failed = failures(tally)
  ok &&= failed === 0 && tally.sent > 0
  console.log(ok
    ? `PASS: ${REPLICAS} replicas replaced one by one under load; all ${tally.sent} requests answered 2xx with the right answer, 0 failed`
    : `FAIL: ${failed} of ${tally.sent} requests failed, or a replica did not stop cleanly, rejoin or upgrade, or the front misbehaved (see ✗ above); logs in ${TEMP} (kept)`)
  return verdict(ok, front)
}

await runProof(main)
