/**
 * `npm run bench:pool`: where INLINE_COST_LIMIT should be. For computations of growing
 * estimated cost, the median latency of computing the answer and its JSON inline (main
 * thread, as REST does) and through a warm one-worker pool (the input structured-cloned in,
 * the JSON written by the worker and copied out). Below the crossover the pool only adds
 * latency; above it, it keeps the main thread free at little relative cost.
 */
import { operations } from '../src/operations/index.js'
import { DEFAULT_LIMITS } from '../src/operations/limits.js'
import type { Operation } from '../src/operations/operation.js'
import { ComputationPool } from '../src/runtime/pool.js'
import { DEFAULT_RUNTIME } from '../src/runtime/options.js'
import { medianMillisecondsAsync } from './timing.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
const mlp = (width: number, batch: number) => {
  const sizes = [width, width, 10]
  const n = (width + 1) * width + (width + 1) * 10
  return {
    model: { kind: 'mlp', sizes, activation: 'tanh', loss: 'cross-entropy', inputs: Array.from({ length: batch }, (_, i) => Array.from({ length: width }, (_, j) => Math.sin(i + j))), targets: Array.from({ length: batch }, (_, i) => i % 10) },
    w: Array.from({ length: n }, (_, i) => Math.cos(i) / 10),
    v: Array.from({ length: n }, (_, i) => Math.sin(i) / 10)
  }
}
const CASES: Array<[string, Operation, unknown]> = [
  ['softmax 1k entries', byName('softmaxStable'), { x: Array.from({ length: 1_000 }, (_, i) => Math.sin(i)) }],
  ['softmax 10k entries', byName('softmaxStable'), { x: Array.from({ length: 10_000 }, (_, i) => Math.sin(i)) }],
  ['softmax 100k entries', byName('softmaxStable'), { x: Array.from({ length: 100_000 }, (_, i) => Math.sin(i)) }],
  ['HVP MLP 32-32-10, batch 1', byName('hvp'), mlp(32, 1)],
  ['HVP MLP 64-64-10, batch 8', byName('hvp'), mlp(64, 8)],
  ['HVP MLP 128-128-10, batch 16', byName('hvp'), mlp(128, 16)],
  ['HVP MLP 256-256-10, batch 32', byName('hvp'), mlp(256, 32)],
  ['conv-matrix 16×16 dense', byName('convMatrix'), { input: 16, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }],
  ['conv-matrix 30×30 dense', byName('convMatrix'), { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }]
]

const median = async (run: () => Promise<unknown> | unknown): Promise<number> => await medianMillisecondsAsync(run, 15)

export async function benchPool (): Promise<void> {
  const pool = new ComputationPool({ ...DEFAULT_RUNTIME, workers: 1, queueLimit: 8, computeTimeoutMs: 600_000, inlineCostLimit: 0 }, DEFAULT_LIMITS)
  await pool.execute(byName('softmaxStable'), { x: [1, 2] }) // start the worker
  console.log('\ninline vs a warm one-worker pool, median of 15, ms')
  console.log('  case                               est. cost    inline     pool   pool − inline')
  for (const [name, operation, input] of CASES) {
    const inline = await median(() => JSON.stringify(operation.run(input, DEFAULT_LIMITS)))
    const pooled = await median(async () => await pool.execute(operation, input))
    console.log(`  ${name.padEnd(32)} ${ComputationPool.cost(operation, input).toExponential(1).padStart(10)} ${inline.toFixed(2).padStart(9)} ${pooled.toFixed(2).padStart(8)} ${(pooled - inline).toFixed(2).padStart(10)}`)
  }
  await pool.close()
}

await benchPool()
