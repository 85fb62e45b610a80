/** fastify/demo's build(t): a fresh app per test, closed in teardown. */
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'

export async function build (t: { teardown: (fn: () => unknown) => void }, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(options)
  t.teardown(() => app.close())
  return app
}
