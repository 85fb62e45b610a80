/** The cost estimate of /hvp, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'
import { modelEvaluationNanoseconds } from './model-cost.js'
import type { ModelInput } from './models.js'

/** Validation and the response. */
const REQUEST_NS = 15_000
/** Per parameter: hv and the gradient, two doubles, in the answer (and their copies through NonFiniteCollector). */
const ANSWER_PARAMETER_NS = 2 * JSON_DOUBLE_NS + 60
/** Per parameter per finite difference: the shifted point w ± rv and the difference quotient (Float64Array.from with a callback). */
const DIFFERENCE_PARAMETER_NS = 70
/** Per parameter per step of the sweep: the error vector against the exact product and its norm. */
const SWEEP_ERROR_PARAMETER_NS = 65
/** Steps of the sweep, r = 10⁰ … 10⁻¹⁶ (src/math/hvp.ts). */
const SWEEP_STEPS = 17

export function hvpNanoseconds (input: { model: ModelInput, w: ArrayLike<number>, method?: string, sweep?: boolean }): number {
  const model = modelEvaluationNanoseconds(input.model)
  const parameters = input.w.length
  const method = input.method ?? 'exact'
  const sweep = input.sweep === true
  // Forward differences need one more gradient, central two; the gradient at w comes with the base evaluation.
  const difference = (gradients: number): number => gradients * model.gradient + parameters * DIFFERENCE_PARAMETER_NS
  let total = REQUEST_NS + model.setup + parameters * ANSWER_PARAMETER_NS
  total += method === 'exact' || sweep ? model.hessianVector : model.gradient
  if (method !== 'exact') total += difference(method === 'forward' ? 1 : 2)
  if (sweep) total += SWEEP_STEPS * (difference(1) + difference(2) + 2 * parameters * SWEEP_ERROR_PARAMETER_NS)
  return total
}
