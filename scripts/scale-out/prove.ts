#!/usr/bin/env -S npx tsx
/**
 * The scale-out proof, on loopback: two dlcheck replicas behind nginx with deploy/nginx.conf,
 * load through nginx over HTTPS, one replica crashed (SIGKILL) mid-run and restarted, the other
 * stopped gracefully (SIGTERM) mid-run; every request must still be answered 2xx with the right
 * answer.
 *
 *   npx tsx scripts/scale-out/prove.ts [--seconds 10] [--concurrency 16] [--rate 1000] [--max-event-loop-delay-ms 100] [--rebuild] [--keep] [--install-nginx]
 *   (NGINX=/path/to/nginx to use another nginx binary)
 *
 * Steps: build dist/ if missing (or with --rebuild); start replicas A and B on free loopback
 * ports with one GRADER_TOKEN and one VARIANT_SECRET; render deploy/nginx.conf for their
 * addresses (the template docker compose uses, see its header) and run nginx unprivileged
 * with a temporary prefix and a fresh self-signed certificate (./harness.ts); check the front
 * (HTTP redirected to HTTPS, no public /metrics) and that A and B hand every student the same
 * variants; then
 *   phase 1 (--seconds): load; SIGKILL A at 35 % (a crash); start A again at 60 % (what
 *            compose's restart policy does);
 *   phase 2 (half as long): load; SIGTERM B at 40 %: it answers what it has and exits 0.
 * The load mixes POST /param-count, POST /grade and GET /questions/{id}/variant (both with the
 * token); every 2xx body is checked (the count, the score, the variant's params).
 * Exit 0 only if every request got a 2xx with the right body, the front behaved, A and B agreed
 * on every variant, and B exited 0 after SIGTERM; 1 otherwise; 2 when nginx is missing.
 * Every process it starts is stopped and the temporary directory removed on exit, Ctrl-C
 * included (--keep keeps the directory: the rendered config, nginx's and the replicas' logs).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  accessLog, agreement, checkFront, describeRetries, describeShape, describeTally, ensureBuilt, failures, freePort, getJson,
  load, mergeTally, ms, newTally, PROOF_OPTIONS, proofOptions, reference, Replica, requireNginx, runProof,
  startNginx, TEMP, variantsOf, verdict
} from './harness.js'

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    ...PROOF_OPTIONS
  }
})
const SECONDS = Number(options.seconds)
const SHAPE = proofOptions(options, 'prove.ts [--seconds N ≥ 2]', SECONDS >= 2)

async function main (): Promise<number> {
  const nginx = requireNginx(options['install-nginx'], 'scripts/scale-out/prove.ts')
  if (nginx === undefined) return 2
  ensureBuilt(options.rebuild)

  const a = new Replica('A', await freePort())
  const b = new Replica('B', await freePort())
  await Promise.all([a.start(), b.start()])
  const names = new Map([[a.address, 'A'], [b.address, 'B']])
  const front = await startNginx(nginx, [a.address, b.address])
  const proxy = front.https

  console.log(`dlcheck scale-out proof: 2 replicas behind ${front.version} on loopback, over HTTPS`)
  console.log(`  replica A  ${a.address}  pid ${a.child!.pid}`)
  console.log(`  replica B  ${b.address}  pid ${b.child!.pid}   (same GRADER_TOKEN and VARIANT_SECRET, fresh random values)`)
  console.log(`  nginx      ${proxy.replace('https://', '')} (HTTPS), ${front.http.replace('http://', '')} (HTTP)  pid ${front.child.pid}, user ${front.user}, config rendered from deploy/nginx.conf`)

  const checked = await checkFront(front)
  let ok = checked.ok
  console.log(`\nthe front:\n${checked.lines.map((line) => `  ${line}`).join('\n')}`)

  // Stateless: A and B hand every student the same variant of every question.
  const { ref, agree } = await reference(front, [a, b])
  ok &&= agree.same === agree.total
  console.log(`\nstateless: ${ref.variants.size} students × ${ref.questions.length} questions, A and B give the same variant ${agree.same}/${agree.total}${agree.same === agree.total ? '' : '  ✗'}`)

  const total = newTally()
  const events: string[] = []
  const note = (start: number, text: string): void => { events.push(`  t=${ms(Date.now() - start).padStart(6)}  ${text}`) }

  // Phase 1: a crash. SIGKILL A under load, then start it again.
  const phase1Ms = SECONDS * 1000
  const tally1 = newTally()
  let logFrom = accessLog(front.accessLogPath, 0).count
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
  await Promise.all([load(proxy, ref, SHAPE, phase1Ms, tally1), chaos1])
  let log = accessLog(front.accessLogPath, logFrom)
  logFrom = log.count
  console.log(`\nphase 1, a crash: ${SECONDS} s of load, ${describeShape(SHAPE)}, through nginx`)
  console.log(events.splice(0).join('\n'))
  console.log(`  requests: ${describeTally(tally1)}`)
  for (const line of describeRetries(log.lines, names)) console.log(`  ${line}`)
  mergeTally(total, tally1)

  // The restarted A: same variants (the secret, not the process, makes them), and back in
  // nginx's rotation once fail_timeout is over (probed by a live request).
  const restarted = agreement(ref.variants, await variantsOf(a, ref.questions))
  ok &&= restarted.same === restarted.total
  const rejoinStart = Date.now()
  let rejoined = false
  while (!rejoined && Date.now() - rejoinStart < 15_000) {
    await getJson(`${proxy}/health`)
    log = accessLog(front.accessLogPath, logFrom)
    rejoined = log.lines.some((l) => l.upstream_addr === a.address && l.status === 200)
    if (!rejoined) await sleep(100)
  }
  logFrom = accessLog(front.accessLogPath, 0).count
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
  await Promise.all([load(proxy, ref, SHAPE, phase2Ms, tally2), chaos2])
  log = accessLog(front.accessLogPath, logFrom)
  console.log(`\nphase 2, a graceful stop: ${ms(phase2Ms)} of load, ${describeShape(SHAPE)}, through nginx`)
  console.log(events.splice(0).join('\n'))
  console.log(`  requests: ${describeTally(tally2)}`)
  for (const line of describeRetries(log.lines, names)) console.log(`  ${line}`)
  mergeTally(total, tally2)
  ok &&= termCode === 0

  const failed = failures(total)
  ok &&= failed === 0 && total.sent > 0
  console.log(`\ntotal: ${describeTally(total)}`)
  console.log(ok
    ? `PASS: all ${total.sent} requests answered 2xx with the right answer over HTTPS through one crash and one graceful stop; replicas agree on every variant`
    : `FAIL: ${failed} of ${total.sent} requests not answered 2xx with the right answer${termCode === 0 ? '' : ', or B did not exit 0 on SIGTERM'}, or the front or the replicas misbehaved (see ✗ above); logs in ${TEMP} (kept)`)
  return verdict(ok, front)
}

await runProof(main)
