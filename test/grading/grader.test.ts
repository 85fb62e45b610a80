import t from 'tap'
import { Ajv } from 'ajv'
import { compareAnswer, Grader } from '../../src/grading/grader.js'
import { questions, questionsById, polynomial } from '../../src/grading/questions.js'
import { AJV_OPTIONS } from '../../src/http/validation.js'
import { ComputationError } from '../../src/math/errors.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { loadFixture } from '../helpers/fixtures.js'

const SECRET = Buffer.from('test-variant-secret-0123456789')
const grader = new Grader(SECRET, DEFAULT_LIMITS)
const sheet = loadFixture<{ name: string, params: Record<string, unknown>, answer: unknown }>('questions').cases

/** The error a call throws, for asserting its status and message. */
function thrown (fn: () => unknown): ComputationError {
  try {
    fn()
  } catch (error) {
    return error as ComputationError
  }
  throw new Error('expected an error')
}

t.test('the bank has the issue\'s questions, with the assignment\'s own numbers as defaults', async (t) => {
  t.strictSame(questions.map((q) => q.id), ['1.4-log-softmax', '3.2-param-count', '3.2-hessian-shape', '3.6-hvp', '4.1-output-shape',
    '4.3-conv-matrix', '4.4-transposed-conv-matrix', '5.1-output-shape', '5.3-receptive-field'])
  t.strictSame(sheet.map((c) => c.name), questions.map((q) => q.id), 'questions.json (PyTorch) covers every question')
  for (const c of sheet) t.strictSame(questionsById.get(c.name)!.defaults, c.params, `${c.name}: the defaults PyTorch answered`)
  const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
  for (const question of questions) t.ok(ajv.validate(question.params, question.defaults), `${question.id}: defaults fit the params schema`)
})

t.test('a correct answer sheet (PyTorch\'s answers) for the assignment\'s numbers gets full marks', async (t) => {
  const result = grader.grade({ items: sheet.map((c) => ({ question: c.name, answer: c.answer })) }, 'body')
  t.equal(result.score, questions.length)
  t.equal(result.maxScore, questions.length)
  for (const item of result.items) t.ok(item.correct, `${item.question}: ${item.feedback}`)
  t.notOk('student' in result)
  const byQuestion = Object.fromEntries(result.items.map((item) => [item.question, item]))
  t.strictSame(byQuestion['3.2-param-count'].expected, 284682)
  t.strictSame(byQuestion['5.3-receptive-field'].expected, [9, 9])
  t.strictSame(byQuestion['3.2-param-count'].comparison, { mode: 'exact' }, 'integers are exact by default')
  t.strictSame(byQuestion['1.4-log-softmax'].comparison, { mode: 'relabs', rtol: 1e-5, atol: 1e-8 })
})

t.test('wrong shapes and non-numbers are graded incorrect with feedback, never an error', async (t) => {
  const matrix = [[1, 2, 3], [4, 5, 6]]
  const exact = { mode: 'exact' } as const
  const cases: Array<[unknown, number | number[] | number[][], string]> = [
    ['284682', 284682, 'expected a number: the answer must be a number, got the string "284682"'],
    [Infinity, 284682, 'the answer must be a finite number, got Infinity (a number outside float64, e.g. 1e999)'],
    [null, [9, 9], 'expected a list of 2 numbers: the answer must be a list of 2, got null'],
    [[9], [9, 9], 'the answer must have 2 entries, got 1'],
    [[9, 'nine'], [9, 9], 'entry [1] must be a number, got the string "nine"'],
    [{ h: 9, w: 9 }, [9, 9], 'must be a list of 2, got an object'],
    [[[1, 2, 3], [4, 5]], matrix, 'expected a 2 × 3 matrix (a list of 2 rows of 3 numbers): entry [1] must have 3 entries, got 2'],
    [[[1, 2, 3], 4], matrix, 'entry [1] must be a list of 3, got 4'],
    [[1, 2, 3, 4, 5, 6], matrix, 'the answer must have 2 entries, got 6'],
    [[1, [2, 3, 4]], matrix, 'entry [0] must be a list of 3, got 1'],
    [[5], [5], 'correct, exact'],
    [[1], [5], 'incorrect: entry [0], 1, is off (exact)']
  ]
  for (const [answer, expected, feedback] of cases) {
    const verdict = compareAnswer(answer, expected, exact)
    t.equal(verdict.correct, feedback.startsWith('correct'), JSON.stringify(answer))
    t.match(verdict.feedback, feedback, JSON.stringify(answer))
  }
  const scalar = compareAnswer(284000, 284682, exact)
  t.equal(scalar.feedback, 'incorrect: the answer, 284000, is off (exact)', 'a scalar has no entry count')
  const several = compareAnswer([[1, 2, 3], [4, 0, 0]], matrix, { mode: 'relabs', rtol: 1e-5, atol: 1e-8 })
  t.equal(several.feedback, 'incorrect: 2 of 6 entries are off, the first: entry [1][1], 0, is off (relabs, rtol = 0.00001, atol = 1e-8)')
  t.notMatch(several.feedback, /5/, 'the expected value is not in the feedback: students may see it')
  t.equal(compareAnswer([1, 2], [1, 2], { mode: 'sigfig', digits: 1 }).feedback, 'correct (2 entries), sigfig, 1 significant digit')
  t.equal(compareAnswer(1.5, 1.49, { mode: 'decdig', digits: 1 }).feedback, 'correct, decdig, 1 decimal digit')
})

