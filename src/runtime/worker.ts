/**
 * A worker thread of the computation pool (piscina). It runs one task and sends back the
 * answer's bytes, moved (transferred) to the main thread, which only writes them out:
 *
 * - `operation`: an operation of the table on an input the main thread parsed;
 * - `body`: the same on a request body the main thread did not parse (too large to parse
 *   there): the worker decodes, parses and validates it with the same schema, Ajv options and
 *   messages as Fastify's (src/validation.ts), refuses it if its estimate is over the
 *   time budget, then computes;
 * - `grade`: a prepared answer sheet (src/grading/grader.ts);
 * - `roster`: every student's variants and personal links (src/grading/roster.ts), JSON or CSV;
 * - `statements`: a student's page of statements (src/pages/statements.ts), HTML or JSON.
 *
 * The last two draw variants, so they carry VARIANT_SECRET: the threads are this process's
 * own, and the secret never leaves it.
 *
 * With `rendering`, the answer is the operation's SVG picture or LaTeX answer rather than JSON;
 * with `attach`, JSON with those as fields (src/renderings.ts).
 * Errors the client caused come back as data, since structured cloning keeps an Error's
 * message but not its class or status.
 */
import { inspect } from 'node:util'
import { isMainThread } from 'node:worker_threads'
import { Ajv, type ValidateFunction } from 'ajv'
import { move, workerData } from 'piscina'
import { gradeSheet, type PreparedSheet } from '../grading/grader.js'
import { rosterText, type RosterTask, type StatementsTask } from '../grading/roster.js'
import { statementsText } from '../pages/statements.js'
import { AJV_OPTIONS, schemaErrorFormatter } from '../validation.js'
import { matrixBackend, selectMatrixBackend, useMatrixBackend, type BackendPreference } from '../math/backend.js'
import { ComputationError, LimitExceededError } from '../math/errors.js'
import { SchemaValidationError, ServiceUnavailableError } from '../errors.js'
import { operations } from '../operations/index.js'
import type { Limits } from '../operations/limits.js'
import type { Operation } from '../operations/operation.js'
import { decodeParameterVectors } from '../operations/parameter-vector.js'
import { render, withRenderings, type Rendering } from '../renderings.js'
import { overBudgetMessage, seconds } from './budget.js'
import { parseJsonBody } from './request-body.js'

const byName = new Map(operations.map((operation) => [operation.name, operation]))

/** What every thread of the pool is started with (piscina's workerData). */
export interface WorkerData {
  matrixBackend: BackendPreference
}

/**
 * A pool thread loads the matrix kernels the main thread chose, named in workerData
 * (src/app.ts: the main thread logged its choice and, for native, probed OpenBLAS in child
 * processes and loaded it first, so OpenBLAS's settings are the main thread's). Imported
 * on the main thread (the pool's types, the tests), this module leaves the choice alone.
 */
export function useWorkerKernels (mainThread: boolean, data: unknown): void {
  if (!mainThread) useMatrixBackend(selectMatrixBackend((data as WorkerData).matrixBackend).backend)
}
useWorkerKernels(isMainThread, workerData)

/**
 * `deadline` (ms since the epoch, set when the pool admits the task): a task that starts too
 * late to finish by it, by its estimate, is answered 503 at once rather than run and stopped.
 */
export type Task =
  | { kind: 'operation', name: string, input: unknown, limits: Limits, rendering?: Rendering, attach?: readonly Rendering[], estimateNs: number, deadline?: number }
  | { kind: 'body', name: string, bytes: Uint8Array, limits: Limits, rendering?: Rendering, budgetNs: number, deadline?: number }
  | { kind: 'grade', sheet: PreparedSheet, limits: Limits, estimateNs: number, deadline?: number }
  | { kind: 'roster', roster: RosterTask, estimateNs: number, deadline?: number }
  | { kind: 'statements', page: StatementsTask, estimateNs: number, deadline?: number }
  /** answered at once with the thread's matrix kernels: the pool's check that a thread has loaded */
  | { kind: 'ping' }
