import t from 'tap'
import { Ajv } from 'ajv'
import { Grader } from '../../src/grading/grader.js'
import { compareAnswer } from '../../src/grading/feedback.js'
import { questions, questionsById, polynomial } from '../../src/grading/questions.js'
import { AJV_OPTIONS } from '../../src/validation.js'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import { loadFixture } from '../helpers/fixtures.js'
import { thrown } from '../helpers/errors.js'

const SECRET = Buffer.from('test-variant-secret-0123456789')
const grader = new Grader(SECRET, DEFAULT_SERVICE_LIMITS)
const sheet = loadFixture<{ name: string, params: Record<string, unknown>, answer: unknown }>('questions').cases

t.test('the bank has the issue\'s questions, with the assignment\'s own numbers as defaults', async (t) => {
  t.strictSame(questions.map((q) => q.id), ['1.1-swish', '1.2-relu-decomposition', '1.4-log-softmax', '2-logistic-mixture', '3.2-param-count',
    '3.2-hessian-shape', '3.6-hvp', '4.1-output-shape', '4.3-conv-matrix', '4.4-transposed-conv-matrix', '5.1-output-shape', '5.3-receptive-field',
    '3.1-largest-eigenvalue'])
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
  // Question 1.1's maximiser ±t*/β is inside [−5, 5]: the answer is (t* − 1)/β, t* = 1.2784645427610738.
  t.strictSame(byQuestion['1.1-swish'].expected, 0.02784645427610738)
  t.strictSame(byQuestion['1.1-swish'].comparison, { mode: 'sigfig', digits: 3 }, 'a maximum a grid search can find')
  t.strictSame(byQuestion['1.2-relu-decomposition'].expected, [2, 3, -5])
  t.strictSame(byQuestion['2-logistic-mixture'].expected, 0.5865298952888205)
})

