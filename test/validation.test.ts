import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { operations } from '../src/operations/index.js'
import { errorBody } from '../src/http/errors.js'
import { build, post } from './helpers/app.js'

t.test('values are quoted the way the client sent them', async (t) => {
  const app = await build(t)
  const cases: Array<[unknown, RegExp]> = [
    [{ x: [null] }, /body\/x\/0 must be a finite number, got null/],
    [{ x: [{}] }, /body\/x\/0 must be a finite number, got an object/],
    [{ x: [true] }, /body\/x\/0 must be a finite number, got true/],
    [{ x: ['a'.repeat(100)] }, /got the string "a{40}…"/],
    [{ x: [1], temperature: [2] }, /body\/temperature must be a finite number, got an array/],
    [{ temperature: 2 }, /^body must have the property 'x'$/]
  ]
  for (const [body, message] of cases) t.match((await post(app, '/softmax-stable', body)).json().message, message)
})

t.test('every union in a request schema has a description, so its error can say what it accepts', async (t) => {
  const unions: string[] = []
  const visit = (schema: TSchema, path: string): void => {
    if (schema.anyOf !== undefined) {
      if (typeof schema.description !== 'string') unions.push(path)
      schema.anyOf.forEach((branch: TSchema, i: number) => visit(branch, `${path}/anyOf/${i}`))
    }
    if (schema.properties !== undefined) for (const [key, value] of Object.entries(schema.properties)) visit(value as TSchema, `${path}/${key}`)
    if (schema.items !== undefined) visit(schema.items as TSchema, `${path}/items`)
  }
  for (const operation of operations) visit(operation.body, operation.path)
  t.strictSame(unions, [])
})

t.test('an unusual status still gets a status text', async (t) => {
  t.strictSame(errorBody(599, 'X', 'm'), { statusCode: 599, code: 'X', error: 'Error', message: 'm' })
})
