/**
 * A worker thread of the computation pool (piscina): runs one operation of the table and
 * writes its JSON here, off the main thread. A string crosses to the main thread as one copy,
 * where a result of large nested arrays would be structured-cloned number by number, and JSON
 * formatting is most of the cost of a large answer (README, "Benchmarks"). Errors the client
 * caused come back as data, since structured cloning keeps an Error's message but not its
 * class or status.
 */
import { ComputationError } from '../math/errors.js'
import { operations } from '../operations/index.js'
import type { Limits } from '../operations/limits.js'

const byName = new Map(operations.map((operation) => [operation.name, operation]))

export interface Task { name: string, input: unknown, limits: Limits }
export type Outcome = { json: string } | { error: { statusCode: number, code: string, message: string } }

export default function compute (task: Task): Outcome {
  try {
    return { json: JSON.stringify(byName.get(task.name)!.run(task.input as never, task.limits)) }
  } catch (error) {
    if (error instanceof ComputationError) return { error: { statusCode: error.statusCode, code: error.code, message: error.message } }
    throw error
  }
}
