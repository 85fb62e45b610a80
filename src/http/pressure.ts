/**
 * Load shedding that sees stalls of the event loop: while the main thread is behind, requests
 * get a cheap 503 instead of waiting, so /health and the requests that are accepted keep
 * answering promptly.
 *
 * Why not @fastify/under-pressure: it compares the *mean* of perf_hooks' event-loop-delay
 * histogram with its limit. A stall is one sample among a second's worth of 10 ms ones, so even
 * a block of many seconds averages out under any useful limit, and every request queued behind
 * it is served, seconds late. Its first sample after start reads NaN, which it takes for
 * Infinity: a fresh server refused real work.
 *
 * What this does instead:
 * - A heartbeat, an unref'd setInterval every HEARTBEAT_MS, records when it last ran and how
 *   late it ran (now − last run − HEARTBEAT_MS). That lateness is the event-loop delay as
 *   Node's perf_hooks docs define it for monitorEventLoopDelay ("a delay in the loop will cause
 *   a delay in the execution of the timer"); here the worst value counts, not a mean.
 * - A request is refused while the loop is late *now* (now − last run − HEARTBEAT_MS over the
 *   limit: a stall in progress, so the request was read after the loop had been busy that
 *   long), or while the latest beat found a stall over the limit. The second case is the burst
 *   after a long block: the requests that queued in the kernel during it are read in the poll
 *   phase that follows the timers phase in which the beat saw the stall (Node's guide "The
 *   Node.js Event Loop": timers, then poll), and each gets a 503 for the cost of a header and
 *   a constant body, with no parsing or work.
 * - Shedding stops at the first beat that runs on time. A longer hold would refuse requests
 *   the loop has time for, and under sustained overload it would starve the service: each hold
 *   ends with one long batch of accepted work, whose lateness starts the next hold.
 * - A connection one of whose requests is refused for a stall is not read again for a while
 *   (deferred). A refusal is cheap but not free: Node parses each request and builds its
 *   request and response objects, and a client that pipelines, or simply sends faster than the
 *   service answers, fills every read with requests. Refusing them all would keep the loop as
 *   late as serving them, and /health, on its own connection, waits behind the whole batch.
 *   A deferred connection's requests wait in the kernel's socket buffer, and TCP's flow
 *   control slows its sender down, not the service. Each beat that runs on time reads again
 *   one more deferred connection than the beat before (oldest first), and a late beat halves
 *   that number: the additive increase and multiplicative decrease of TCP's congestion
 *   control (RFC 5681 §3.1), here applied to how many connections the loop takes back.
 *   Node's HTTP server resumes a socket after every message it parses (readStart in
 *   lib/_http_incoming.js, called from parserOnMessageComplete), so a deferred socket's own
 *   `resume` is replaced by one that does nothing until the shedder takes it back.
 * - /ready reports a stall seen within READY_WINDOW_MS, so that a probe sees the last second
 *   rather than one instant: Kubernetes polls a readiness probe every periodSeconds (10 s by
 *   default) and takes the pod out of its Service's endpoints after failureThreshold failures
 *   in a row, so /ready's answer stands for the time between probes.
 * - The heap (MAX_HEAP_USED_BYTES) is read by the heartbeat, never per request.
 *
 * Requests in flight are not counted: a request computed on the main thread is read, computed
 * and answered before the loop reads the next socket, so the count stays at 0 or 1 however
 * long the backlog, which waits in the kernel's socket buffers where only the loop's lateness
 * shows it. Requests waiting for a worker are bounded by QUEUE_LIMIT already.
 *
 * Per request this costs one `performance.now()` and two comparisons, before Fastify sees the
 * request, and no allocation. The paths in `exempt` (/health and /ready, whose routes say
 * `loadShedding: false`) are always passed on.
 */
import { getHeapStatistics } from 'node:v8'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { errorBody } from './errors.js'

/** The heartbeat's period, ms: perf_hooks' monitorEventLoopDelay default resolution. */
export const HEARTBEAT_MS = 10
/** How long a stall keeps /ready at 503, ms. */
const READY_WINDOW_MS = 1000
/**
 * Retry-After of a refusal, s: shedding lasts until the loop is on time again, usually well
 * under a second; RFC 9110 §10.2.3 counts whole seconds.
 */
