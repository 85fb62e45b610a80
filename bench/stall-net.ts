/**
 * The client side of `npm run bench:stall`: one request with a hard cap that names what went
 * wrong instead of throwing, an open-loop load generator, and raw sockets that send a request
 * body slowly. All of it is cheap per request, so what the bench measures is the server.
 */
import http from 'node:http'
import net from 'node:net'

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now()

export interface Answer {
  /**
   * The HTTP status, or what came instead: 'hang' (nothing within the cap), 'no answer' (the
   * connection closed without a response), 'reset', 'refused', 'aborted' (by the bench), and
   * '<status> cut' when the response started but its body never completed.
   */
  status: number | string
  /** extensions.statusCode of the first GraphQL error, when the body starts with errors (0 when it has none) */
  graphqlStatus?: number
  /** from sending the request to the end of the response (or the failure) */
  ms: number
  bytes: number
  /** the first 4 KB of the body */
  head: string
  headers: http.IncomingHttpHeaders
}

export interface SendOptions {
  method?: string
  body?: Buffer
  headers?: Record<string, string | number>
  /** give up after this long and report 'hang' */
  capMs?: number
  signal?: AbortSignal
  /** default: a connection of its own, so concurrent requests really are concurrent */
  agent?: http.Agent | false
}

const HEAD_BYTES = 4096

/** One request; never rejects. Only the first 4 KB of the answer are kept (answers can be 20 MB). */
export function send (base: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const url = new URL(base)
  const start = now()
  return new Promise((resolve) => {
    let settled = false
    let status: number | undefined
    let headers: http.IncomingHttpHeaders = {}
    let bytes = 0
    const kept: Buffer[] = []
    let keptBytes = 0
    const finish = (failure?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      const head = Buffer.concat(kept).toString('utf8')
      const outcome = status === undefined ? failure ?? 'no answer' : failure === undefined ? status : `${status} cut`
      resolve({ status: outcome, graphqlStatus: graphqlStatus(head), ms: now() - start, bytes, head, headers })
    }
    const body = options.body
    const request = http.request({
      host: url.hostname,
      port: url.port,
      path,
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      agent: options.agent ?? false,
      headers: { ...(body !== undefined && { 'content-type': 'application/json', 'content-length': body.length }), ...options.headers }
    }, (response) => {
      status = response.statusCode
      headers = response.headers
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (keptBytes < HEAD_BYTES) {
          kept.push(chunk.subarray(0, HEAD_BYTES - keptBytes))
          keptBytes += Math.min(chunk.length, HEAD_BYTES - keptBytes)
        }
      })
      response.on('end', () => finish())
      response.on('aborted', () => finish('cut'))
      response.on('error', () => finish('cut'))
    })
    const timer = setTimeout(() => { finish('hang'); request.destroy() }, options.capMs ?? 120_000)
    const onAbort = (): void => { finish('aborted'); request.destroy() }
    options.signal?.addEventListener('abort', onAbort)
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answers (413) and closes before the whole body is sent makes the
      // upload fail with EPIPE or ECONNRESET after the response: the response is what counts.
      if (status !== undefined) return
      finish(error.message === 'socket hang up'
        ? 'no answer'
        : error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : error.code ?? 'error')
    })
    request.end(body)
  })
}

function graphqlStatus (head: string): number | undefined {
  const at = head.indexOf('"errors":')
  if (at < 0) return undefined
  const match = /"statusCode":\s*(\d+)/.exec(head.slice(at))
  return match === null ? 0 : Number(match[1])
}

/** The JSON `message` of an answer (the first GraphQL error's, for GraphQL), else its first 120 characters. */
export function messageOf (answer: Answer): string {
  const match = /"message":\s*"((?:[^"\\]|\\.)*)"/.exec(answer.head)
  if (match !== null) {
    try {
      return JSON.parse(`"${match[1]}"`) as string
    } catch {
      return match[1]
    }
  }
  return answer.head.slice(0, 120)
}

export interface OpenLoopResult {
  /** count per status ('closed' for requests whose connection closed before their answer; 'hang' for those unanswered at the cap) */
  statuses: Map<string, number>
  /** per answered request, from the moment it was due (not when it was written), ms */
  latencies: number[]
  sent: number
  /** how far behind its schedule the generator fell at worst, ms */
  lagMs: number
}

/**
 * Open-loop load: `rate` requests per second for `seconds`, due at fixed times whatever the
 * answers, spread round-robin over `connections` keep-alive sockets and pipelined there. A
 * closed-loop client (autocannon, or an agent queue) slows down with the server and hides the
 * overload; many independent clients do not, and neither does this. Latency counts from the
 * moment a request was due, so falling behind (the generator's or the server's) is not hidden.
 */
