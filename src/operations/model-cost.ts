/**
 * What one evaluation of a /hvp or /newton-step model costs, in nanoseconds: the shared part of
 * both operations' cost estimates (hvp-cost.ts, newton-step-cost.ts; see `Operation.cost`).
 */
import { matrixBackend, type BackendName } from '../math/backend.js'
import type { ModelInput } from './models.js'

/** Per entry of A per product ½(A + Aᵀ)x: two multiply-adds over plain arrays. */
const QUADRATIC_ENTRY_NS = 6
/** Per formula, parsing it: the variables' checks, the tokenizer's and parser's closures. */
const FORMULA_PARSE_NS = 10_000
/** Per character of a formula, parsing it: tokens, nodes and the height check. */
const FORMULA_PARSE_CHARACTER_NS = 60
/**
 * Per character of a formula and per variable, parsing it: each name is looked up in the
 * variables by a linear search, and a formula has at most about one name per two characters.
 */
const FORMULA_NAME_LOOKUP_NS = 0.1
/**
 * Per character of a formula per evaluation: a tape entry, a Map slot and the partials of its
 * node. The cost per character depends on the formula: about 125 ns for sums of products and
 * squares, 260–290 for sums of sin(x·y + c) (BENCHMARKS.md, *Cost model*); the larger is taken.
 */
const FORMULA_EVALUATION_CHARACTER_NS = 290
/** Per variable per evaluation: the gradient and Hessian-vector arrays. */
const FORMULA_VARIABLE_NS = 20
/**
 * The MLP's products, by the matrix kernels that run them (src/math/backend.ts):
 * - `parameter`: per parameter per evaluation, whatever the batch: w copied into the workspace,
 *   the gradient cleared and copied out (`parameterHvp`: v and the product too);
 * - `gradient`: per example per parameter for f and ∇f: three multiply-adds (the forward and
 *   two backward products);
 * - `hvp`: per example per parameter for f, ∇f and ∇²f·v: about three gradients (Pearlmutter's
 *   constant).
 * Measured by `npm run bench:cost -- hvp` (BENCHMARKS.md, *Cost model*) and rounded up.
 */
const MLP_KERNEL_NS: Record<BackendName, { parameter: number, parameterHvp: number, gradient: number, hvp: number }> = {
  js: { parameter: 30, parameterHvp: 45, gradient: 4, hvp: 10 },
  wasm: { parameter: 6, parameterHvp: 10, gradient: 1, hvp: 2.5 },
  native: { parameter: 6, parameterHvp: 10, gradient: 0.5, hvp: 1.2 }
}
/** Per example per unit: the activation with its first and second derivatives. */
const MLP_ACTIVATION_NS = 30
/** Per example: the loss (a stable softmax of the logits for cross-entropy). */
const MLP_EXAMPLE_NS = 500
/** Per layer per evaluation: a dozen typed arrays and their views. */
const MLP_LAYER_NS = 3_000

export interface ModelEvaluationNanoseconds {
  /** building the model once: parsing a formula, copying an MLP's inputs */
  setup: number
  /** one f(w) and ∇f(w) */
  gradient: number
  /** one f(w), ∇f(w) and ∇²f(w)·v */
  hessianVector: number
}

export function modelEvaluationNanoseconds (model: ModelInput): ModelEvaluationNanoseconds {
  switch (model.kind) {
    case 'quadratic': {
      const n = model.A.length
      const product = QUADRATIC_ENTRY_NS * n * n
      return { setup: n, gradient: product, hessianVector: 2 * product }
    }
    case 'expression': {
      const length = model.expression.length
      const variables = model.variables.length
      const evaluation = FORMULA_EVALUATION_CHARACTER_NS * length + FORMULA_VARIABLE_NS * variables
      return {
        setup: FORMULA_PARSE_NS + length * (FORMULA_PARSE_CHARACTER_NS + FORMULA_NAME_LOOKUP_NS * variables),
        gradient: evaluation,
        hessianVector: evaluation
      }
    }
    case 'mlp': {
      const { sizes } = model
      const batch = model.inputs.length
      let parameters = 0
      let units = 0
      for (let l = 1; l < sizes.length; l++) {
        parameters += (sizes[l - 1] + 1) * sizes[l]
        units += sizes[l]
      }
      const kernels = MLP_KERNEL_NS[matrixBackend().name]
      const fixed = batch * (MLP_EXAMPLE_NS + MLP_ACTIVATION_NS * units) + MLP_LAYER_NS * (sizes.length - 1)
      return {
        setup: batch * sizes[0],
        gradient: fixed + parameters * (kernels.parameter + batch * kernels.gradient),
        hessianVector: fixed + parameters * (kernels.parameterHvp + batch * kernels.hvp)
      }
    }
  }
}
