/** The cost estimate of /newton-step, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'
import { modelEvaluationNanoseconds } from './model-cost.js'
import type { ModelInput } from './models.js'

/** Validation and the response. */
const REQUEST_NS = 15_000
/**
 * Per parameter per CG iteration, besides its Hessian-vector product: the damped product
 * (Float64Array.from with a callback), two dot products and two vector updates.
 */
const ITERATION_PARAMETER_NS = 60
/** Per parameter: step and w + step, two doubles, in the answer. */
const ANSWER_PARAMETER_NS = 2 * JSON_DOUBLE_NS + 60

/** CG iterations run at most: maxIterations, by default min(n, 100) (src/math/hvp.ts). */
function newtonIterations (input: { w: ArrayLike<number>, maxIterations?: number }): number {
  return input.maxIterations ?? Math.min(input.w.length, 100)
}

export function newtonStepNanoseconds (input: { model: ModelInput, w: ArrayLike<number>, maxIterations?: number }): number {
  const model = modelEvaluationNanoseconds(input.model)
  const parameters = input.w.length
  const iterations = newtonIterations(input)
  // ∇f at w, then one Hessian-vector product per iteration, then f at w + step.
  return REQUEST_NS + model.setup + 2 * model.gradient +
    iterations * (model.hessianVector + parameters * ITERATION_PARAMETER_NS + JSON_DOUBLE_NS) +
    parameters * ANSWER_PARAMETER_NS
}
