/** fastify/demo's build(t): a fresh app per test, closed in teardown. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'

export async function build (t: { teardown: (fn: () => unknown) => void }, options: AppOptions = {}): Promise<FastifyInstance> {
  // Tests build multi-megabyte bodies in the app's own process, which can stall the event loop
  // past MAX_EVENT_LOOP_DELAY_MS on a loaded machine; that check is tested where it is set.
  // No worker threads unless a test asks for them (`runtime: { workers: 1 }`, POOLED): each
  // thread loads the sources again, a few tenths of a second of CPU per app, and most tests
  // are about answers, which are the same inline (test/runtime/pool.test.ts proves it).
  const app = await buildApp({ ...options, runtime: { maxEventLoopDelayMs: 0, workers: 0, ...options.runtime } })
  t.teardown(() => app.close())
  return app
}

/** POST a JSON body; a string is sent verbatim (for bodies JSON.stringify cannot write, like 1e999). */
export async function post (app: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
}