export async function openLoop (base: string, request: Buffer, rate: number, seconds: number, connections: number, capMs: number): Promise<OpenLoopResult> {
  const url = new URL(base)
  const statuses = new Map<string, number>()
  const count = (status: string): void => { statuses.set(status, (statuses.get(status) ?? 0) + 1) }
  const latencies: number[] = []
  let outstanding = 0
  let onIdle: (() => void) | undefined

  /** A pipelined HTTP/1.1 connection: answers arrive in the order of the requests. */
  class Connection {
    readonly socket: net.Socket
    readonly due: number[] = []
    closed = false
    private buffer: Buffer = Buffer.alloc(0)
    private status = 0
    /** bytes of body still to read; -1: reading a head; -2: reading a chunk size; -3: body until close */
    private remaining = -1
    private chunked = false

    constructor () {
      this.socket = net.connect({ host: url.hostname, port: Number(url.port) })
      this.socket.setNoDelay(true)
      this.socket.on('data', (chunk: Buffer) => {
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
        this.parse()
      })
      this.socket.on('error', () => {})
      this.socket.on('close', () => {
        this.closed = true
        if (this.remaining === -3 && this.due.length > 0) this.answered()
        for (let n = this.due.splice(0).length; n > 0; n--) { count('closed'); settle() }
      })
    }

    send (due: number): void {
      this.due.push(due)
      outstanding++
      this.socket.write(request)
    }

    private answered (): void {
      latencies.push(now() - this.due.shift()!)
      count(String(this.status))
      settle()
      this.remaining = -1
      this.chunked = false
    }

    private parse (): void {
      for (;;) {
        if (this.remaining === -1) {
          const end = this.buffer.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = this.buffer.subarray(0, end).toString('latin1')
          this.buffer = this.buffer.subarray(end + 4)
          this.status = Number(head.slice(9, 12))
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
          this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head)
          this.remaining = length !== null ? Number(length[1]) : this.chunked ? -2 : -3
          if (this.remaining === 0) this.answered()
        } else if (this.remaining === -2) {
          const end = this.buffer.indexOf('\r\n')
          if (end < 0) return
          const size = parseInt(this.buffer.subarray(0, end).toString('latin1'), 16)
          this.buffer = this.buffer.subarray(end + 2)
          // A chunk and its CRLF; the last chunk (size 0) is followed by the final CRLF.
          this.remaining = size + 2
          if (size === 0) this.chunked = false
        } else if (this.remaining === -3) {
          this.buffer = Buffer.alloc(0)
          return
        } else {
          if (this.buffer.length < this.remaining) {
            this.remaining -= this.buffer.length
            this.buffer = Buffer.alloc(0)
            return
          }
          this.buffer = this.buffer.subarray(this.remaining)
          if (this.chunked) this.remaining = -2
          else this.answered()
        }
      }
    }
  }

  const settle = (): void => {
    outstanding--
    if (outstanding === 0) onIdle?.()
  }

  const pool = Array.from({ length: connections }, () => new Connection())
  await Promise.all(pool.map((c) => new Promise<void>((resolve) => {
    c.socket.once('connect', () => resolve())
    c.socket.once('close', () => resolve())
  })))

  const interval = 1000 / rate
  const total = Math.round(rate * seconds)
  let sent = 0
  let lagMs = 0
  const start = now()
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = now()
      const due = Math.min(total, Math.floor((t - start) / interval) + 1)
      if (due > sent) lagMs = Math.max(lagMs, t - (start + sent * interval))
      while (sent < due) {
        const slot = sent % connections
        // A connection the server closed is replaced, as a new client would connect.
        if (pool[slot].closed) pool[slot] = new Connection()
        pool[slot].send(start + sent * interval)
        sent++
      }
      if (sent >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  await new Promise<void>((resolve) => {
    if (outstanding === 0) return resolve()
    const timer = setTimeout(resolve, capMs)
    onIdle = () => { clearTimeout(timer); resolve() }
  })
  if (outstanding > 0) statuses.set('hang', outstanding)
  for (const c of pool) c.socket.destroy()
  return { statuses, latencies, sent, lagMs }
}

export interface Cut {
  /** what ended it: the status line's code ('408'), 'closed' (without a response), or 'not cut' at the cap */
  how: string
  /** from the first byte sent to the server's response or close */
  ms: number
}

/**
 * Sends `head` (request line and headers), then `drip` every `everyMs` until the server
 * answers or closes the connection, or `capMs` passes.
 */
export function slowRequest (base: string, head: string, drip: string, everyMs: number, capMs: number): Promise<Cut> {
  const url = new URL(base)
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) })
    let start = now()
    let settled = false
    let response = ''
    const finish = (how: string): void => {
      if (settled) return
      settled = true
      clearInterval(dripping)
      clearTimeout(cap)
      resolve({ how, ms: now() - start })
      // Whatever the server does next (a close after its 408) no longer matters.
      socket.destroy()
    }
    socket.on('connect', () => {
      start = now()
      socket.write(head)
    })
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString('latin1')
      const line = /^HTTP\/1\.[01] (\d{3})/.exec(response)
      if (line !== null) finish(line[1])
    })
    socket.on('error', () => {})
    socket.on('close', () => finish(response === '' ? 'closed' : `closed after ${JSON.stringify(response.slice(0, 40))}`))
    const dripping = setInterval(() => { if (!socket.destroyed) socket.write(drip) }, everyMs)
    const cap = setTimeout(() => finish('not cut'), capMs)
  })
}
