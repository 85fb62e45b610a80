/**
 * One entry per computation: the single place both doors (REST now, GraphQL later), the
 * OpenAPI document and the question bank read from.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import type { Limits } from './limits.js'

export interface OperationExample<B extends TSchema> {
  summary: string
  value: Static<B>
}

export interface Operation<B extends TSchema = TSchema, R extends TSchema = TSchema> {
  /** camelCase name, also the GraphQL field name */
  name: string
  /** REST path, POST */
  path: string
  summary: string
  description: string
  /** the assignment's questions this answers */
  questions: readonly string[]
  body: B
  response: R
  /** request examples, shown in openapi.yaml and tested to run */
  examples: ReadonlyArray<OperationExample<B>>
  /** the limit that bounds this route's body, when it is not the default bodyLimit */
  bodyLimit?: keyof Limits
  /**
   * Estimated cost of run(input), in rough floating-point operations: above INLINE_COST_LIMIT
   * the computation goes to the worker pool (src/runtime/pool.ts). Absent: always inline.
   */
  cost?: (input: Static<B>) => number
  /** Pure: throws ComputationError subclasses for 400/413/422. */
  run: (input: Static<B>, limits: Limits) => Static<R>
}

/** Type-checks an operation's run against its own schemas. */
export function defineOperation<B extends TSchema, R extends TSchema> (operation: Operation<B, R>): Operation<B, R> {
  return operation
}
