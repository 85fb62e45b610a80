import t from 'tap'
import { operations } from '../../src/operations/index.js'
import { build, post } from '../helpers/app.js'

t.test('every documented example answers 200', async (t) => {
  const app = await build(t)
  for (const operation of operations) {
    for (const example of operation.examples) {
      const response = await post(app, operation.path, example.value)
      t.equal(response.statusCode, 200, `${operation.path}: ${example.summary}`)
    }
  }
})

t.test('/softmax-stable', async (t) => {
  const app = await build(t, { limits: { softmaxMaxEntries: 6 } })
  t.strictSame((await post(app, '/softmax-stable', { x: [0, -40] })).json(), {
    softmax: [1, 4.248354255291589e-18],
    logSoftmax: [-4.248354255291589e-18, -40],
    logSumExp: 4.248354255291589e-18,
    max: 0,
    argmax: 0
  })
  const batch = (await post(app, '/softmax-stable', { x: [[1, 2], [5]], temperature: 2 })).json()
  t.strictSame(batch.logSumExp.length, 2, 'a matrix is a batch of rows')
  t.strictSame(batch.softmax[1], [1])
  t.strictSame(batch.argmax, [1, 0])
  const naive = (await post(app, '/softmax-stable', { x: [[1000, 1001], [-1000, -1001]], naive: true })).json()
  t.strictSame(naive.naive.overflow, [true, false])
  t.strictSame(naive.naive.underflow, [false, true])
  t.strictSame(naive.naive.softmax[0], [null, null], 'NaN is sent as null')
  t.equal(naive.naive.logSumExp[1], null, '−∞ is sent as null')
  t.equal(naive.warnings, undefined, 'the naive formula\'s failures are its point, not warnings')
  const hot = await post(app, '/softmax-stable', { x: [1e308, 0], temperature: 1e-3 })
  t.equal(hot.statusCode, 200)
  t.strictSame(hot.json(), {
    softmax: [1, 0],
    logSoftmax: [0, null],
    logSumExp: null,
    max: null,
    argmax: 0,
    warnings: [
      'logSoftmax: 1 entry is not finite in float64 (e.g. −∞ (overflow, or log of an underflowed 0)) and was sent as null',
      'logSumExp is +∞ (overflow) in float64 and was sent as null',
      'max is +∞ (overflow) in float64 and was sent as null'
    ]
  }, 'x/T = 1e311 is outside float64: only the shift-invariant softmax survives')
  const spread = (await post(app, '/softmax-stable', { x: [[1e308, -1e308, -1e308]] })).json()
  t.strictSame(spread.logSoftmax, [[0, null, null]])
  t.strictSame(spread.warnings, ['logSoftmax[0]: 2 entries are not finite in float64 (e.g. −∞ (overflow, or log of an underflowed 0)) and were sent as null'])
  const over = await post(app, '/softmax-stable', { x: [[1, 2, 3, 4], [5, 6, 7]] })
  t.equal(over.statusCode, 413)
  t.match(over.json(), { code: 'DLCHECK_LIMIT', message: 'x has 7 entries, over the limit of 6 (SOFTMAX_MAX_ENTRIES); split it into several requests' })
})

