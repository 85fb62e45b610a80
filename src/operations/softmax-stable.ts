import { Type, type TSchema } from '@sinclair/typebox'
import { LimitExceededError } from '../math/errors.js'
import { softmaxNaive, softmaxStable } from '../math/softmax.js'
import { NonFiniteCollector } from './finite.js'
import { defineOperation } from './operation.js'
import { wave } from './sample-inputs.js'
import { softmaxStableNanoseconds } from './softmax-stable-cost.js'
import { NullableNumber, Warnings } from './schemas.js'

const Vector = Type.Array(Type.Number(), { minItems: 1 })
const PerRow = <T extends TSchema>(item: T, description: string) =>
  Type.Union([item, Type.Array(item)], { title: 'PerRow', description: `${description} (one per row when x is a matrix)` })
const NullableVector = Type.Array(NullableNumber)

const NaiveResult = Type.Object({
  softmax: PerRow(NullableVector, 'e^{z_i}/Σe^{z_j} without the shift; null where it is NaN'),
  logSoftmax: PerRow(NullableVector, 'z_i − log Σe^{z_j}; null where it is ±∞ or NaN'),
  logSumExp: PerRow(NullableNumber, 'log Σe^{z_j}; null where it is ±∞'),
  overflow: PerRow(Type.Boolean(), 'Σe^{z_j} overflowed to +∞'),
  underflow: PerRow(Type.Boolean(), 'Σe^{z_j} fell below the smallest normal double 2.2250738585072014e-308')
}, { title: 'NaiveSoftmax', description: 'The textbook formula evaluated in float64 without the max shift: what question 1.4 warns about.' })

export const softmaxStableOperation = defineOperation({
  name: 'softmaxStable',
  path: '/softmax-stable',
  summary: 'Stable softmax, log-softmax and log-sum-exp',
  description: 'Questions 1.3–1.4. Computes softmax(x/T), log-softmax and log-sum-exp with the max shift; ' +
    'log-sum-exp is m + log1p(Σ_{j≠argmax} e^{z_j−m}), so it stays relatively accurate when one entry dominates ' +
    '(logSumExp([0, −40]) = 4.248354255291589e-18, where PyTorch 2.13 gives 0). ' +
    'A matrix x is a batch of rows (rows may differ in length). With naive: true, also the unshifted textbook formula in float64. ' +
    'Limit: SOFTMAX_MAX_ENTRIES entries in x (default 1,000,000), body up to SOFTMAX_BODY_LIMIT bytes (default 32 MiB).',
  questions: ['1.3', '1.4'],
  body: Type.Object({
    x: Type.Union([Vector, Type.Array(Vector, { minItems: 1 })], { title: 'Logits', description: 'logits: a vector, or a matrix whose rows are independent vectors' }),
    temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'T > 0; the computation is on x/T' })),
    naive: Type.Optional(Type.Boolean({ default: false, description: 'also evaluate the unshifted textbook formula' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    softmax: PerRow(NullableVector, 'softmax(x/T)'),
    logSoftmax: PerRow(NullableVector, 'log softmax(x/T)'),
    logSumExp: PerRow(NullableNumber, 'log Σ e^{x_j/T}'),
    max: PerRow(NullableNumber, 'max_j x_j/T'),
    argmax: PerRow(Type.Integer(), 'first index of the maximum, as torch.argmax'),
    naive: Type.Optional(NaiveResult),
    warnings: Type.Optional(Warnings)
  }),
  examples: [
    { summary: 'one entry dominates (question 1.4)', value: { x: [0, -40] } },
    { summary: 'all entries huge: the naive formula overflows', value: { x: [1000, 1001, 1002], naive: true } },
    { summary: 'a batch of two rows at temperature 2', value: { x: [[1, 2, 3], [0, 0, 0]], temperature: 2 } }
  ],
  bodyLimit: 'softmaxBodyLimit',
  edgeCases: [
    { x: [[1e308, -1e308], [3]], temperature: 0.5, naive: true },
    { x: [-1000, -1001], naive: true }
  ],
  cost: softmaxStableNanoseconds,
  costLadder: () => [
    { summary: '2 entries', value: { x: [0, -40] } },
    { summary: '1,000 entries', value: { x: wave(1000) } },
    { summary: '1,000 entries, naive', value: { x: wave(1000), naive: true } },
    { summary: 'a batch of 1,000 rows of 2, naive', value: { x: Array.from({ length: 1000 }, () => [1, 2]), naive: true } }
  ],
  run (input, limits) {
    const temperature = input.temperature ?? 1
    const batched = Array.isArray(input.x[0])
    const rows = (batched ? input.x : [input.x]) as number[][]
    const entries = rows.reduce((total, row) => total + row.length, 0)
    if (entries > limits.softmaxMaxEntries) {
      throw new LimitExceededError(`x has ${entries} entries, over the limit of ${limits.softmaxMaxEntries} (SOFTMAX_MAX_ENTRIES); split it into several requests`)
    }
    const finite = new NonFiniteCollector()
    const field = (name: string, row: number): string => batched ? `${name}[${row}]` : name
    const stable = rows.map((row, r) => {
      const result = softmaxStable(row, temperature)
      return {
        softmax: finite.array(result.softmax, field('softmax', r)),
        logSoftmax: finite.array(result.logSoftmax, field('logSoftmax', r)),
        logSumExp: finite.number(result.logSumExp, field('logSumExp', r)),
        max: finite.number(result.max, field('max', r)),
        argmax: result.argmax
      }
    })
    const unbatch = <T>(values: T[]): T | T[] => batched ? values : values[0]
    const response = {
      softmax: unbatch(stable.map((r) => r.softmax)),
      logSoftmax: unbatch(stable.map((r) => r.logSoftmax)),
      logSumExp: unbatch(stable.map((r) => r.logSumExp)),
      max: unbatch(stable.map((r) => r.max)),
      argmax: unbatch(stable.map((r) => r.argmax))
    }
    if (input.naive !== true) return Object.assign(response, finite.result())
    // The naive formula's non-finite values are its point (question 1.4): they are reported
    // through overflow/underflow, not as warnings.
    const quiet = new NonFiniteCollector()
    const naive = rows.map((row) => softmaxNaive(row, temperature))
    return {
      ...response,
      naive: {
        softmax: unbatch(naive.map((r) => quiet.array(r.softmax, 'naive.softmax'))),
        logSoftmax: unbatch(naive.map((r) => quiet.array(r.logSoftmax, 'naive.logSoftmax'))),
        logSumExp: unbatch(naive.map((r) => quiet.number(r.logSumExp, 'naive.logSumExp'))),
        overflow: unbatch(naive.map((r) => r.overflow)),
        underflow: unbatch(naive.map((r) => r.underflow))
      },
      ...finite.result()
    }
  }
})
