import { Type } from '@sinclair/typebox'
import { swish, swishDerivative, swishDistances } from '../math/swish.js'
import { defineOperation } from './operation.js'
import { wave } from './sample-inputs.js'
import { swishNanoseconds } from './swish-cost.js'

const Interval = Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lo, hi], lo ≤ hi, finite' })

export const swishOperation = defineOperation({
  name: 'swish',
  path: '/swish',
  summary: 'Swish x·σ(βx): how far it is from ReLU and from x/2 on an interval',
  description: 'Question 1.1. h(x) = x·σ(βx) (Ramachandran, Zoph & Le, 2017) tends to ReLU as β → ∞ and to x/2 as β → 0. ' +
    'distanceToRelu = max over [lo, hi] of |h(x) − ReLU(x)| = |x|·σ(−β|x|); its largest value anywhere is (t* − 1)/β ≈ 0.27846/β, ' +
    'at |x| = t*/β where t* = 1.27846… is the root of 1 + eᵗ = t·eᵗ, so it shrinks like 1/β. ' +
    'distanceToHalfIdentity = max of |h(x) − x/2| = (|x|/2)·tanh(β|x|/2), at the endpoint of largest |x|, which shrinks like β·x²/4. ' +
    'Both maxima are exact (closed forms, no sampling), within a few ulps of mpmath. With x, also h and h′ at those points.',
  questions: ['1.1'],
  body: Type.Object({
    beta: Type.Number({ exclusiveMinimum: 0, description: 'β > 0, finite' }),
    interval: Type.Optional({ ...Interval, default: [-5, 5] }),
    x: Type.Optional(Type.Array(Type.Number(), { minItems: 1, description: 'points where h and h′ are wanted' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    interval: Interval,
    distanceToRelu: Type.Number({ description: 'max over the interval of |x·σ(βx) − ReLU(x)|' }),
    argmaxRelu: Type.Number({ description: 'where it is reached (the smaller x on a tie)' }),
    distanceToHalfIdentity: Type.Number({ description: 'max over the interval of |x·σ(βx) − x/2|' }),
    argmaxHalfIdentity: Type.Number({ description: 'where it is reached (the smaller x on a tie)' }),
    values: Type.Optional(Type.Array(Type.Number(), { description: 'h(x) = x·σ(βx) at each x' })),
    derivatives: Type.Optional(Type.Array(Type.Number(), { description: 'h′(x) = σ(βx) + βx·σ(βx)·σ(−βx) at each x' }))
  }),
  examples: [
    { summary: 'question 1.1: β = 10 is close to ReLU', value: { beta: 10 } },
    { summary: 'β = 0.01 is close to x/2, with values at three points', value: { beta: 0.01, interval: [-5, 5], x: [-1, 0, 1] } }
  ],
  edgeCases: [
    { beta: 5e-324, x: [-1e308, 0, 1e308] },
    { beta: 1.7976931348623157e308, interval: [-1, 1], x: [-5e-324, 5e-324] },
    // t*/β = 1.278…: both intervals miss ±t*/β, so the maxima sit at the endpoints.
    { beta: 1, interval: [2, 3] },
    { beta: 1, interval: [-0.5, 0.25] },
    { beta: 1, interval: [-1e308, -1e307] },
    { beta: 2, interval: [0, 0] },
    { beta: 1e-300, interval: [-1e308, 1e308], x: [-1e308, -0.5, 0, 1e-310, 1e308] },
    { beta: 1e300, x: [-1, 1] }
  ],
  cost: swishNanoseconds,
  costLadder: () => [
    { summary: 'question 1.1', value: { beta: 10 } },
    { summary: '10 points', value: { beta: 10, x: wave(10) } },
    { summary: '40,000 points', value: { beta: 10, x: wave(40_000) } }
  ],
  run (input) {
    const interval = (input.interval ?? [-5, 5]) as [number, number]
    const distances = swishDistances(input.beta, interval)
    return {
      interval,
      distanceToRelu: distances.distanceToRelu,
      argmaxRelu: distances.argmaxRelu,
      distanceToHalfIdentity: distances.distanceToHalfIdentity,
      argmaxHalfIdentity: distances.argmaxHalfIdentity,
      ...(input.x !== undefined && {
        values: input.x.map((x) => swish(input.beta, x)),
        derivatives: input.x.map((x) => swishDerivative(input.beta, x))
      })
    }
  }
})
