/**
 * Reads the configuration from env, listens, and shuts down gracefully on SIGTERM/SIGINT
 * (stop accepting, finish in-flight requests, exit 0).
 */
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig()
  const app = await buildApp({ limits: config.limits, logger: { level: config.logLevel }, grading: config.grading })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down')
      app.close().then(() => process.exit(0), fatal)
    })
  }
  await app.listen({ port: config.port, host: config.host })
}

/** Start-up and shutdown failures: one line on stderr, exit 1. */
function fatal (error: unknown): never {
  console.error(String(error))
  process.exit(1)
}

main().catch(fatal)
