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
