/**
 * The baseline of bench/http.ts: a bare Fastify 5 server with one POST route and nothing
 * else (no plugins, no schema, no validation, no error handler), run in its own process as
 * src/server.ts is. POST /param-count takes {"sizes": [32, 512, 512, 10]} and answers the
 * same 494-byte JSON as the real route, computed by hand, so what the real server costs
 * more than this is framework set-up, validation, hooks and the operation's own checks.
 *
 * Its logger is configured as src/server.ts configures its own: `logger: { level }` with
 * LOG_LEVEL (default info, which logs every request and response); LOG_LEVEL=silent gives
 * the baseline without request logs.
 */
import Fastify from 'fastify'

const level = process.env.LOG_LEVEL ?? 'info'
const app = Fastify({ logger: { level } })

app.post('/param-count', async (request) => {
  const { sizes } = request.body as { sizes: number[] }
  const layers = sizes.slice(1).map((out, i) => {
    const weights = sizes[i] * out
    return { name: `Linear(${sizes[i]} → ${out})`, weights, biases: out, params: weights + out, outputShape: [out] }
  })
  const n = layers.reduce((sum, layer) => sum + layer.params, 0)
  const exact = BigInt(n)
  return {
    total: n,
    layers,
    hessian: {
      shape: [n, n],
      entries: n * n,
      unique: n * (n + 1) / 2,
      bytesFloat32: 4 * n * n,
      bytesFloat64: 8 * n * n,
      entriesExact: String(exact * exact),
      uniqueExact: String(exact * (exact + 1n) / 2n)
    }
  }
})

process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
// A silent logger does not announce the address; bench/http.ts reads it from stdout.
if (level === 'silent') console.log(`Server listening at ${address}`)