export const RETRY_AFTER_SECONDS = 1
const RETRY_AFTER = String(RETRY_AFTER_SECONDS)

export interface PressureLimits {
  /** ms; 0 off (MAX_EVENT_LOOP_DELAY_MS) */
  maxEventLoopDelayMs: number
  /** bytes; 0 off (MAX_HEAP_USED_BYTES) */
  maxHeapUsedBytes: number
}

/** A request target's path, without its query. */
const pathOf = (url: string): string => {
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}
/** Marks a socket whose reading is deferred (paused, in the queue of sockets to read again). */
const DEFERRED = Symbol('dlcheck.deferred')
type Deferrable = Socket & { [DEFERRED]?: boolean }
/** At most this many deferred connections are read again at one beat. */
const MAX_RESUME_BATCH = 1024
/** How often the refusals are summed up in the log, ms. */
const REFUSAL_LOG_MS = 1000

const refusalBody = (reason: string): string =>
  JSON.stringify(errorBody(503, 'DLCHECK_UNDER_PRESSURE', `the server is under pressure (${reason}); retry in ${RETRY_AFTER_SECONDS} s`))

/** A deferred socket's `resume`: Node's HTTP server calls it after each message; it stays paused. */
function keepPaused (this: Socket): Socket { return this }

export class LoadShedder {
  /** false when both limits are off: no heartbeat, no gate */
  readonly active: boolean
  /** paths always passed on to Fastify (routes whose config says loadShedding: false) */
  readonly exempt = new Set<string>()
  /** set when the app starts closing */
  closing = false
  private readonly maxDelay: number
  private readonly maxHeap: number
  /** HEARTBEAT_MS + the delay limit: a beat this long overdue means a stall in progress */
  private readonly lateAfter: number
  /** the 503 body for a stall in progress, built once */
  private readonly laggingBody: string
  /** when the heartbeat last ran (performance.now()); +∞ until it starts, so nothing is late before */
  private lastBeat = Infinity
  /** the latest beat that found a stall over the limit, and how long that stall was */
  private stallAt = -Infinity
  private stallMs = 0
  private heapUsed = 0
  /** refusals since the start (for /metrics) */
  refusedTotal = 0
  /** refusals since the last summary in the log, and when that was */
  private refused = 0
  private loggedAt = -Infinity
  /** where the summaries go (the app's logger, once built) */
  log: Pick<FastifyBaseLogger, 'warn'> | undefined
  /** the 503 body every request gets until the next beat (built by a beat), or undefined while work is accepted */
  private refusal: string | undefined
  /** whether `refusal` is for a stall (not the heap): its sockets are deferred */
  private stalled = false
  /** sockets not read since a request of theirs was refused for a stall, oldest first, from `deferredHead` */
  private readonly deferred: Deferrable[] = []
  private deferredHead = 0
  /** how many deferred sockets the next on-time beat reads again */
  private resumeBatch = 1
  private timer: NodeJS.Timeout | undefined

  constructor (limits: PressureLimits) {
    this.maxDelay = limits.maxEventLoopDelayMs > 0 ? limits.maxEventLoopDelayMs : Infinity
    this.maxHeap = limits.maxHeapUsedBytes > 0 ? limits.maxHeapUsedBytes : Infinity
    this.active = this.maxDelay !== Infinity || this.maxHeap !== Infinity
    this.lateAfter = HEARTBEAT_MS + this.maxDelay
    this.laggingBody = refusalBody(`event loop over MAX_EVENT_LOOP_DELAY_MS (${this.maxDelay} ms) behind`)
  }

  /** Starts the heartbeat, once (when the app is ready: the work of building it is no stall). */
  start (): void {
    this.lastBeat = performance.now()
    this.sampleHeap()
    this.refusal = this.heapRefusal()
    this.timer = setInterval(this.beat, HEARTBEAT_MS).unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.resumeDeferred(Infinity)
  }

