/** What the worker pool's tests share (test/runtime/pool*.test.ts). */
import type { Piscina } from 'piscina'
import { operations } from '../../src/operations/index.js'
import type { Operation } from '../../src/operations/operation.js'
import { DEFAULT_RUNTIME } from '../../src/runtime/options.js'
import type { Answer, ComputationPool } from '../../src/runtime/pool.js'

export const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
/** Everything pooled: one short thread, one long thread. */
export const POOLED = { ...DEFAULT_RUNTIME, workers: 1, longWorkers: 1, queueLimit: 4, computeTimeoutMs: 60_000, inlineCostLimit: 0 }
/** An operation whose estimate is `ns`, whatever the input: it decides the lane and admission. */
export const estimated = (name: string, ns: number): Operation => ({ ...byName(name), cost: () => ns })
export const SECOND = 1e9
/** About half a second of work in a worker (the corner experiment's plain network), estimated at 8 s. */
export const LONG = { epochs: 300, residual: false }
export const corner = estimated('cornerExperiment', 8 * SECOND)
export const text = (answer: Answer): string => 'bytes' in answer ? Buffer.from(answer.bytes).toString('utf8') : JSON.stringify(answer.value)

export async function rejection (promise: Promise<unknown>): Promise<Error & { statusCode?: number, code?: string, retryAfterSeconds?: number }> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/** The piscina pools behind the lanes (private: the tests reach in to kill a thread). */
export const piscinaOf = (pool: ComputationPool, lane: 'short' | 'long'): Piscina => (pool as unknown as { lanes: Record<string, { piscina: Piscina }> }).lanes[lane].piscina

export async function until (condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  if (!condition()) throw new Error(`waited 60 s for ${what}`)
}
