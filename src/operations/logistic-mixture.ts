import { Type } from '@sinclair/typebox'
import { LimitExceededError } from '../math/errors.js'
import { logisticMixture } from '../math/logistic-mixture.js'
import { logisticMixtureNanoseconds } from './logistic-mixture-cost.js'
import { defineOperation } from './operation.js'
import { wave } from './sample-inputs.js'

/** Products w_k[i]·x[i]: K components × d features × N inputs. */
const work = (input: { weights: number[][], x: number[] | number[][] }): number => {
  const rows = Array.isArray(input.x[0]) ? input.x.length : 1
  return input.weights.length * input.weights[0].length * rows
}

const Vector = Type.Array(Type.Number(), { minItems: 1 })

export const logisticMixtureOperation = defineOperation({
  name: 'logisticMixture',
  path: '/logistic-mixture',
  summary: 'A mixture of logistic regressions, p(y=1∣x) = Σ_k π_k σ(w_kᵀx), and the network it is',
  description: 'Question 2. The marginal p(y = 1 ∣ x) = Σ_k π_k·σ(w_kᵀx) of a mixture of K logistic regressions is a network: ' +
    'an input layer of size d, one hidden layer of K sigmoid units without bias (weights w_k), and one linear output unit without bias whose weights are π. ' +
    'pi must be a probability vector (entries ≥ 0, |Σπ − 1| ≤ 1e-9; otherwise 422 with the sum). ' +
    'Dot products are compensated and σ is evaluated stably: within a few ulps of mpmath. ' +
    'Limit: K·d·N ≤ EVALUATION_MAX_WORK (default 10,000,000).',
  questions: ['2'],
  body: Type.Object({
    pi: Type.Array(Type.Number(), { minItems: 1, description: 'mixing probabilities π_1 … π_K' }),
    weights: Type.Array(Vector, { minItems: 1, description: 'K rows w_k of d numbers' }),
    x: Type.Union([Vector, Type.Array(Vector, { minItems: 1 })], { title: 'Logits', description: 'one input of d numbers, or N inputs as rows' })
  }, { additionalProperties: false }),
  response: Type.Object({
    probability: Type.Union([Type.Number(), Type.Array(Type.Number())], { title: 'PerRow', description: 'p(y = 1 ∣ x); one per row when x is a matrix' }),
    network: Type.Object({
      input: Type.Object({ size: Type.Integer({ description: 'd' }) }, { title: 'MixtureInputLayer' }),
      hidden: Type.Object({
        units: Type.Integer({ description: 'K' }),
        activation: Type.Literal('sigmoid'),
        bias: Type.Literal(false),
        weights: Type.Array(Type.Array(Type.Number()), { description: 'K × d: row k is w_k' })
      }, { title: 'MixtureHiddenLayer' }),
      output: Type.Object({
        units: Type.Literal(1),
        activation: Type.Literal('identity'),
        bias: Type.Literal(false),
        weights: Type.Array(Type.Number(), { description: 'π' })
      }, { title: 'MixtureOutputLayer' }),
      formula: Type.String()
    }, { title: 'MixtureNetwork', description: 'the network reading of the mixture' })
  }),
  examples: [
    { summary: 'question 2: K = 2 components in d = 2 dimensions', value: { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [1, 2] } },
    { summary: 'a batch of three inputs', value: { pi: [0.5, 0.25, 0.25], weights: [[1], [-1], [3]], x: [[-1], [0], [2]] } }
  ],
  edgeCases: [
    { pi: [1], weights: [[2, -1]], x: [[1, 1], [0, 0], [-1e300, 1e300]] },
    { pi: [0.25, 0.75], weights: [[1e200], [-1e200]], x: [[1e200], [-1e200], [0]] },
    { pi: [0, 1], weights: [[1], [1]], x: [-800] },
    { pi: [1], weights: [[0]], x: [[1], [2]] }
  ],
  cost: logisticMixtureNanoseconds,
  costLadder: () => [
    { summary: 'question 2: K = 2, d = 2, one point', value: { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [1, 2] } },
    { summary: 'two points', value: { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [[1, 2], [3, 4]] } },
    { summary: 'K = 2, d = 100, 200 points', value: { pi: [0.5, 0.5], weights: [wave(100), wave(100)], x: Array.from({ length: 200 }, () => wave(100)) } }
  ],
  run (input, limits) {
    if (work(input) > limits.evaluationMaxWork) {
      throw new LimitExceededError(`K·d·N = ${work(input)} products, over the limit of ${limits.evaluationMaxWork} (EVALUATION_MAX_WORK); send fewer inputs or components`)
    }
    return logisticMixture(input.pi, input.weights, input.x)
  }
})