t.test('the new questions read their answers from the operations\' results', async (t) => {
  const grade = (question: string, params: Record<string, unknown>, answer: unknown) => grader.grade({ items: [{ question, params, answer }] }, 'body').items[0]
  // Questions 1.1 and 2 are real numbers: sigfig at 3 digits accepts 0.0278 for 0.027846…, not 0.028.
  t.ok(grade('1.1-swish', { beta: 10, interval: [-5, 5] }, 0.0278).correct)
  t.match(grade('1.1-swish', { beta: 10, interval: [-5, 5] }, 0.028), { correct: false, feedback: 'incorrect: the answer, 0.028, is off (sigfig, 3 significant digits)' })
  // Outside the maximiser: the endpoint of |x| nearest t*/β = 0.128, here x = 0.5 (the operation's own example).
  t.equal(grade('1.1-swish', { beta: 10, interval: [0.5, 2] }, 0.00335).expected, 0.003346425462142428)
  t.match(grade('1.1-swish', { beta: 10, interval: [0.5, 2] }, [0.00335]), { correct: false, invalid: true, feedback: /^invalid, expected a number: the answer must be a number, got/ })
  // A zero slope drops its ReLU term from the operation's result: its coefficient is 0.
  t.strictSame(grade('1.2-relu-decomposition', { breakpoints: [0, 1], slopes: [0, 1], at: { x: 0, y: 0 } }, [0, 1, 0]).expected, [0, 1, 0])
  t.strictSame(grade('1.2-relu-decomposition', { breakpoints: [-2, 0], slopes: [-1, 0], at: { x: 0, y: 3 } }, [1, 0, 3]).expected, [1, 0, 3])
  t.strictSame(grade('1.2-relu-decomposition', { breakpoints: [0, 1], slopes: [0, 0], at: { x: 0, y: 2 } }, [0, 0, 2]).expected, [0, 0, 2])
  const swapped = grade('1.2-relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 3], at: { x: 4, y: 1 } }, [-2, 3, -5])
  t.match(swapped, { correct: false, feedback: 'incorrect: 1 of 3 entries is off, the first: entry [0], -2, is off (relabs, rtol = 0.00001, atol = 1e-8)' }, 'the sign of b: slope −b left of β')
  t.equal(grade('2-logistic-mixture', { pi: [0.25, 0.75], weights: [[2, -1], [0.5, 0.5]], x: [1, 3] }, 0.727833).expected, 0.7278331638259106)
  const unordered = thrown(() => grade('1.2-relu-decomposition', { breakpoints: [2, -1], slopes: [-2, 3], at: { x: 0, y: 0 } }, [0, 0, 0]))
  t.strictSame([unordered.statusCode, unordered.message], [422, 'body/items/0 (1.2-relu-decomposition): breakpoints must be strictly increasing: breakpoints[1] = -1 is not greater than breakpoints[0] = 2'])
  const notProbabilities = thrown(() => grade('2-logistic-mixture', { pi: [0.3, 0.6], weights: [[1], [2]], x: [1] }, 0.5))
  t.strictSame([notProbabilities.statusCode, notProbabilities.message], [422, 'body/items/0 (2-logistic-mixture): pi must sum to 1 (|Σπ − 1| ≤ 1e-9), got Σπ = 0.8999999999999999'])
})

t.test('answers that cannot be read are invalid, with feedback on the format, never an error', async (t) => {
  const matrix = [[1, 2, 3], [4, 5, 6]]
  const exact = { mode: 'exact' } as const
  const cases: Array<[unknown, number | number[] | number[][], string]> = [
    ['284,682', 284682, 'invalid, expected a number: the answer must be a number, got the string "284,682": write it with a point for decimals and no thousands separator (284682, 0.4988, 2.5e-3)'],
    [['0,4988', 1], [0.4988, 1], 'entry [0] must be a number, got the string "0,4988": write it with a point'],
    ['1/2', 0.5, 'the answer must be a number, got the string "1/2"'],
    ['1e999', 1, 'got the string "1e999"'],
    [`${'1'.repeat(101)}`, 1, 'the answer must be a number, got the string'],
    ['Infinity', 1, 'got the string "Infinity"'],
    ['', 1, 'got the string ""'],
    [Infinity, 284682, 'the answer must be a finite number, got Infinity (a number outside float64, e.g. 1e999)'],
    [null, [9, 9], 'expected a list of 2 numbers: the answer must be a list of 2, got null'],
    [[9], [9, 9], 'the answer must have 2 entries, got 1'],
    [[9, 'nine'], [9, 9], 'entry [1] must be a number, got the string "nine"'],
    [{ h: 9, w: 9 }, [9, 9], 'must be a list of 2, got an object'],
    [[[1, 2, 3], [4, 5]], matrix, 'expected a 2 × 3 matrix (a list of 2 rows of 3 numbers): entry [1] must have 3 entries, got 2'],
    [[[1, 2, 3], 4], matrix, 'entry [1] must be a list of 3, got 4'],
    [[1, 2, 3, 4, 5, 6], matrix, 'the answer must have 2 entries, got 6'],
    [[1, [2, 3, 4]], matrix, 'entry [0] must be a list of 3, got 1'],
    [undefined, 5, 'invalid, expected a number: no answer was given'],
    [[5], [5], 'correct, exact'],
    [[1], [5], 'incorrect: entry [0], 1, is off (exact)']
  ]
  for (const [answer, expected, feedback] of cases) {
    const verdict = compareAnswer(answer, expected, exact)
    t.equal(verdict.correct, feedback.startsWith('correct'), JSON.stringify(answer))
    t.equal(verdict.invalid, !feedback.startsWith('correct') && !feedback.startsWith('incorrect'), `${JSON.stringify(answer)}: invalid, not incorrect`)
    t.match(verdict.feedback, feedback, JSON.stringify(answer))
  }
  // As a student types a number: a plain decimal, signed, with an exponent, spaces around.
  for (const [typed, value] of [['284682', 284682], [' 284682 ', 284682], ['-0.4988', -0.4988], ['+.5', 0.5], ['5.', 5], ['2.5e-3', 0.0025], ['1E3', 1000]] as const) {
    t.match(compareAnswer(typed, value, exact), { correct: true, invalid: false }, `${JSON.stringify(typed)} reads as ${value}`)
  }
  t.match(compareAnswer(['1', '2.0'], [1, 2], exact), { correct: true }, 'entry by entry too')
  // A long answer that is not a number is refused in time linear in its length: each digit
  // matches one way (a pattern with \d+\.?\d* took 0.9 s on 20,000 digits and an x).
  t.match(compareAnswer(`${'9'.repeat(200_000)}x`, 1, exact), { invalid: true })
  t.match(compareAnswer('284681', 284682, exact), { correct: false, invalid: false, feedback: 'incorrect: the answer, 284681, is off (exact)' }, 'read, then compared: incorrect, not invalid')
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
    question: '3.2-param-count', correct: true, invalid: false, score: 1, maxScore: 1, expected: 20, feedback: 'correct, exact', params: { sizes: [3, 4, 2], bias: false }, comparison: { mode: 'exact' }
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
  t.match(unknown.message, /^body\/items\/1\/question: no question '3\.7-hvp'; the ids are 1\.1-swish, 1\.2-relu-decomposition, 1\.4-log-softmax, 2-logistic-mixture, .*5\.3-receptive-field, 3\.1-largest-eigenvalue \(GET \/questions\)$/)
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
  const beyond = thrown(() => grader.grade({ items: [{ question: '3.1-largest-eigenvalue', params: { A: [[1e308, 1e308], [1e308, 1e308]] }, answer: 1 }] }, 'body'))
  t.strictSame([beyond.statusCode, beyond.message], [422, 'body/items/0 (3.1-largest-eigenvalue): the answer for these params has entries outside float64 (null); choose params whose answer is finite'])
  const notSquare = thrown(() => grader.grade({ items: [{ question: '3.1-largest-eigenvalue', params: { A: [[1, 2]] }, answer: 1 }] }, 'body'))
  t.strictSame([notSquare.statusCode, notSquare.message], [422, 'body/items/0 (3.1-largest-eigenvalue): model.A must be square: it has 1 rows and row 0 has 2 entries'])

  const many = new Grader(SECRET, { ...DEFAULT_SERVICE_LIMITS, gradeMaxItems: 2 })
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

t.test('statements say every param that is given, in English and in French', async (t) => {
  const statement = (id: string, params: unknown, language: 'en' | 'fr' = 'en') => questionsById.get(id)!.statement[language](params)
  t.match(statement('1.4-log-softmax', { x: [1, 2], temperature: 2 }), 'with $x = (1, 2)$ divided by the temperature $T = 2$')
  t.match(statement('1.4-log-softmax', { x: [1, 2], temperature: 2 }, 'fr'), 'avec $x = (1, 2)$ divisé par la température $T = 2$')
  t.match(statement('3.2-param-count', { sizes: [3, 4], bias: false }), '$3 \\to 4$ (3 input features, 4 outputs), fully connected, without biases')
  t.match(statement('3.2-param-count', { sizes: [3, 4], bias: false }, 'fr'), '$3 \\to 4$ (3 caractéristiques en entrée, 4 sorties), entièrement connectées, sans biais')
  t.match(statement('3.2-hessian-shape', { sizes: [3, 4], bias: false }), '$3 \\to 4$, without biases')
  t.match(statement('3.2-hessian-shape', { sizes: [3, 4] }, 'fr'), '$3 \\to 4$, avec biais')
  t.match(statement('3.2-hessian-shape', { sizes: [3, 4], bias: false }, 'fr'), '$3 \\to 4$, sans biais')
  t.match(statement('4.3-conv-matrix', { input: 3, kernel: [[1]], padding: 1 }, 'fr'), 'de pas $1$, avec un remplissage de zéros $1$, est appliquée')
  t.match(statement('4.4-transposed-conv-matrix', { input: 2, kernel: [[1]] }, 'fr'), 'de pas $1$ et de remplissage $0$ est appliquée')
  t.match(statement('3.6-hvp', { model: { kind: 'quadratic', A: [[2]] }, w: [1], v: [1] }), 'Let $f$ be the quadratic model `{"kind":"quadratic","A":[[2]]}`')
  t.match(statement('3.6-hvp', { model: { kind: 'mlp', sizes: [1, 1], inputs: [[1]], targets: [0] }, w: [1, 1], v: [1, 1] }, 'fr'), 'Soit $f$ le modèle MLP `{"kind":"mlp"')
  t.match(statement('3.6-hvp', { model: { kind: 'quadratic', A: [[2]] }, w: [1], v: [1] }, 'fr'), 'Soit $f$ le modèle quadratique')
  t.match(statement('3.6-hvp', { model: { kind: 'mlp', sizes: [1, 1], inputs: [[1]], targets: [0] }, w: [1, 1], v: [1, 1] }), 'Let $f$ be the MLP model `{"kind":"mlp"')
  t.match(statement('4.3-conv-matrix', { input: 5, kernel: [[1]], dilation: 2 }), 'kernel $\\begin{pmatrix} 1 \\end{pmatrix}$, stride $1$, zero padding $0$ and dilation $2$ is applied to an input of size $5 \\times 5$')
  t.match(statement('4.3-conv-matrix', { input: [5, 4], kernel: [[1, 2]], stride: [1, 2], dilation: 2 }, 'fr'), 'de noyau $\\begin{pmatrix} 1 & 2 \\end{pmatrix}$, de pas $(1, 2)$, avec un remplissage de zéros $0$ et une dilatation $2$, est appliquée à une entrée de taille $5 \\times 4$')
  t.match(statement('4.4-transposed-conv-matrix', { input: [2, 3], kernel: [[1]] }), 'kernel $\\begin{pmatrix} 1 \\end{pmatrix}$, stride $1$ and padding $0$ is applied to an input of size $2 \\times 3$')
  t.match(statement('4.4-transposed-conv-matrix', { input: 2, kernel: [[1]], stride: 2, dilation: 2, outputPadding: 1 }), 'stride $2$, padding $0$, dilation $2$ and output padding $1$ is applied')
  t.match(statement('4.4-transposed-conv-matrix', { input: 2, kernel: [[1]], stride: 2, dilation: 2, outputPadding: 1 }, 'fr'), 'de pas $2$, de remplissage $0$, de dilatation $2$ et de remplissage de sortie $1$ est appliquée')
  t.match(statement('1.1-swish', { beta: 0.5, interval: [1.5, 4] }), 'For $\\beta = 0.5$, what is the largest distance between $h$ and ReLU on the interval $[1.5, 4]$, that is, $\\max_{1.5 \\le x \\le 4}')
  t.match(statement('1.1-swish', { beta: 0.5, interval: [1.5, 4] }, 'fr'), 'Pour $\\beta = 0.5$, quelle est la plus grande distance entre $h$ et ReLU sur l’intervalle $[1.5, 4]$')
  t.match(statement('1.2-relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 3], at: { x: 4, y: 1 } }),
    'slope $-2$ for $x < \\beta$, is constant for $\\beta < x < \\alpha$, and has slope $3$ for $x > \\alpha$, where $\\beta = -1$ and $\\alpha = 2$; its graph passes through $(4, 1)$')
  t.match(statement('2-logistic-mixture', { pi: [0.2, 0.3, 0.5], weights: [[1], [2], [3]], x: [-1] }),
    'In a mixture of 3 logistic regressions, $z \\sim \\mathrm{Categorical}(\\pi)$ with $\\pi = (0.2, 0.3, 0.5)$, and $y \\mid z = k, x \\sim \\mathrm{Bernoulli}(\\sigma(w_k^\\top x))$ with $w_{1} = (1)$, $w_{2} = (2)$, $w_{3} = (3)$. What is $p(y = 1 \\mid x)$ for $x = (-1)$?')
  t.match(statement('3.1-largest-eigenvalue', { A: [[2, 1], [1, 3]] }), 'Let $f(w) = \\tfrac{1}{2} w^\\top A w$ with $A = \\begin{pmatrix} 2 & 1 \\\\ 1 & 3 \\end{pmatrix}$.')
  t.match(statement('3.1-largest-eigenvalue', { A: [[2, 1], [1, 3]] }), 'only for $0 < \\eta < 2 / \\lambda_{\\max}$. Compute $\\lambda_{\\max}$, the largest eigenvalue of $H$.')
  t.match(statement('3.1-largest-eigenvalue', { A: [[2, 1], [1, 3]] }, 'fr'), 'Calculez $\\lambda_{\\max}$, la plus grande valeur propre de $H$.')
  t.match(statement('5.3-receptive-field', { architecture: 'Conv-3x3 `odd` name' }), 'For the network ``Conv-3x3 `odd` name`` (stride 1)', 'a code span longer than the backticks inside')
  t.equal(compareAnswer('x', [5], { mode: 'exact' }).feedback, 'invalid, expected a list of 1 number: the answer must be a list of 1, got the string "x"')
})

t.test('feedback in French: the same verdicts, the student\'s language', async (t) => {
  const exact = { mode: 'exact' } as const
  t.strictSame(compareAnswer('284,682', 284682, exact, 'fr'), {
    correct: false,
    invalid: true,
    feedback: 'invalide, attendu un nombre\u00a0: la réponse doit être un nombre, et non la chaîne "284,682"\u00a0: écrivez-le avec un point décimal et sans séparateur de milliers (284682, 0.4988, 2.5e-3)'
  })
  t.equal(compareAnswer([1, 0], [1, 2], exact, 'fr').feedback, 'incorrect\u00a0: 1 entrée sur 2 ne correspond pas, la voici\u00a0: l’entrée [1], 0 (comparaison exacte)')
  t.equal(compareAnswer([1, 0], [1, 2], exact).feedback, 'incorrect: 1 of 2 entries is off, the first: entry [1], 0, is off (exact)')
  t.equal(compareAnswer('284682', 284682, exact, 'fr').feedback, 'correct, comparaison exacte')
  t.equal(compareAnswer(284681, 284682, exact, 'fr').feedback, 'incorrect\u00a0: la réponse, 284681, ne correspond pas (comparaison exacte)')
  t.equal(compareAnswer([[1, 2, 3], [4, 0, 0]], [[1, 2, 3], [4, 5, 6]], { mode: 'relabs', rtol: 1e-5, atol: 1e-8 }, 'fr').feedback,
    'incorrect\u00a0: 2 entrées sur 6 ne correspondent pas, la première\u00a0: l’entrée [1][1], 0 (relabs, rtol = 0.00001, atol = 1e-8)')
  t.equal(compareAnswer([1, 2], [1, 2], { mode: 'sigfig', digits: 3 }, 'fr').feedback, 'correct (2 entrées), sigfig, 3 chiffres significatifs')
  t.equal(compareAnswer(1.5, 1.49, { mode: 'decdig', digits: 1 }, 'fr').feedback, 'correct, decdig, 1 décimale')
  t.equal(compareAnswer([1], [[1, 2]], exact, 'fr').feedback, 'invalide, attendu une matrice 1 × 2 (une liste de 1 ligne de 2 nombres)\u00a0: l’entrée [0] doit être une liste de 2, et non 1')
  t.equal(compareAnswer([1, 2], [1], exact, 'fr').feedback, 'invalide, attendu une liste de 1 nombre\u00a0: la réponse doit avoir 1 entrée, et non 2')
  t.equal(compareAnswer(undefined, 1, exact, 'fr').feedback, 'invalide, attendu un nombre\u00a0: aucune réponse n’a été donnée')
  for (const [answer, described] of [[null, 'null'], [{}, 'un objet'], [[1], 'une liste'], [true, 'true'], ['x'.repeat(50), `la chaîne "${'x'.repeat(40)}…"`]] as const) {
    t.equal(compareAnswer(answer, 1, exact, 'fr').feedback, `invalide, attendu un nombre\u00a0: la réponse doit être un nombre, et non ${described}`)
  }
  t.equal(compareAnswer(Infinity, 1, exact, 'fr').feedback, 'invalide, attendu un nombre\u00a0: la réponse doit être un nombre fini, et non Infinity (un nombre hors de float64, p. ex. 1e999)')
  t.equal(compareAnswer(undefined, 1, exact).feedback, 'invalid, expected a number: no answer was given', 'English by default')
  const grader = new Grader(Buffer.from('x'.repeat(32)), DEFAULT_SERVICE_LIMITS)
  t.match(grader.grade({ items: [{ question: '3.2-param-count', answer: '284,682' }] }, 'body', 'fr').items[0], { invalid: true, feedback: /^invalide, attendu un nombre/ })
})
