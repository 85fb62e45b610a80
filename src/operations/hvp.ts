import { Type } from '@sinclair/typebox'
import { InvalidRequestError } from '../math/errors.js'
import { hessianVectorProduct } from '../math/hvp.js'
import { NonFiniteCollector } from './finite.js'
import { hvpNanoseconds } from './hvp-cost.js'
import { buildModel, ModelSchema } from './models.js'
import { ParameterVector } from './parameter-vector.js'
import { defineOperation } from './operation.js'
import { formulaModel, mlpProblem, squareMatrix, wave } from './sample-inputs.js'
import { NullableNumber, Warnings } from './schemas.js'

const Method = Type.Union([Type.Literal('exact'), Type.Literal('forward'), Type.Literal('central')], {
  title: 'HvpMethod',
  description: 'exact: R-operator (forward-over-reverse, no finite differences); forward: (g(w+rv) − g(w))/r; central: (g(w+rv) − g(w−rv))/2r'
})

export const ASSIGNMENT_MLP_EXAMPLE = {
  kind: 'mlp' as const,
  sizes: [2, 3, 2],
  activation: 'tanh' as const,
  loss: 'cross-entropy' as const,
  inputs: [[0.5, -1], [1.5, 0.25]],
  targets: [0, 1]
}

/** The sweep's rows, with one warning per column rather than one per non-finite entry. */
function sweepRows (sweep: NonNullable<ReturnType<typeof hessianVectorProduct>['sweep']>, finite: NonFiniteCollector) {
  const forward = finite.array(sweep.map((row) => row.forwardError), 'sweep forwardError')
  const central = finite.array(sweep.map((row) => row.centralError), 'sweep centralError')
  return sweep.map((row, k) => ({ r: row.r, forwardError: forward[k], centralError: central[k] }))
}

export const hvpOperation = defineOperation({
  name: 'hvp',
  path: '/hvp',
  summary: 'Hessian-vector product: exact (R-operator) or by finite differences',
  description: 'Questions 3.3–3.6. Returns f(w), ∇f(w) and ∇²f(w)·v for a quadratic, a formula or an MLP (PyTorch\'s parameter layout). ' +
    'method "exact" is Pearlmutter\'s R-operator; "forward"/"central" are finite differences of the gradient with step r ' +
    '(default SciPy\'s rule: √ε resp. ∛ε times max(1, ‖w‖)/‖v‖). sweep: true adds the relative error of both for r = 10⁰ … 10⁻¹⁶. ' +
    'Limits: body up to HVP_BODY_LIMIT bytes (default 32 MiB, enough for the assignment\'s 284,682-parameter MLP); ' +
    'MLP batch × parameters ≤ HVP_MAX_WORK (default 10⁸) and batch × Σ widths ≤ HVP_MAX_ACTIVATIONS (default 10⁶).',
  questions: ['3.3', '3.4', '3.5', '3.6'],
  body: Type.Object({
    model: ModelSchema,
    w: ParameterVector('the point, one entry per parameter'),
    v: ParameterVector('the direction, one entry per parameter'),
    method: Type.Optional(Method),
    r: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'finite-difference step (forward and central only)' })),
    sweep: Type.Optional(Type.Boolean({ description: 'also the forward and central errors against the exact product for r = 10⁰ … 10⁻¹⁶' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    hv: Type.Array(NullableNumber, { description: '∇²f(w)·v' }),
    value: NullableNumber,
    gradient: Type.Array(NullableNumber, { description: '∇f(w)' }),
    method: Method,
    r: Type.Optional(Type.Number({ description: 'the finite-difference step used' })),
    sweep: Type.Optional(Type.Array(Type.Object({
      r: Type.Number(),
      forwardError: NullableNumber,
      centralError: NullableNumber
    }, { title: 'SweepRow' }), { description: '‖Hv_fd − Hv_exact‖/‖Hv_exact‖ for r = 10⁰ … 10⁻¹⁶: the V-shaped trade-off of question 3.5 (null, with a warning, where Hv_exact is 0)' })),
    warnings: Type.Optional(Warnings)
  }),
  examples: [
    { summary: 'a formula: f = x²y + sin(xy)', value: { model: { kind: 'expression', expression: 'x^2*y + sin(x*y)', variables: ['x', 'y'] }, w: [1.5, -0.7], v: [0.3, 2] } },
    { summary: 'a non-symmetric quadratic by central differences', value: { model: { kind: 'quadratic', A: [[2, 1], [0, 3]], b: [1, -1] }, w: [1, 2], v: [1, 0], method: 'central' } },
    { summary: 'a 2 → 3 → 2 tanh MLP with cross-entropy, and the error sweep', value: { model: ASSIGNMENT_MLP_EXAMPLE, w: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.01, 0.02, 0.03, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 0.05, -0.05], v: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], sweep: true } }
  ],
  bodyLimit: 'hvpBodyLimit',
  edgeCases: [
    { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [800], v: [1], method: 'central', sweep: true },
    { model: { kind: 'expression', expression: 'exp(x)*y', variables: ['x', 'y'] }, w: [1, 2], v: [1, 1], method: 'forward', sweep: true },
    { model: { kind: 'mlp', sizes: [2, 2], activation: 'gelu', loss: 'mse', inputs: [[1, 2]], targets: [[0.5, -0.5]] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0], method: 'forward', r: 1e-4 }
  ],
  cost: hvpNanoseconds,
  costLadder: () => [
    { summary: 'a 2 × 2 quadratic', value: { model: { kind: 'quadratic' as const, A: [[2, 1], [0, 3]] }, w: [1, 2], v: [1, 0] } },
    { summary: 'a formula of 100 terms', value: { model: formulaModel(100), w: [1, 2], v: [1, 0] } },
    { summary: 'a formula of 100 terms, forward differences', value: { model: formulaModel(100), w: [1, 2], v: [1, 0], method: 'forward' as const } },
    { summary: 'a formula of 100 terms, central differences', value: { model: formulaModel(100), w: [1, 2], v: [1, 0], method: 'central' as const } },
    { summary: 'a 1,000 × 1,000 quadratic', value: { model: { kind: 'quadratic' as const, A: squareMatrix(1000) }, w: wave(1000), v: wave(1000) } },
    { summary: 'a formula of 100 terms, sweep', value: { model: formulaModel(100), w: [1, 2], v: [1, 0], sweep: true } },
    { summary: 'question 3\'s MLP 32 → 512 → 512 → 10, batch 1', value: mlpProblem([32, 512, 512, 10], 1) },
    { summary: 'question 3\'s MLP, batch 64', value: mlpProblem([32, 512, 512, 10], 64) },
    { summary: 'question 3\'s MLP, batch 64, sweep', value: { ...mlpProblem([32, 512, 512, 10], 64), sweep: true } }
  ],
  run (input, limits) {
    const method = input.method ?? 'exact'
    if (input.r !== undefined && method === 'exact') throw new InvalidRequestError('r is the finite-difference step: it goes with method "forward" or "central"')
    const model = buildModel(input.model, limits)
    const result = hessianVectorProduct(model, input.w, input.v, { method, r: input.r, sweep: input.sweep })
    const finite = new NonFiniteCollector()
    return {
      hv: finite.array(result.hv, 'hv'),
      value: finite.number(result.value, 'value'),
      gradient: finite.array(result.gradient, 'gradient'),
      method,
      ...(result.r !== undefined && { r: result.r }),
      ...(result.sweep !== undefined && { sweep: sweepRows(result.sweep, finite) }),
      ...finite.result()
    }
  }
})
