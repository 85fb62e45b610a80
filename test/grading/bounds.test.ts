/**
 * Grader-given params are variant-sized: every size in a question's params schema is bounded,
 * params at a bound are graded, one over it is a 400 naming the field and the bound, and the
 * assignment's numbers and every variant stay within the bounds.
 */
import t from 'tap'
import { Ajv } from 'ajv'
import { Grader } from '../../src/grading/grader.js'
import { questions } from '../../src/grading/questions.js'
import { VariantRandom } from '../../src/grading/variants.js'
import { AJV_OPTIONS } from '../../src/validation.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import { thrown } from '../helpers/errors.js'

const SECRET = Buffer.from('test-variant-secret-0123456789')
const grader = new Grader(SECRET, DEFAULT_SERVICE_LIMITS)

const numbers = (n: number, first = 1): number[] => Array.from({ length: n }, (_, i) => first + i)
const matrix = (rows: number, columns: number): number[][] => Array.from({ length: rows }, (_, i) => numbers(columns, i))
/** An architecture of exactly 1000 characters: 88 Conv-1x1 and 5 ReLU, 92 arrows. */
const LONGEST_ARCHITECTURE = [...Array<string>(88).fill('Conv-1x1'), ...Array<string>(5).fill('ReLU')].join(' → ')
/** A 256-character formula in 16 variables. */
const VARIABLES = numbers(16, 0).map((i) => `v${i}`)
const LONGEST_EXPRESSION = `${VARIABLES.map((v, i) => `sin(${v}*${VARIABLES[(i + 5) % 16]})`).join(' + ')} + 0.${'1'.repeat(34)}`
/** The largest MLP question 3.6 takes: 16 → 16 → 16 → 16, a batch of 16, 816 parameters. */
const largestMlp = (changes: Record<string, unknown> = {}) => ({
  kind: 'mlp', sizes: [16, 16, 16, 16], activation: 'tanh', loss: 'cross-entropy', inputs: matrix(16, 16), targets: numbers(16, 0), ...changes
})
const mlpParams = (model: Record<string, unknown>, length = 816) => ({ model, w: numbers(length).map((i) => Math.sin(i)), v: numbers(length).map((i) => Math.cos(i)) })

const grade = (question: string, params: unknown) => grader.grade({ items: [{ question, params: params as Record<string, unknown> }] }, 'body').items[0]