t.test('/conv-matrix', async (t) => {
  const app = await build(t, { limits: { convMaxDenseEntries: 100, convMaxLatexEntries: 50 } })
  const numeric = (await post(app, '/conv-matrix', { input: [2, 3], kernel: [[1, -1]], x: [[1, 2, 4], [8, 16, 32]] })).json()
  t.strictSame(numeric, { outputShape: [2, 2], shape: [4, 6], matrix: [[1, -1, 0, 0, 0, 0], [0, 1, -1, 0, 0, 0], [0, 0, 0, 1, -1, 0], [0, 0, 0, 0, 1, -1]], y: [[-1, -2], [-8, -16]] })
  const sparse = (await post(app, '/conv-matrix', { input: 2, kernelSize: 2, stride: 2, transposed: true, format: 'sparse' })).json()
  t.strictSame(sparse.shape, [16, 4])
  t.strictSame(sparse.sparse.value.slice(0, 3), ['w_{0,0}', 'w_{0,1}', 'w_{0,0}'])
  t.strictSame(sparse.sparse.row.slice(0, 3), [0, 1, 2])
  const numericSparse = (await post(app, '/conv-matrix', { input: [1, 3], kernel: [[2, 3]], format: 'sparse' })).json()
  t.strictSame(numericSparse.sparse, { row: [0, 0, 1, 1], col: [0, 1, 1, 2], value: [2, 3, 2, 3] })
  const latex = (await post(app, '/conv-matrix', { input: [1, 2], kernel: [[0.5, 1e-7]], format: 'latex' })).json()
  t.equal(latex.latex, '\\begin{bmatrix}\n0.5 & 1 \\times 10^{-7}\n\\end{bmatrix}')
  const overflow = (await post(app, '/conv-matrix', { input: [1, 2], kernel: [[1e308, 1e308]], x: [[1e308, 1]] })).json()
  t.strictSame(overflow.y, [[null]])
  t.match(overflow.warnings, [/^y\[0\]: 1 entry is not finite/])
  const cases: Array<[unknown, number, RegExp]> = [
    [{ input: 3 }, 400, /exactly one of kernel \(numeric\) and kernelSize \(symbolic\)/],
    [{ input: 3, kernel: [[1]], kernelSize: 1 }, 400, /exactly one of kernel/],
    [{ input: 3, kernelSize: 2, x: [[1, 2, 3]] }, 400, /x needs a numeric kernel/],
    [{ input: 3, kernel: [[1, 2], [3]] }, 422, /kernel must be rectangular: row 0 has 2 entries, row 1 has 1/],
    [{ input: [2, 2], kernel: [[1]], x: [[1, 2], [3]] }, 422, /x must be H × W = 2 × 2 \(the input size\); got 2 rows, row 1 with 1 entries/],
    [{ input: [2, 2], kernel: [[1]], x: [[1, 2]] }, 422, /x must be H × W = 2 × 2 \(the input size\); got 1 rows$/],
    [{ input: 2, kernelSize: 3 }, 422, /kernel larger than the padded input/],
    [{ input: 2, kernelSize: 2, stride: 2, transposed: true, outputPadding: 2 }, 422, /outputPadding must be smaller than stride or dilation/],
    [{ input: 11, kernelSize: 3 }, 413, /the dense matrix would have 81·121 = 9801 entries, over the limit of 100 \(CONV_MAX_DENSE_ENTRIES\); ask for format: "sparse"/],
    [{ input: 11, kernelSize: 3, format: 'latex' }, 413, /CONV_MAX_LATEX_ENTRIES/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/conv-matrix', body)
    t.equal(response.statusCode, status, JSON.stringify(body))
    t.match(response.json().message, message, JSON.stringify(body))
  }
  t.equal((await post(app, '/conv-matrix', { input: 11, kernelSize: 3, format: 'sparse' })).statusCode, 200, 'sparse is the way around')
})

t.test('/receptive-field', async (t) => {
  const app = await build(t, { limits: { maxLayers: 3 } })
  const q53 = (await post(app, '/receptive-field', { input: 32, layers: [{ type: 'conv', kernel: 3, padding: 1, stride: 1 }, { type: 'conv', kernel: 3, padding: 1 }, { type: 'relu' }], pixel: [31, 0] })).json()
  t.match(q53, { receptiveField: [5, 5], jump: [1, 1], start: [0, 0], outputShape: [32, 32], sameAsInput: true, region: { top: 29, left: -2, bottom: 33, right: 2, clipped: { top: 29, left: 0, bottom: 31, right: 2 } } })
  t.equal(q53.layers[0].name, 'layers[0] (conv)')
  const cases: Array<[unknown, number, RegExp]> = [
    [{ architecture: 'Conv-3x3 → Rleu' }, 400, /architecture: syntax error at position 12 near 'Rleu'/],
    [{ input: 8 }, 400, /exactly one of layers and architecture/],
    [{ layers: [{ type: 'relu' }], architecture: 'ReLU' }, 400, /exactly one of layers and architecture/],
    [{ architecture: 'ReLU → ReLU → ReLU → ReLU' }, 413, /the network has 4 layers, over the limit of 3 \(MAX_LAYERS\)/],
    [{ input: 8, architecture: 'Conv-3x3', pixel: [6, 0] }, 422, /pixel \[6, 0\] is outside the output of shape \[6, 6\]/],
    [{ layers: [{ type: 'maxpool' }] }, 422, /layers\[0\] \(maxpool\): a maxpool layer needs a kernel size/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/receptive-field', body)
    t.equal(response.statusCode, status, JSON.stringify(body))
    t.match(response.json().message, message, JSON.stringify(body))
  }
})

t.test('/param-count', async (t) => {
  const app = await build(t, { limits: { maxLayers: 3 } })
  const q32 = (await post(app, '/param-count', { sizes: [32, 512, 512, 10] })).json()
  t.equal(q32.total, 284682)
  t.strictSame(q32.hessian.shape, [284682, 284682])
  t.equal(q32.hessian.entriesExact, '81043841124')
  const cnn = (await post(app, '/param-count', { architecture: 'Conv-3x3(out=2) → BatchNorm → FC-3', input: [1, 4, 4] })).json()
  t.strictSame(cnn.layers.map((layer: { params: number }) => layer.params), [20, 4, 27])
  const cases: Array<[unknown, number, RegExp]> = [
    [{ sizes: [1, 2], architecture: 'FC-2' }, 400, /exactly one of sizes and architecture/],
    [{ sizes: [1, 2], input: [1, 1, 1] }, 400, /input goes with architecture/],
    [{ architecture: 'FC-2', input: [1, 1, 1], bias: false }, 400, /bias goes with sizes/],
    [{ architecture: 'FC-2 → ' }, 400, /syntax error at position 8 near 'end of input'/],
    [{ architecture: 'Conv-3x3(out=2)' }, 422, /needs input: \[C, H, W\]/],
    [{ architecture: 'Conv-3x3', input: [1, 8, 8] }, 422, /needs the output channels/],
    [{ sizes: [1, 2, 3, 4, 5] }, 413, /the network has 4 layers, over the limit of 3 \(MAX_LAYERS\)/],
    [{ architecture: 'ReLU → ReLU → ReLU → ReLU', input: [1, 1, 1] }, 413, /MAX_LAYERS/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/param-count', body)
    t.equal(response.statusCode, status, JSON.stringify(body))
    t.match(response.json().message, message, JSON.stringify(body))
  }
})

t.test('/relu-decomposition: question 1.2 in symbols, and what symbols cannot do', async (t) => {
  const app = await build(t)
  const question = await post(app, '/relu-decomposition', { breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 'beta', y: 'c' } })
  t.equal(question.statusCode, 200)
  t.strictSame(question.json(), {
    terms: [{ coefficient: 'b', shift: 'β', reflected: true }, { coefficient: 'a', shift: 'α', reflected: false }],
    constant: 'c',
    formula: 'b·ReLU(β − x) + a·ReLU(x − α) + c',
    latex: 'h(x) = b \\cdot \\mathrm{ReLU}(\\beta - x) + a \\cdot \\mathrm{ReLU}(x - \\alpha) + c \\qquad \\text{assuming } \\beta < \\alpha',
    assumptions: ['β < α']
  })
  const graphql = await post(app, '/graphql', {
    query: 'query ($input: ReluDecompositionInput!) { reluDecomposition(input: $input) { terms { coefficient shift reflected } constant formula latex assumptions } }',
    variables: { input: { breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 'beta', y: 'c' } } }
  })
  t.strictSame(graphql.json().data.reluDecomposition, question.json(), 'GraphQL answers the same through its NumberOrSymbol and NumberOrLinearForm scalars')
  const numeric = (await post(app, '/relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 0, 3] })).json()
  t.equal(numeric.formula, '2·ReLU(-1 − x) + 3·ReLU(x − 2)', 'no + 0')
  t.notOk('assumptions' in numeric, 'numbers only: no assumptions')
  const cases: Array<[unknown, number, RegExp]> = [
    [{ breakpoints: ['beta', 'Alpha'], slopes: [0, 1, 2] }, 400, /^body\/breakpoints\/1 must match pattern "\^\[-\+\]\?\(\?:alpha\|.*", got the string "Alpha" \(body\/breakpoints\/1: a number, or a symbol: .*\)$/],
    [{ breakpoints: [0], slopes: [0, 'x'] }, 400, /^body\/slopes\/1 must match pattern .*, got the string "x" \(body\/slopes\/1: a number, or a symbol/],
    [{ breakpoints: [0], slopes: [0, 1], at: { x: 0, y: '2' } }, 400, /^body\/at\/y must match pattern .*, got the string "2"/],
    [{ breakpoints: [0], slopes: [0, 1], x: ['a'] }, 400, /^body\/x\/0 must be a finite number, got the string "a"$/],
    [{ breakpoints: ['beta', 'beta'], slopes: [0, 1, 2] }, 422, /^breakpoints must be strictly increasing: breakpoints\[0\] and breakpoints\[1\] are both β$/],
    [{ breakpoints: [2, 'alpha', 1], slopes: [0, 1, 2, 3] }, 422, /^breakpoints must be strictly increasing: breakpoints\[2\] = 1 is not greater than breakpoints\[0\] = 2$/],
    [{ breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 0, y: 'c' } }, 422, /^at\.x must be the first breakpoint, β, when a breakpoint or at\.x is a symbol/],
    [{ breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], x: [0] }, 422, /^x: evaluating f needs numbers, and this f is in symbols/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/relu-decomposition', body)
    t.equal(response.statusCode, status, JSON.stringify(body))
    t.match(response.json().message, message, JSON.stringify(body))
  }
})

t.test('evaluation work is bounded (EVALUATION_MAX_WORK): the fuzz test found minutes of work in 200 KB', async (t) => {
  const app = await build(t, { limits: { evaluationMaxWork: 1000 } })
  const relu = await post(app, '/relu-decomposition', { breakpoints: Array.from({ length: 99 }, (_, i) => i), slopes: Array.from({ length: 100 }, (_, i) => i % 2), x: Array.from({ length: 10 }, (_, i) => i) })
  t.match(relu.json(), { statusCode: 413, message: '(breakpoints + 1) × (1 + x points) = 1100 term evaluations, over the limit of 1000 (EVALUATION_MAX_WORK); send fewer points or breakpoints' })
  t.equal((await post(app, '/relu-decomposition', { breakpoints: Array.from({ length: 99 }, (_, i) => i), slopes: Array.from({ length: 100 }, (_, i) => i % 2), x: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).statusCode, 200, '1000: at the limit')
  const mixture = await post(app, '/logistic-mixture', { pi: Array.from({ length: 10 }, () => 0.1), weights: Array.from({ length: 10 }, () => [1, 2]), x: Array.from({ length: 51 }, () => [1, 1]) })
  t.match(mixture.json(), { statusCode: 413, message: 'K·d·N = 1020 products, over the limit of 1000 (EVALUATION_MAX_WORK); send fewer inputs or components' })
  t.equal((await post(app, '/logistic-mixture', { pi: Array.from({ length: 10 }, () => 0.1), weights: Array.from({ length: 10 }, () => [1, 2]), x: Array.from({ length: 50 }, () => [1, 1]) })).statusCode, 200, '1000: at the limit')
})

t.test('questions 4.2 and 5.2 need no input size: the 422 for an FC layer without one still answers them', async (t) => {
  const app = await build(t)
  const mlp = await post(app, '/receptive-field', { architecture: 'FC-128 → FC-10' })
  t.equal(mlp.statusCode, 422)
  t.match(mlp.json().message, /give input: \[H, W\]\. Variable-size inputs, which need no input size: not accepted, FC-128 comes first/)
  const pooled = await post(app, '/receptive-field', { architecture: 'Conv-5x5 → Global Avg. Pool → FC-1' })
  t.match(pooled.json().message, /Variable-size inputs, which need no input size: accepted, Global Avg\. Pool turns any C × H × W map into C features/)
  const small = await post(app, '/receptive-field', { architecture: 'Conv-3x3', input: 2 })
  t.notMatch(small.json().message, 'Variable-size', 'with an input size, a 422 is about that size only')
})
