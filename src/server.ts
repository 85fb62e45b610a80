/**
 * Reads the configuration from env, listens, and shuts down gracefully (close-with-grace, as
 * fastify/demo does): on SIGTERM or SIGINT it stops accepting connections, answers every
 * request in flight (new ones get 503, every response says `Connection: close`, idle
 * keep-alive sockets are closed), stops the worker pool, and exits 0 — or exits 1 after
 * SHUTDOWN_TIMEOUT_MS if something hangs. An uncaught error closes the same way, then exits 1.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { checkoutCommit } from './project-file.js'

async function main (): Promise<void> {
  const config = loadConfig()
  const app = await buildApp({ limits: config.limits, runtime: config.runtime, logger: { level: config.logLevel }, grading: config.grading, commit: config.commit ?? checkoutCommit(), metricsToken: config.metricsToken })
  closeWithGrace({ delay: config.runtime.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    app.log.info('closed')
  })
  await app.listen({ port: config.port, host: config.host })
}

/** Start-up failures: one line on stderr, exit 1. */
function fatal (error: unknown): never {
  console.error(String(error))
  process.exit(1)
}

main().catch(fatal)
