/**
 * Responses are serialized with JSON.stringify (see src/http/routes.ts), so nothing strips
 * or coerces them on the way out: every response must match its declared schema.
 */
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { operations } from '../../src/operations/index.js'
import { ErrorResponse } from '../../src/operations/schemas.js'
import { build, post } from '../helpers/app.js'

const EXTRA_BODIES: Record<string, unknown[]> = {
  '/softmax-stable': [{ x: [[1e308, -1e308], [3]], temperature: 0.5, naive: true }, { x: [-1000, -1001], naive: true }],
  '/conv-matrix': [{ input: [2, 3], kernel: [[1e308, 2]], x: [[1e308, 1, 2], [3, 4, 5]], format: 'sparse' }, { input: 4, kernelSize: [2, 3], dilation: 2, padding: 1, stride: [1, 2], transposed: true, outputPadding: 1 }],
  '/receptive-field': [{ input: [20, 30], architecture: 'Conv-3x5(stride=2) → AvgPool-2 → Global Max Pool', pixel: [0, 0] }],
  '/param-count': [{ sizes: [3, 4], bias: false }],
  '/hvp': [
    { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [800], v: [1], method: 'central', sweep: true },
    { model: { kind: 'mlp', sizes: [2, 2], activation: 'gelu', loss: 'mse', inputs: [[1, 2]], targets: [[0.5, -0.5]] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0], method: 'forward', r: 1e-4 }
  ],
  '/newton-step': [
    { model: { kind: 'expression', expression: 'x^4 - x^2', variables: ['x'] }, w: [0.1] },
    { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [710], maxIterations: 1 }
  ],
  '/swish': [
    { beta: 5e-324, x: [-1e308, 0, 1e308] },
    { beta: 1.7976931348623157e308, interval: [-1, 1], x: [-5e-324, 5e-324] },
    // t*/β = 1.278…: both intervals miss ±t*/β, so the maxima sit at the endpoints.
    { beta: 1, interval: [2, 3] },
    { beta: 1, interval: [-0.5, 0.25] },
    { beta: 1, interval: [-1e308, -1e307] },
    { beta: 2, interval: [0, 0] }
  ],
  '/relu-decomposition': [
    { breakpoints: [0], slopes: [0, 1], at: { x: -3, y: 2 }, x: [-1, 1] },
    { breakpoints: [-2, -1, 0, 1, 2], slopes: [1, 1, 1, 1, 1, 1], at: { x: 0, y: 0 } },
    { breakpoints: [-1e300, 1e300], slopes: [1, 0, -1], x: [-1e300, 1e300] }
  ],
  '/logistic-mixture': [
    { pi: [1], weights: [[2, -1]], x: [[1, 1], [0, 0], [-1e300, 1e300]] },
    { pi: [0.25, 0.75], weights: [[1e200], [-1e200]], x: [[1e200], [-1e200], [0]] },
    { pi: [0, 1], weights: [[1], [1]], x: [-800] }
  ],
  '/corner-experiment': [
    { residual: true, epochs: 1 },
    { residual: false, seed: 4_294_967_295, epochs: 5, learningRate: 1 },
    { epochs: 2, learningRate: 1e-12 }
  ]
}

t.test('every example and edge-case response matches the schema', async (t) => {
  const app = await build(t)
  for (const operation of operations) {
    for (const body of [...operation.examples.map((e) => e.value), ...EXTRA_BODIES[operation.path]]) {
      const response = await post(app, operation.path, body)
      t.equal(response.statusCode, 200, `${operation.path} ${JSON.stringify(body)}`)
      const errors = [...Value.Errors(operation.response, response.json())].map((e) => `${e.path}: ${e.message}`)
      t.strictSame(errors, [], `${operation.path} ${JSON.stringify(body)}`)
      t.notMatch(response.body, /[:,[]\s*-?(NaN|Infinity)/, 'no non-JSON numbers')
    }
  }
  const error = await post(app, '/conv-matrix', { input: 1, kernelSize: 3 })
  t.strictSame([...Value.Errors(ErrorResponse, error.json())], [], 'errors match ErrorResponse')
})