t.test('params: given, the student\'s variant, or the defaults', async (t) => {
  const withParams = grader.grade({ items: [{ question: '3.2-param-count', params: { sizes: [3, 4, 2], bias: false }, answer: 20 }] }, 'body')
  t.strictSame(withParams.items[0], {
    question: '3.2-param-count', correct: true, score: 1, maxScore: 1, expected: 20, feedback: 'correct, exact', params: { sizes: [3, 4, 2], bias: false }, comparison: { mode: 'exact' }
  })
  const variant = grader.variant('5.3-receptive-field', 'ada@example.edu')
  const graded = grader.grade({ student: 'ada@example.edu', items: [{ question: '5.3-receptive-field', answer: [0, 0], weight: 2.5 }] }, 'body')
  t.equal(graded.student, 'ada@example.edu')
  t.strictSame(graded.items[0].params, variant.params, 'no params and a student: that student\'s variant')
  t.strictSame({ score: graded.score, maxScore: graded.maxScore }, { score: 0, maxScore: 2.5 })
  t.match(variant.statement, variant.params.architecture as string)
})

t.test('grader mistakes are 4xx naming the item', async (t) => {
  const unknown = thrown(() => grader.grade({ items: [{ question: '3.2-param-count', answer: 1 }, { question: '3.7-hvp', answer: 1 }] }, 'body'))
  t.equal(unknown.statusCode, 404)
  t.match(unknown.message, /^body\/items\/1\/question: no question '3\.7-hvp'; the ids are 1\.4-log-softmax, .*5\.3-receptive-field \(GET \/questions\)$/)
  t.equal(thrown(() => grader.variant('nope', 'ada')).message.startsWith('id: no question \'nope\''), true)

  const badParams = thrown(() => grader.grade({ items: [{ question: '3.2-param-count', params: { sizes: [32, -1] }, answer: 1 }] }, 'input'))
  t.strictSame([badParams.statusCode, badParams.code, badParams.message], [400, 'FST_ERR_VALIDATION', 'input/items/0/params/sizes/1 must be >= 1, got -1'])
  const unknownParam = thrown(() => grader.grade({ items: [{ question: '4.3-conv-matrix', params: { input: 3, kernel: [[1]], kernelSize: 3 }, answer: 1 }] }, 'body'))
  t.match(unknownParam.message, 'body/items/0/params has an unknown property \'kernelSize\'')

  const impossible = thrown(() => grader.grade({ items: [{ question: '4.3-conv-matrix', params: { input: 2, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] }, answer: 1 }] }, 'body'))
  t.equal(impossible.statusCode, 422)
  t.match(impossible.message, /^body\/items\/0 \(4\.3-conv-matrix\): /)
  const notFinite = thrown(() => grader.grade({ items: [{ question: '1.4-log-softmax', params: { x: [1e308, -1e308] }, answer: [0, 0] }] }, 'body'))
  t.equal(notFinite.statusCode, 422)
  t.match(notFinite.message, 'body/items/0 (1.4-log-softmax): the answer for these params has entries outside float64 ([0,null]); choose params whose answer is finite')

  const many = new Grader(SECRET, { ...DEFAULT_LIMITS, gradeMaxItems: 2 })
  const tooMany = thrown(() => many.grade({ items: [1, 2, 3].map(() => ({ question: '3.2-param-count', answer: 1 })) }, 'body'))
  t.strictSame([tooMany.statusCode, tooMany.message], [413, 'body/items has 3 entries, over the limit of 2 (GRADE_MAX_ITEMS); send them in several requests'])
})

t.test('an internal failure is not dressed up as the grader\'s mistake', async (t) => {
  const question = questionsById.get('3.2-param-count')!
  const original = question.expected
  question.expected = () => { throw new TypeError('a bug') }
  t.teardown(() => { question.expected = original })
  t.throws(() => grader.grade({ items: [{ question: '3.2-param-count', answer: 1 }] }, 'body'), TypeError)
})

t.test('polynomial writes integer coefficients as a person would', async (t) => {
  t.equal(polynomial([[1, 'x^2*y'], [-1, 'sin(y)*z'], [3, 'x*z^2']]), 'x^2*y - sin(y)*z + 3*x*z^2')
  t.equal(polynomial([[-4, 'x'], [2, 'y']]), '-4*x + 2*y')
  t.equal(polynomial([[-1, 'x']]), '-x')
})

t.test('statements say every param that is given', async (t) => {
  const statement = (id: string, params: unknown) => questionsById.get(id)!.statement(params)
  t.match(statement('1.4-log-softmax', { x: [1, 2], temperature: 2 }), 'with x = [1,2] divided by the temperature T = 2')
  t.match(statement('3.2-param-count', { sizes: [3, 4], bias: false }), '3 → 4 (input 3 features, output 4), fully connected, without biases')
  t.match(statement('3.2-hessian-shape', { sizes: [3, 4], bias: false }), '3 → 4, without biases')
  t.match(statement('3.6-hvp', { model: { kind: 'quadratic', A: [[2]] }, w: [1], v: [1] }), 'Let f be the quadratic model {"kind":"quadratic","A":[[2]]}')
  t.match(statement('4.3-conv-matrix', { input: 5, kernel: [[1]], dilation: 2 }), 'kernel [[1]], stride 1, zero padding 0 and dilation 2 is applied to an input of size 5 × 5')
  t.match(statement('4.4-transposed-conv-matrix', { input: [2, 3], kernel: [[1]] }), 'kernel [[1]], stride 1 and padding 0 is applied to an input of size 2 × 3')
  t.equal(compareAnswer('x', [5], { mode: 'exact' }).feedback, 'expected a list of 1 number: the answer must be a list of 1, got the string "x"')
})
