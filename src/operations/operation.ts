/**
 * One entry per computation: the single place both doors (REST and GraphQL), the OpenAPI
 * document and the question bank read from.
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
  /**
   * Bodies at the edges of what the operation answers (extreme magnitudes, degenerate shapes,
   * the smallest inputs), each answered 200: not documented, but every test that walks the
   * table sends them (the response contract, REST–GraphQL parity, the fuzzer's seeds), with
   * the examples that are cheap to run. Keep them cheap: milliseconds, a fraction of a second
   * for the one that shows a case no cheaper input reaches.
   */
  edgeCases?: ReadonlyArray<Static<B>>
  /** the limit that bounds this route's body, when it is not the default bodyLimit */
  bodyLimit?: keyof Limits
  /**
   * Estimated CPU time of run(input) plus JSON.stringify of its answer, in nanoseconds on the
   * reference machine (the one of BENCHMARKS.md's "Cost model", Node 20). The runtime decides
   * from it alone: inline on the main thread below a small budget, otherwise in the worker
   * pool; refused at once (413) when it is over COMPUTE_TIMEOUT_MS; queued by the sum of
   * estimates. So it counts both sides: the input's size and the answer's (entries, matrix
   * cells and non-zeros, formula length, epochs, Hessian-vector products…), whose JSON
   * often costs more than the arithmetic.
   *
   * It must be cheap: no allocation of the answer, at most a walk over the input's structure.
   * It is finite and > 0 for every schema-valid input; where run will refuse the input, any
   * finite value. When unsure, overestimate: an underestimate blocks the event loop or
   * overfills the queue, an overestimate only sends small work to a worker. Each operation's
   * estimate is in its `*-cost.ts` file, calibrated by `npm run bench:cost`.
   */
  cost (input: Static<B>): number
  /**
   * Inputs from the smallest to a large one, each estimated above the one before: built when
   * asked (src/operations/sample-inputs.ts helps), not at import. test/operations/cost.test.ts
   * checks that the estimate grows along the ladder; `npm run bench:cost` times every rung
   * against its estimate.
   */
  costLadder (): ReadonlyArray<OperationExample<B>>
  /**
   * The checks of run's documented limits that need no work (sizes against CONV_MAX_*,
   * epochs against CORNER_MAX_EPOCHS), for operations whose estimate can pass the time budget
   * before a limit does: the pool runs them before it refuses a computation by its estimate,
   * so an input over a limit gets that limit's 413, which says what to change.
   */
  checkLimits? (input: Static<B>, limits: Limits): void
  /** Pure: throws ComputationError subclasses for 400/413/422. */
  run (input: Static<B>, limits: Limits): Static<R>
}

/** Type-checks an operation's run against its own schemas. */
export function defineOperation<B extends TSchema, R extends TSchema> (operation: Operation<B, R>): Operation<B, R> {
  return operation
}
