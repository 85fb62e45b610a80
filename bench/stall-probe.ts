/**
 * The /health prober of `npm run bench:stall`, forked as its own process: the bench's process
 * builds bodies and reads large answers, and a probe timed there would measure the bench as
 * much as the server. One keep-alive connection, one GET /health at a time, 20–50 ms apart;
 * each answer is sent to the parent as { t, ms, status } (t: when the probe was sent, ms since
 * the epoch, comparable across processes). A probe is never abandoned early: a server that is
 * stuck for 25 s should show a 25 s probe, not five 5 s ones. The parent asks { type: 'inflight' }
 * when it needs the elapsed time of a probe still waiting, and { type: 'stop' } at the end.
 *
 * Usage (from stall.ts): fork('bench/stall-probe.ts', [baseUrl])
 */
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProbeSample { type: 'sample', t: number, ms: number, status: number | string }
export interface InflightReply { type: 'inflight', t: number | null, ms: number }
export type ParentMessage = { type: 'inflight' } | { type: 'stop' }

/** A probe that still has no answer after this long is given up (and reported as that long). */
const GIVE_UP_MS = 180_000

const base = new URL(process.argv[2])
const now = (): number => performance.timeOrigin + performance.now()
let agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
let inflight: number | null = null
let stopped = false

function probe (): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get({ host: base.hostname, port: base.port, path: '/health', agent }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 'no status'))
      response.on('error', () => resolve('reset'))
    })
    request.setTimeout(GIVE_UP_MS, () => {
      request.destroy()
      resolve('timeout')
    })
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
}

const tell = (message: ProbeSample | InflightReply): void => { if (process.connected) process.send!(message) }
// The bench is gone (killed, or crashed): nothing is listening, so stop.
process.on('disconnect', () => { stopped = true; agent.destroy() })

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') {
    stopped = true
    agent.destroy()
    if (process.connected) process.disconnect()
  } else if (message.type === 'inflight') {
    const reply: InflightReply = { type: 'inflight', t: inflight, ms: inflight === null ? 0 : now() - inflight }
    tell(reply)
  }
})

// eslint-disable-next-line no-unmodified-loop-condition -- the parent's 'stop' message sets it between awaits
while (!stopped) {
  const t = now()
  inflight = t
  const status = await probe()
  inflight = null
  if (stopped) break
  const sample: ProbeSample = { type: 'sample', t, ms: now() - t, status }
  tell(sample)
  if (typeof status !== 'number') {
    // The connection is gone (server restarting, or shutting down): a fresh agent, and a
    // pause so a dead server is not hammered.
    agent.destroy()
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    await sleep(200)
  } else {
    await sleep(20 + Math.random() * 30)
  }
}
