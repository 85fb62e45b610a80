import { Type } from '@sinclair/typebox'
import { newtonStep } from '../math/hvp.js'
import { NonFiniteCollector } from './finite.js'
import { ASSIGNMENT_MLP_EXAMPLE } from './hvp.js'
import { buildModel, ModelSchema } from './models.js'
import { ParameterVector } from './parameter-vector.js'
import { newtonStepNanoseconds } from './newton-step-cost.js'
import { defineOperation } from './operation.js'
import { mlpProblem, spreadSpectrum, wave } from './sample-inputs.js'
import { NullableNumber, Warnings } from './schemas.js'

/** CG iterations at most; each is one Hessian-vector product. */
export const MAX_NEWTON_ITERATIONS = 1000

export const newtonStepOperation = defineOperation({
  name: 'newtonStep',
  path: '/newton-step',
  summary: 'Hessian-free Newton step by conjugate gradients',
  description: 'Question 3.1. Solves (H + λI)·step = −∇f(w) by conjugate gradients using only exact Hessian-vector products ' +
    '(Hessian-free optimisation, Martens 2010); stops when ‖residual‖ ≤ tolerance·‖∇f‖, after maxIterations, or at a direction of ' +
    'non-positive curvature, which it reports in negativeCurvature instead of dividing by it. On a positive-definite quadratic the step lands on the minimiser. ' +
    'Same model and limits as /hvp.',
  questions: ['3.1'],
  body: Type.Object({
    model: ModelSchema,
    w: ParameterVector('the current point, one entry per parameter'),
    damping: Type.Optional(Type.Number({ minimum: 0, default: 0, description: 'λ ≥ 0 (Levenberg–Marquardt damping)' })),
    maxIterations: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_NEWTON_ITERATIONS, description: `CG iterations at most (default min(n, 100), at most ${MAX_NEWTON_ITERATIONS})` })),
    tolerance: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1e-10, description: 'stop when ‖(H + λI)s + ∇f‖ ≤ tolerance·‖∇f‖' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    step: Type.Array(NullableNumber, { description: 's ≈ −(H + λI)⁻¹∇f(w)' }),
    w: Type.Array(NullableNumber, { description: 'w + s' }),
    value: NullableNumber,
    newValue: NullableNumber,
    gradientNorm: NullableNumber,
    iterations: Type.Integer({ description: 'CG iterations, one Hessian-vector product each' }),
    residuals: Type.Array(NullableNumber, { description: '‖(H + λI)s_k + ∇f‖ from s_0 = 0' }),
    converged: Type.Boolean(),
    negativeCurvature: Type.Optional(Type.Object({
      iteration: Type.Integer(),
      curvature: NullableNumber
    }, { title: 'NegativeCurvature', description: 'CG met a direction p with pᵀ(H + λI)p ≤ 0 and stopped there (the step is the iterate before it)' })),
    warnings: Type.Optional(Warnings)
  }),
  examples: [
    { summary: 'a positive-definite quadratic: one step lands on the minimiser', value: { model: { kind: 'quadratic', A: [[4, 1], [1, 3]], b: [1, 2] }, w: [0, 0] } },
    { summary: 'Rosenbrock\'s function near its valley', value: { model: { kind: 'expression', expression: '(1 - x)^2 + 100*(y - x^2)^2', variables: ['x', 'y'] }, w: [0.8, 0.6] } },
    { summary: 'a small MLP, damped', value: { model: ASSIGNMENT_MLP_EXAMPLE, w: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.01, 0.02, 0.03, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 0.05, -0.05], damping: 0.1 } }
  ],
  bodyLimit: 'hvpBodyLimit',
  edgeCases: [
    { model: { kind: 'expression', expression: 'x^4 - x^2', variables: ['x'] }, w: [0.1] },
    { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [710], maxIterations: 1 },
    { model: { kind: 'quadratic', A: [[2, 1], [1, 2]] }, w: [1, 1], damping: 0.5, maxIterations: 3, tolerance: 1e-6 }
  ],
  cost: newtonStepNanoseconds,
  costLadder: () => [
    { summary: 'a 2 × 2 quadratic', value: { model: { kind: 'quadratic' as const, A: [[4, 1], [1, 3]] }, w: [1, 1] } },
    { summary: 'a 20 × 20 quadratic, eigenvalues 1 to 20', value: { model: { kind: 'quadratic' as const, A: spreadSpectrum(20) }, w: wave(20) } },
    { summary: 'a 200 × 200 quadratic, eigenvalues 1 to 200', value: { model: { kind: 'quadratic' as const, A: spreadSpectrum(200) }, w: wave(200) } },
    { summary: 'question 3\'s MLP, batch 8, 20 CG iterations', value: { model: mlpProblem([32, 512, 512, 10], 8).model, w: mlpProblem([32, 512, 512, 10], 8).w, maxIterations: 20 } }
  ],
  run (input, limits) {
    const result = newtonStep(buildModel(input.model, limits), input.w, input)
    const finite = new NonFiniteCollector()
    return {
      step: finite.array(result.step, 'step'),
      w: finite.array(result.w, 'w'),
      value: finite.number(result.value, 'value'),
      newValue: finite.number(result.newValue, 'newValue'),
      gradientNorm: finite.number(result.gradientNorm, 'gradientNorm'),
      iterations: result.iterations,
      residuals: finite.array(result.residuals, 'residuals'),
      converged: result.converged,
      ...(result.negativeCurvature !== undefined && {
        negativeCurvature: { iteration: result.negativeCurvature.iteration, curvature: finite.number(result.negativeCurvature.curvature, 'negativeCurvature.curvature') }
      }),
      ...finite.result()
    }
  }
})
