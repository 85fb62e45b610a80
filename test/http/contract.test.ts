/**
 * Responses are serialized with JSON.stringify (see src/http/routes.ts), so nothing strips
 * or coerces them on the way out: every response must match its declared schema.
 */
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { operations } from '../../src/operations/index.js'
import { ErrorResponse } from '../../src/operations/schemas.js'
import { build, post } from '../helpers/app.js'
import { tableBodies } from '../helpers/bodies.js'

t.test('every example and edge-case response matches the schema', async (t) => {
  const app = await build(t)
  for (const operation of operations) {
    for (const body of tableBodies(operation)) {
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