/** A task that computes something (the pool's queues hold these). */
export type ComputationTask = Exclude<Task, { kind: 'ping' }>
/** What an answer's bytes are: the media type a door sends them as. */
export type AnswerType = 'json' | Rendering | 'csv' | 'html'
/** The answer's bytes, a 4xx the client caused, or an internal error (a bug: 500, logged on the main thread). */
export type Outcome = Uint8Array | { error: { statusCode: number, code: string, message: string, retryAfterSeconds?: number } } | { internal: string }

// The validators of `body` tasks, compiled on first use: most threads never see a large body.
const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
const validators = new Map<string, ValidateFunction>()
function validatorOf (operation: Operation): ValidateFunction {
  let validate = validators.get(operation.name)
  if (validate === undefined) validators.set(operation.name, validate = ajv.compile(operation.body))
  return validate
}

const encoder = new TextEncoder()

/** The answer as UTF-8 in a buffer of its own, so it can be moved rather than copied. */
function encoded (text: string): Uint8Array {
  return encoder.encode(text)
}

function parsedBody (operation: Operation, bytes: Uint8Array): unknown {
  // UTF-8 with replacement characters, as Fastify decodes bodies (a BOM is dropped by parseJsonBody).
  const body = parseJsonBody(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  const validate = validatorOf(operation)
  if (!validate(body)) throw new SchemaValidationError(schemaErrorFormatter(validate.errors!, 'body').message)
  return decodeParameterVectors(operation, body)
}

/**
 * @throws {ServiceUnavailableError} when a task estimated at `estimateNs` cannot finish by
 *   `deadline` any more (it waited for a thread longer than the pool expected)
 */
function inTime (estimateNs: number, deadline: number | undefined): void {
  if (deadline === undefined) return
  const late = Date.now() + estimateNs / 1e6 - deadline
  if (late > 0) {
    throw new ServiceUnavailableError(`this computation (about ${seconds(estimateNs)} s) could no longer finish within its time budget (COMPUTE_TIMEOUT_MS) when a worker was free, and was not started; retry shortly`, 'DLCHECK_OVERLOADED', 1)
  }
}

/** What a task's bytes are. */
export function answerType (task: ComputationTask): AnswerType {
  switch (task.kind) {
    case 'grade': return 'json'
    case 'roster': return task.roster.format
    case 'statements': return task.page.format
    default: return task.rendering ?? 'json'
  }
}

/** The task's answer as bytes; throws the computation's errors. */
export function taskBytes (task: Task): Uint8Array {
  // A ping says which matrix kernels this thread loaded (for /health).
  if (task.kind === 'ping') return encoded(matrixBackend().name)
  switch (task.kind) {
    case 'grade':
      inTime(task.estimateNs, task.deadline)
      return encoded(JSON.stringify(gradeSheet(task.sheet, task.limits)))
    case 'roster':
      inTime(task.estimateNs, task.deadline)
      return encoded(rosterText(task.roster))
    case 'statements':
      inTime(task.estimateNs, task.deadline)
      return encoded(statementsText(task.page))
  }
  const operation = byName.get(task.name)!
  const input = task.kind === 'body' ? parsedBody(operation, task.bytes) : task.input
  if (task.kind === 'body') {
    // Only now is the computation's own estimate known: over the budget, the operation's
    // limit checks first (their 413 says what to change), then the budget's 413.
    const estimate = operation.cost(input)
    if (estimate > task.budgetNs) {
      operation.checkLimits?.(input, task.limits)
      throw new LimitExceededError(overBudgetMessage(estimate, task.budgetNs / 1e6, operation.path))
    }
    inTime(estimate, task.deadline)
  } else {
    inTime(task.estimateNs, task.deadline)
  }
  const result = operation.run(input, task.limits)
  if (task.rendering !== undefined) return encoded(render(operation, task.rendering, result, input, task.limits))
  return encoded(JSON.stringify(task.kind === 'operation' ? withRenderings(operation, result, input, task.limits, task.attach ?? []) : result))
}

export default function compute (task: Task): Outcome {
  try {
    // Moved: the main thread receives the buffer itself, not a copy.
    return move(taskBytes(task)) as Uint8Array
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { error: { statusCode: error.statusCode, code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds } }
    if (error instanceof ComputationError) return { error: { statusCode: error.statusCode, code: error.code, message: error.message } }
    // Returned, not thrown: a rejected task means a lost thread to the main thread (503).
    return { internal: inspect(error) }
  }
}
