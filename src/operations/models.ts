/**
 * The `model` of /hvp and /newton-step (openapi.yaml): a quadratic, a formula, or an MLP in
 * PyTorch's parameter layout, turned into a DifferentiableModel.
 */
import { Type, type Static } from '@sinclair/typebox'
import { ACTIVATIONS } from '../math/activations.js'
import { LimitExceededError } from '../math/errors.js'
import { Expression, FUNCTIONS, MAX_EXPRESSION_LENGTH } from '../math/expression.js'
import type { DifferentiableModel } from '../math/hvp.js'
import { QuadraticModel } from '../math/hvp.js'
import { Mlp } from '../math/mlp.js'
import { mlpParameterCount } from '../math/param-count.js'
import type { Limits } from './limits.js'
import { MAX_FEATURES } from './param-count.js'

const Vector = Type.Array(Type.Number())
const Matrix = Type.Array(Vector)

export const QuadraticModelSchema = Type.Object({
  kind: Type.Literal('quadratic'),
  A: Type.Array(Vector, { minItems: 1, description: 'n × n, need not be symmetric: the Hessian is (A + Aᵀ)/2' }),
  b: Type.Optional(Type.Array(Type.Number(), { description: 'n entries (default 0)' }))
}, { additionalProperties: false, title: 'QuadraticModel', description: 'f(w) = ½wᵀAw + bᵀw' })

export const ExpressionModelSchema = Type.Object({
  kind: Type.Literal('expression'),
  expression: Type.String({
    minLength: 1,
    maxLength: MAX_EXPRESSION_LENGTH,
    description: `a scalar formula: numbers, variable names, + - * / ^ (tighter than unary minus, right-associative), parentheses, and ${FUNCTIONS.join(' ')}; e.g. "x^2*y + sin(x*y)"`
  }),
  variables: Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), { maxItems: 1000, description: 'w[i] is the value of variables[i]' })
}, { additionalProperties: false, title: 'ExpressionModel' })

export const MlpModelSchema = Type.Object({
  kind: Type.Literal('mlp'),
  sizes: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_FEATURES }), { minItems: 2, maxItems: 100, description: 'layer widths sizes[0] → … → sizes[L], e.g. [32, 512, 512, 10]' }),
  activation: Type.Union(ACTIVATIONS.map((name) => Type.Literal(name)), { title: 'Activation', description: 'after every layer but the last: gelu is the exact erf form, softplus log(1 + eˣ), swish x·σ(x)' }),
  loss: Type.Union([Type.Literal('cross-entropy'), Type.Literal('mse')], { description: 'batch mean, as PyTorch\'s reduction="mean" (mse averages every element)' }),
  inputs: Type.Array(Vector, { minItems: 1, description: 'batch B × sizes[0]' }),
  targets: Type.Union([Type.Array(Type.Integer({ minimum: 0 })), Matrix], { title: 'Targets', description: 'class indices (cross-entropy) or B × sizes[L] values (mse)' })
}, {
  additionalProperties: false,
  title: 'MlpModel',
  description: 'nn.Sequential(nn.Linear, act, nn.Linear, …); w is its parameters() flattened: per layer the weight [out][in] row-major, then the bias'
})

const ModelUnion = Type.Union([QuadraticModelSchema, ExpressionModelSchema, MlpModelSchema])
/**
 * A oneOf with a discriminator on `kind`, so a mistake inside an MLP is reported against the
 * MLP's schema rather than against whichever branch Ajv tried first.
 */
export const ModelSchema = Type.Unsafe<Static<typeof ModelUnion>>({
  type: 'object',
  oneOf: ModelUnion.anyOf,
  discriminator: { propertyName: 'kind' },
  title: 'Model',
  description: 'the function f: kind "quadratic", "expression" or "mlp"'
})
export type ModelInput = Static<typeof ModelUnion>

/**
 * @throws {ImpossibleInputError} for inconsistent shapes (with the numbers)
 * @throws {LimitExceededError} when an MLP's batch × parameters is over HVP_MAX_WORK, or its
 *   batch × Σ widths over HVP_MAX_ACTIVATIONS
 */
export function buildModel (model: ModelInput, limits: Limits): DifferentiableModel {
  switch (model.kind) {
    case 'quadratic':
      return new QuadraticModel(model.A, model.b)
    case 'expression':
      return Expression.parse(model.expression, model.variables)
    case 'mlp': {
      const parameters = mlpParameterCount(model.sizes).total
      const work = model.inputs.length * parameters
      if (work > limits.hvpMaxWork) {
        throw new LimitExceededError(`the MLP has ${parameters} parameters and a batch of ${model.inputs.length}: batch × parameters = ${work}, over the limit of ${limits.hvpMaxWork} (HVP_MAX_WORK); use a smaller batch`)
      }
      const widths = model.sizes.reduce((total, size) => total + size, 0)
      const activations = model.inputs.length * widths
      if (activations > limits.hvpMaxActivations) {
        throw new LimitExceededError(`the MLP keeps batch × Σ widths = ${model.inputs.length} × ${widths} = ${activations} activations, over the limit of ${limits.hvpMaxActivations} (HVP_MAX_ACTIVATIONS); use a smaller batch`)
      }
      return new Mlp(model)
    }
  }
}
