/**
 * Bad input never produces a 5xx: arbitrary JSON, and the documented examples with one field
 * replaced by an arbitrary value, answer 200, 400, 413 or 422 on every route.
 */
import fc from 'fast-check'
import t from 'tap'
import { operations } from '../../src/operations/index.js'
import { build, post } from '../helpers/app.js'

const ALLOWED = new Set([200, 400, 413, 422])
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.double(),
  fc.array(fc.integer({ min: -3, max: 70 }), { maxLength: 3 }),
  fc.constantFrom('Image → Conv-3x3 → ReLU', 'Conv-99x1(stride=64)', '→', 'FC-0', 'Global Avg. Pool', 'Conv-3x3(out=0)')
)

t.test('arbitrary bodies and mutated examples never get a 5xx', async (t) => {
  const app = await build(t, { limits: { convMaxDenseEntries: 10_000, convMaxSparseEntries: 10_000, softmaxMaxEntries: 1000 } })
  for (const operation of operations) {
    const keys = Object.keys(operation.body.properties as object)
    const mutated = fc.tuple(fc.constantFrom(...operation.examples.map((e) => e.value as Record<string, unknown>)), fc.constantFrom(...keys), value)
      .map(([example, key, v]) => ({ ...example, [key]: v }))
    await fc.assert(fc.asyncProperty(fc.oneof(mutated, fc.jsonValue({ maxDepth: 4 })), async (body) => {
      const response = await post(app, operation.path, body)
      if (!ALLOWED.has(response.statusCode)) throw new Error(`${operation.path} ${JSON.stringify(body)} → ${response.statusCode} ${response.body}`)
    }), { numRuns: 400 })
    t.pass(`${operation.path}: 400 bodies, each 200/400/413/422`)
  }
})

t.test('arbitrary answer sheets never get a 5xx from /grade', async (t) => {
  const { questions } = await import('../../src/grading/questions.js')
  const app = await build(t, { limits: { convMaxDenseEntries: 10_000, convMaxSparseEntries: 10_000, softmaxMaxEntries: 1000 } })
  // A question's default params with one field replaced, or arbitrary JSON; answers and
  // comparisons arbitrary too.
  const params = fc.tuple(fc.constantFrom(...questions), fc.option(fc.tuple(fc.string({ maxLength: 12 }), value)))
    .map(([question, change]) => ({ question: question.id, params: change === null ? question.defaults : { ...(question.defaults as object), [change[0]]: change[1] } }))
  const item = fc.record({
    question: fc.oneof(fc.constantFrom(...questions.map((q) => q.id)), fc.string()),
    answer: fc.oneof(value, fc.array(fc.array(fc.double(), { maxLength: 4 }), { maxLength: 4 })),
    comparison: fc.oneof(fc.constant(undefined), fc.record({ mode: fc.constantFrom('relabs', 'sigfig', 'decdig', 'exact', 'x'), digits: fc.integer({ min: -2, max: 20 }) }, { requiredKeys: ['mode'] }))
  }, { requiredKeys: ['question'] })
  const sheet = fc.record({
    student: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
    items: fc.array(fc.oneof(item, fc.tuple(params, value).map(([p, answer]) => ({ ...p, answer }))), { maxLength: 4 })
  }, { requiredKeys: ['items'] })
  await fc.assert(fc.asyncProperty(fc.oneof(sheet, fc.jsonValue({ maxDepth: 4 })), async (body) => {
    const response = await post(app, '/grade', body)
    if (![200, 400, 404, 413, 422].includes(response.statusCode)) throw new Error(`/grade ${JSON.stringify(body)} → ${response.statusCode} ${response.body}`)
  }), { numRuns: 400 })
  t.pass('/grade: 400 sheets, each 200/400/404/413/422')
})