t.test('params at every bound are graded', async (t) => {
  const atBounds: Array<[string, unknown]> = [
    ['1.1-swish', { beta: 10, interval: [-5, 5] }],
    ['1.2-relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 3], at: { x: 4, y: 1 } }],
    ['1.4-log-softmax', { x: numbers(32, 1000) }],
    ['2-logistic-mixture', { pi: Array<number>(10).fill(0.1), weights: matrix(10, 10).map((row, k) => row.map((w) => (w * k) % 7 - 3)), x: numbers(10, -5) }],
    ['3.2-param-count', { sizes: Array<number>(12).fill(4096) }],
    ['3.2-hessian-shape', { sizes: Array<number>(12).fill(4096), bias: false }],
    ['3.6-hvp', { model: { kind: 'expression', expression: LONGEST_EXPRESSION, variables: VARIABLES }, w: numbers(16), v: numbers(16) }],
    ['3.6-hvp', { model: { kind: 'quadratic', A: matrix(16, 16), b: numbers(16) }, w: numbers(16), v: numbers(16) }],
    ['3.6-hvp', mlpParams(largestMlp())],
    ['3.6-hvp', mlpParams(largestMlp({ loss: 'mse', targets: matrix(16, 16) }))],
    ['4.1-output-shape', { input: 256, architecture: LONGEST_ARCHITECTURE }],
    ['5.1-output-shape', { input: [256, 256], architecture: LONGEST_ARCHITECTURE }],
    ['5.3-receptive-field', { architecture: LONGEST_ARCHITECTURE }],
    ['4.3-conv-matrix', { input: 8, kernel: matrix(5, 5), stride: 3, padding: 2, dilation: 2 }],
    ['4.4-transposed-conv-matrix', { input: 4, kernel: matrix(5, 5), stride: 3, padding: 2, dilation: 2, outputPadding: 2 }],
    ['3.1-largest-eigenvalue', { A: matrix(16, 16) }]
  ]
  t.equal(LONGEST_ARCHITECTURE.length, 1000)
  t.equal(LONGEST_EXPRESSION.length, 256)
  for (const [question, params] of atBounds) {
    const item = grade(question, params)
    t.strictSame(item.params, params, `${question}: ${JSON.stringify(params).slice(0, 100)}`)
  }
  // The largest matrices the bounds allow: one row per output pixel, one column per input pixel.
  const shape = (question: string, params: unknown) => {
    const expected = grade(question, params).expected as number[][]
    return [expected.length, expected[0].length]
  }
  t.strictSame(shape('4.3-conv-matrix', { input: 8, kernel: [[2]], padding: 2 }), [144, 64], 'question 4.3: (8 + 2·2)² × 8²')
  t.strictSame(shape('4.4-transposed-conv-matrix', { input: [4, 4], kernel: matrix(5, 5), stride: 3, dilation: 2, outputPadding: 2 }), [400, 16],
    'question 4.4: ((4 − 1)·3 + 2·4 + 2 + 1)² × 4²')
})

t.test('one over a bound is a 400 naming the field and the bound', async (t) => {
  const expression = (changes: Record<string, unknown>) => ({ model: { kind: 'expression', expression: 'x^2*y', variables: ['x', 'y'], ...changes }, w: [1, 2], v: [1, 0] })
  const quadratic = (changes: Record<string, unknown>) => ({ model: { kind: 'quadratic', A: [[2]], ...changes }, w: [1], v: [1] })
  const overBounds: Array<[string, unknown, string]> = [
    ['1.1-swish', { beta: 10, interval: [-5, 0, 5] }, 'params/interval must NOT have more than 2 items'],
    ['1.2-relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 0, 3], at: { x: 4, y: 1 } }, 'params/slopes must NOT have more than 2 items'],
    ['1.4-log-softmax', { x: numbers(33) }, 'params/x must NOT have more than 32 items'],
    ['2-logistic-mixture', { pi: Array<number>(11).fill(1 / 11), weights: matrix(11, 1), x: [1] }, 'params/pi must NOT have more than 10 items'],
    ['2-logistic-mixture', { pi: [0.5, 0.5], weights: matrix(11, 1), x: [1] }, 'params/weights must NOT have more than 10 items'],
    ['2-logistic-mixture', { pi: [0.5, 0.5], weights: matrix(2, 11), x: [1] }, 'params/weights/0 must NOT have more than 10 items'],
    ['2-logistic-mixture', { pi: [0.5, 0.5], weights: matrix(2, 2), x: numbers(11) }, 'params/x must NOT have more than 10 items'],
    ...['3.2-param-count', '3.2-hessian-shape'].flatMap((question): Array<[string, unknown, string]> => [
      [question, { sizes: Array<number>(13).fill(8) }, 'params/sizes must NOT have more than 12 items'],
      [question, { sizes: [32, 4097, 10] }, 'params/sizes/1 must be <= 4096, got 4097']
    ]),
    ['3.6-hvp', expression({ expression: `${LONGEST_EXPRESSION}1` }), 'params/model/expression must NOT have more than 256 characters'],
    ['3.6-hvp', expression({ variables: [...VARIABLES, 'w'] }), 'params/model/variables must NOT have more than 16 items'],
    ['3.6-hvp', expression({ variables: ['x'.repeat(33), 'y'] }), 'params/model/variables/0 must NOT have more than 32 characters'],
    ['3.6-hvp', quadratic({ A: matrix(17, 1) }), 'params/model/A must NOT have more than 16 items'],
    ['3.6-hvp', quadratic({ A: matrix(1, 17) }), 'params/model/A/0 must NOT have more than 16 items'],
    ['3.6-hvp', quadratic({ b: numbers(17) }), 'params/model/b must NOT have more than 16 items'],
    ['3.6-hvp', mlpParams(largestMlp({ sizes: [16, 16, 16, 16, 16] })), 'params/model/sizes must NOT have more than 4 items'],
    ['3.6-hvp', mlpParams(largestMlp({ sizes: [17, 16] })), 'params/model/sizes/0 must be <= 16, got 17'],
    ['3.6-hvp', mlpParams(largestMlp({ inputs: matrix(17, 16) })), 'params/model/inputs must NOT have more than 16 items'],
    ['3.6-hvp', mlpParams(largestMlp({ inputs: matrix(16, 17) })), 'params/model/inputs/0 must NOT have more than 16 items'],
    ['3.6-hvp', mlpParams(largestMlp({ targets: numbers(17, 0) })), 'params/model/targets must NOT have more than 16 items'],
    ['3.6-hvp', mlpParams(largestMlp({ loss: 'mse', targets: matrix(16, 17) })), 'params/model/targets/0 must NOT have more than 16 items'],
    ['3.6-hvp', mlpParams(largestMlp(), 817), 'params/w must NOT have more than 816 items'],
    ['3.6-hvp', { ...mlpParams(largestMlp()), v: numbers(817) }, 'params/v must NOT have more than 816 items'],
    ...['4.1-output-shape', '5.1-output-shape'].flatMap((question): Array<[string, unknown, string]> => [
      [question, { input: 257, architecture: 'Conv-3x3' }, 'params/input must be <= 256, got 257'],
      [question, { input: [32, 257], architecture: 'Conv-3x3' }, 'params/input/1 must be <= 256, got 257'],
      [question, { input: 32, architecture: `${LONGEST_ARCHITECTURE} ` }, 'params/architecture must NOT have more than 1000 characters']
    ]),
    ['5.3-receptive-field', { architecture: `${LONGEST_ARCHITECTURE} ` }, 'params/architecture must NOT have more than 1000 characters'],
    ['3.1-largest-eigenvalue', { A: matrix(17, 1) }, 'params/A must NOT have more than 16 items'],
    ['3.1-largest-eigenvalue', { A: matrix(1, 17) }, 'params/A/0 must NOT have more than 16 items'],
    ['3.1-largest-eigenvalue', { A: [] }, 'params/A must NOT have fewer than 1 items'],
    ['4.3-conv-matrix', { input: 9, kernel: [[1]] }, 'params/input must be <= 8, got 9'],
    ['4.4-transposed-conv-matrix', { input: [2, 5], kernel: [[1]] }, 'params/input/1 must be <= 4, got 5'],
    ['4.4-transposed-conv-matrix', { input: 2, kernel: [[1]], stride: 3, outputPadding: 3 }, 'params/outputPadding must be <= 2, got 3'],
    ...['4.3-conv-matrix', '4.4-transposed-conv-matrix'].flatMap((question): Array<[string, unknown, string]> => [
      [question, { input: 3, kernel: matrix(6, 1) }, 'params/kernel must NOT have more than 5 items'],
      [question, { input: 3, kernel: matrix(1, 6) }, 'params/kernel/0 must NOT have more than 5 items'],
      [question, { input: 3, kernel: [[1]], stride: 4 }, 'params/stride must be <= 3, got 4'],
      [question, { input: 3, kernel: [[1]], padding: [0, 3] }, 'params/padding/1 must be <= 2, got 3'],
      [question, { input: 3, kernel: [[1]], dilation: 3 }, 'params/dilation must be <= 2, got 3']
    ])
  ]
  for (const [question, params, message] of overBounds) {
    const error = thrown(() => grade(question, params))
    t.strictSame([error.statusCode, error.code], [400, 'FST_ERR_VALIDATION'], `${question}: ${message}`)
    t.match(error.message, `body/items/0/${message}`, question)
  }
})

t.test('the hostile item: question 4.3 on a 1000 × 1 input is refused before any computation', async (t) => {
  const error = thrown(() => grade('4.3-conv-matrix', { input: [1000, 1], kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 }))
  t.equal(error.statusCode, 400)
  t.equal(error.message, 'body/items/0/params/input/0 must be <= 8, got 1000 (body/items/0/params/input: input size [H, W] ' +
    '(variant-sized: larger inputs go to the computation\'s own route, POST /conv-matrix) — an integer n (meaning [n, n]) or [height, width], each in 1…8)')
})

t.test('every array and string in every params schema is bounded, and GET /questions shows it', async (t) => {
  const unbounded: string[] = []
  const walk = (schema: Record<string, unknown>, path: string): void => {
    if (schema.type === 'array' && schema.maxItems === undefined) unbounded.push(`${path}: no maxItems`)
    if (schema.type === 'string' && schema.const === undefined && schema.maxLength === undefined) unbounded.push(`${path}: no maxLength`)
    for (const [key, inner] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(inner, `${path}/${key}`)
    if (schema.items !== undefined) walk(schema.items as Record<string, unknown>, `${path}/items`)
    for (const branch of [...(schema.anyOf ?? []) as Array<Record<string, unknown>>, ...(schema.oneOf ?? []) as Array<Record<string, unknown>>]) walk(branch, path)
  }
  for (const question of questions) walk(question.params as unknown as Record<string, unknown>, question.id)
  t.strictSame(unbounded, [])
  for (const entry of grader.list().questions) {
    const text = JSON.stringify(entry.paramsSchema)
    // Questions 1.1 and 1.2 take a fixed number of numbers: nothing there is variant-sized.
    t.equal(text.includes('(variant-sized: larger inputs go to the computation\'s own route, POST /'), !['1.1-swish', '1.2-relu-decomposition'].includes(entry.id), entry.id)
  }
  const conv = grader.list().questions.find((entry) => entry.id === '4.3-conv-matrix')!.paramsSchema as { properties: { input: { anyOf: Array<{ maximum?: number }> } } }
  t.equal(conv.properties.input.anyOf[0].maximum, 8)
})

t.test('the assignment\'s numbers and every student\'s variant stay within the bounds', async (t) => {
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  const students = Array.from({ length: 300 }, (_, i) => `student${i}@example.edu`)
  for (const question of questions) {
    const validate = ajv.compile(question.params)
    t.ok(validate(question.defaults), `${question.id}: defaults`)
    const refused = students.filter((student) => !validate(question.variant(new VariantRandom(SECRET, question.id, student))))
    t.strictSame(refused, [], `${question.id}: ${students.length} variants`)
  }
})