  /**
   * Whether a request goes on to Fastify; if not, it has been answered 503 here. The service's
   * HTTP server calls this before Fastify's own handler (src/app.ts), so a refused request
   * costs no routing, no hooks and no log lines: the heartbeat sums refusals up once a
   * second instead, since a line per request would cost about as much as the refusal itself
   * and a flood would flood the log. Requests light-my-request injects skip the gate.
   */
  admits (request: IncomingMessage, response: ServerResponse): boolean {
    const refusal = this.refusal ?? (performance.now() - this.lastBeat > this.lateAfter ? this.laggingBody : undefined)
    if (refusal === undefined || this.exempt.has(pathOf(request.url!))) return true
    this.refused++
    this.refusedTotal++
    // Deferred for a stall, not for the heap.
    if (this.stalled || refusal === this.laggingBody) this.defer(request.socket)
    // While the app closes, answers say Connection: close (as src/http/protection.ts's onSend
    // hook does for Fastify's), or a keep-alive client would hold up the shutdown.
    if (this.closing) response.shouldKeepAlive = false
    response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(refusal), 'retry-after': RETRY_AFTER })
    response.end(refusal)
    return false
  }

  /** Why requests are refused now, or were within READY_WINDOW_MS, for /ready; [] when none. */
  reasons (): string[] {
    const now = performance.now()
    const reasons: string[] = []
    const behind = now - this.lastBeat - HEARTBEAT_MS
    if (behind > this.maxDelay) reasons.push(`event loop ${Math.round(behind)} ms behind, over MAX_EVENT_LOOP_DELAY_MS (${this.maxDelay} ms)`)
    else if (now - this.stallAt < READY_WINDOW_MS) reasons.push(this.stallReason())
    if (this.heapUsed > this.maxHeap) reasons.push(this.heapReason())
    return reasons
  }

  private readonly beat = (): void => {
    const now = performance.now()
    const late = now - this.lastBeat - HEARTBEAT_MS
    this.lastBeat = now
    if (this.refused > 0 && now - this.loggedAt >= REFUSAL_LOG_MS) {
      const deferred = this.deferredConnections
      this.log?.warn({ refused: this.refused, deferred }, `load shedding: ${this.refused} requests refused with 503 since the last summary, ${deferred} connections left unread for now (MAX_EVENT_LOOP_DELAY_MS, MAX_HEAP_USED_BYTES)`)
      this.refused = 0
      this.loggedAt = now
    }
    this.sampleHeap()
    if (late > this.maxDelay) {
      this.stallAt = now
      this.stallMs = late
      this.refusal = refusalBody(this.stallReason())
      this.stalled = true
      this.resumeBatch = Math.max(1, this.resumeBatch >> 1)
    } else {
      this.refusal = this.heapRefusal()
      this.stalled = false
      this.resumeDeferred(this.resumeBatch)
      this.resumeBatch = Math.min(this.resumeBatch + 1, MAX_RESUME_BATCH)
    }
  }

  /** connections deferred and not yet read again */
  get deferredConnections (): number {
    return this.deferred.length - this.deferredHead
  }

  private defer (socket: Deferrable): void {
    if (socket[DEFERRED] === true) return
    socket[DEFERRED] = true
    socket.pause()
    socket.resume = keepPaused
    this.deferred.push(socket)
  }

  private resumeDeferred (count: number): void {
    const queue = this.deferred
    while (count > 0 && this.deferredHead < queue.length) {
      const socket = queue[this.deferredHead++]
      socket[DEFERRED] = false
      delete (socket as Partial<Deferrable>).resume
      if (socket.destroyed) continue
      socket.resume()
      count--
    }
    // The queue is an array read from deferredHead on: it is compacted once half of it is read.
    if (this.deferredHead === queue.length || this.deferredHead > queue.length / 2) {
      queue.splice(0, this.deferredHead)
      this.deferredHead = 0
    }
  }

  private sampleHeap (): void {
    // V8's used_heap_size is process.memoryUsage().heapUsed, read without the RSS.
    if (this.maxHeap !== Infinity) this.heapUsed = getHeapStatistics().used_heap_size
  }

  private heapRefusal (): string | undefined {
    return this.heapUsed > this.maxHeap ? refusalBody(this.heapReason()) : undefined
  }

  private stallReason (): string {
    return `event loop stalled ${Math.round(this.stallMs)} ms, over MAX_EVENT_LOOP_DELAY_MS (${this.maxDelay} ms)`
  }

  private heapReason (): string {
    return `heap ${this.heapUsed} bytes, over MAX_HEAP_USED_BYTES (${this.maxHeap})`
  }
}
