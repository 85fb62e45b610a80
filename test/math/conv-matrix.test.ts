import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import {
  applyConvMatrix, checkConvMatrixLimits, ConvMatrixLayout, convOutputShape, denseConvMatrix, latexBmatrix,
  latexNumber, sparseConvMatrix, symbolicKernelEntry, type ConvGeometry
} from '../../src/math/conv-matrix.js'
import { ImpossibleInputError, LimitExceededError } from '../../src/math/errors.js'
import type { Pair } from '../../src/math/pair.js'
import { loadFixture } from '../helpers/fixtures.js'
import { arrayCloseness } from '../helpers/numeric.js'

interface ConvCase {
  name: string
  input: Pair
  kernel: number[][]
  stride: Pair
  padding: Pair
  dilation: Pair
  transposed: boolean
  outputPadding: Pair
  x: number[][]
  expected: { outputShape: Pair, matrix: number[][], y: number[][] }
}
interface InvalidCase extends Omit<ConvCase, 'kernel' | 'x' | 'expected'> { kernelSize: Pair, torchError: string }

const fixture = loadFixture<ConvCase>('conv-matrix') as ReturnType<typeof loadFixture<ConvCase>> & { invalid: InvalidCase[] }
const geometryOf = (c: ConvCase): ConvGeometry => ({
  input: c.input,
  kernelSize: [c.kernel.length, c.kernel[0].length],
  stride: c.stride,
  padding: c.padding,
  dilation: c.dilation,
  transposed: c.transposed,
  outputPadding: c.outputPadding
})
const numeric = (kernel: number[][]) => (i: number, j: number) => kernel[i][j]
const transpose = <T>(m: T[][]): T[][] => m[0].map((_, j) => m.map((row) => row[j]))

t.test('matches PyTorch exactly (F.conv2d / F.conv_transpose2d on one-hot inputs)', async (t) => {
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  for (const c of fixture.cases) {
    const layout = new ConvMatrixLayout(geometryOf(c))
    t.strictSame(layout.outputShape, c.expected.outputShape, `${c.name}: output shape`)
    t.strictSame(denseConvMatrix(layout, numeric(c.kernel), 0), c.expected.matrix, `${c.name}: matrix`)
    const y = applyConvMatrix(layout, c.kernel, c.x)
    // Summation order differs from PyTorch's, so y agrees to rounding, not bit for bit.
    t.strictSame(y.flatMap((row, i) => arrayCloseness(row, c.expected.y[i], { rel: 1e-12, abs: 1e-12 }, `y[${i}]`)), [], `${c.name}: y`)
  }
})

t.test('shapes PyTorch rejects are 422s', async (t) => {
  t.ok(fixture.invalid.length >= 10)
  for (const c of fixture.invalid) {
    t.throws(() => convOutputShape({ ...c, kernelSize: c.kernelSize }), ImpossibleInputError, `${c.name} (torch: ${c.torchError})`)
  }
  t.throws(() => convOutputShape({ input: [3, 3], kernelSize: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], transposed: false, outputPadding: [1, 0] }),
    /outputPadding applies to transposed convolutions only/)
  t.throws(() => convOutputShape({ input: [2, 2], kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], transposed: true, outputPadding: [2, 0] }),
    /outputPadding must be smaller than stride or dilation \(PyTorch's rule\); in height outputPadding is 2, stride 2, dilation 1/)
  t.throws(() => convOutputShape({ input: [1, 1], kernelSize: [1, 1], stride: [1, 1], padding: [1, 0], dilation: [1, 1], transposed: true, outputPadding: [0, 0] }),
    /output would be empty in height/)
})

t.test('question 4.3: 3×3 kernel, stride 2, padding 1, on a 3×3 input', async (t) => {
  const layout = new ConvMatrixLayout({ input: [3, 3], kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], transposed: false, outputPadding: [0, 0] })
  t.strictSame(layout.outputShape, [2, 2])
  // Worked by hand: y_{0,0} sees x_{0..1,0..1} through w_{1..2,1..2}; y_{1,1} sees x_{1..2,1..2} through w_{0..1,0..1}.
  t.strictSame(denseConvMatrix(layout, symbolicKernelEntry, '0'), [
    ['w_{1,1}', 'w_{1,2}', '0', 'w_{2,1}', 'w_{2,2}', '0', '0', '0', '0'],
    ['0', 'w_{1,0}', 'w_{1,1}', '0', 'w_{2,0}', 'w_{2,1}', '0', '0', '0'],
    ['0', '0', '0', 'w_{0,1}', 'w_{0,2}', '0', 'w_{1,1}', 'w_{1,2}', '0'],
    ['0', '0', '0', '0', 'w_{0,0}', 'w_{0,1}', '0', 'w_{1,0}', 'w_{1,1}']
  ])
})

t.test('question 4.4: 2×2 transposed convolution, stride 2, on a 2×2 input', async (t) => {
  const layout = new ConvMatrixLayout({ input: [2, 2], kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], transposed: true, outputPadding: [0, 0] })
  t.strictSame(layout.outputShape, [4, 4])
  t.strictSame(layout.shape, [16, 4])
  // Each input pixel stamps the whole kernel on its own 2×2 block of the 4×4 output.
  const matrix = denseConvMatrix(layout, symbolicKernelEntry, '0')
  t.strictSame(matrix.slice(0, 4), [['w_{0,0}', '0', '0', '0'], ['w_{0,1}', '0', '0', '0'], ['0', 'w_{0,0}', '0', '0'], ['0', 'w_{0,1}', '0', '0']])
  t.strictSame(matrix.slice(12), [['0', '0', 'w_{1,0}', '0'], ['0', '0', 'w_{1,1}', '0'], ['0', '0', '0', 'w_{1,0}'], ['0', '0', '0', 'w_{1,1}']])
})

/** A direct convolution, written independently of the matrix code, for the property below. */
function directConvolution (g: ConvGeometry, kernel: number[][], x: number[][]): number[][] {
  const [outH, outW] = convOutputShape(g)
  const y = Array.from({ length: outH }, () => new Array<number>(outW).fill(0))
  const [s, p, d] = [g.stride, g.padding, g.dilation]
  const taps = (visit: (a: number, b: number) => void): void => {
    for (let a = 0; a < kernel.length; a++) for (let b = 0; b < kernel[0].length; b++) visit(a, b)
  }
  if (g.transposed) {
    // Scatter: input (i, j) adds w[a][b]·x[i][j] at (i·s − p + a·d, j·s − p + b·d).
    x.forEach((row, i) => row.forEach((value, j) => taps((a, b) => {
      const [oi, oj] = [i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + b * d[1]]
      if (oi >= 0 && oi < outH && oj >= 0 && oj < outW) y[oi][oj] += kernel[a][b] * value
    })))
  } else {
    // Gather: y[o] = Σ w[a][b]·x[o·s − p + a·d], zero outside the input.
    y.forEach((row, oi) => row.forEach((_, oj) => taps((a, b) => {
      const [i, j] = [oi * s[0] - p[0] + a * d[0], oj * s[1] - p[1] + b * d[1]]
      if (i >= 0 && i < g.input[0] && j >= 0 && j < g.input[1]) row[oj] += kernel[a][b] * x[i][j]
    })))
  }
  return y
}

const small = fc.integer({ min: 1, max: 3 })
const geometry = fc.record({
  input: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })),
  kernelSize: fc.tuple(small, fc.integer({ min: 1, max: 4 })),
  stride: fc.tuple(small, small),
  padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  dilation: fc.tuple(small, small),
  transposed: fc.boolean(),
  outputPadding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))
}).map((g) => ({ ...g, outputPadding: g.transposed ? g.outputPadding : [0, 0] })) as fc.Arbitrary<ConvGeometry>
const valid = (g: ConvGeometry): boolean => { try { convOutputShape(g); return true } catch { return false } }

t.test('property: the transposed matrix is exactly the transpose of the forward one', async (t) => {
  fc.assert(fc.property(geometry.filter((g) => g.transposed && valid(g)), (g) => {
    const layout = new ConvMatrixLayout(g)
    const forward = new ConvMatrixLayout({ ...g, input: layout.outputShape, transposed: false, outputPadding: [0, 0] })
    const transposed = denseConvMatrix(layout, symbolicKernelEntry, '0')
    const forwardT = transpose(denseConvMatrix(forward, symbolicKernelEntry, '0'))
    // Forward from the transposed output gives back the input's shape when outputPadding < stride;
    // when only dilation allows the outputPadding it is larger and the extra positions are dropped.
    const [h, w] = g.input
    const [fh, fw] = forward.outputShape
    return transposed.every((row, r) => row.every((entry, col) => {
      const [i, j] = [Math.floor(col / w), col % w]
      return entry === forwardT[r][i * fw + j]
    })) && fh >= h && fw >= w
  }), { numRuns: 300 })
  t.pass('checked by fast-check')
})

t.test('property: A·vec(x) equals a direct convolution', async (t) => {
  fc.assert(fc.property(geometry.filter(valid), fc.integer(), (g, seed) => {
    const random = (k: number) => Math.sin(seed + k) * 10
    const kernel = Array.from({ length: g.kernelSize[0] }, (_, a) => Array.from({ length: g.kernelSize[1] }, (_, b) => random(a * 7 + b)))
    const x = Array.from({ length: g.input[0] }, (_, i) => Array.from({ length: g.input[1] }, (_, j) => random(100 + i * 11 + j)))
    const y = applyConvMatrix(new ConvMatrixLayout(g), kernel, x)
    const expected = directConvolution(g, kernel, x)
    return y.every((row, i) => arrayCloseness(row, expected[i], { rel: 1e-12, abs: 1e-12 }, 'y').length === 0)
  }), { numRuns: 300 })
  t.pass('checked by fast-check')
})

t.test('sparse is the dense matrix\'s non-zeros in row-major order', async (t) => {
  const c = fixture.cases.find((c) => c.name === 'assignment-4.3')!
  const layout = new ConvMatrixLayout(geometryOf(c))
  const dense = denseConvMatrix(layout, numeric(c.kernel), 0)
  const coo = sparseConvMatrix(layout, numeric(c.kernel))
  const expected = dense.flatMap((row, r) => row.flatMap((v, col) => (v !== 0 ? [[r, col, v]] : [])))
  t.strictSame(coo.row.map((r, k) => [r, coo.col[k], coo.value[k]]), expected)
  t.equal(layout.nonZeros, 16)
})

t.test('LaTeX', async (t) => {
  t.equal(latexNumber(0.5), '0.5')
  t.equal(latexNumber(-1.5e-7), '-1.5 \\times 10^{-7}')
  t.equal(latexNumber(2e21), '2 \\times 10^{21}')
  t.equal(latexBmatrix([['a', '0'], ['0', 'b']]), '\\begin{bmatrix}\na & 0 \\\\\n0 & b\n\\end{bmatrix}')
})

t.test('limits are checked from the layout, before allocation', async (t) => {
  const layout = new ConvMatrixLayout({ input: [100, 100], kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], transposed: false, outputPadding: [0, 0] })
  const limits = { convMaxDenseEntries: 1000, convMaxSparseEntries: 1_000_000, convMaxLatexEntries: 100 }
  t.throws(() => checkConvMatrixLimits(layout, 'dense', limits), LimitExceededError)
  t.throws(() => checkConvMatrixLimits(layout, 'dense', limits), /10000·10000 = 100000000 entries, over the limit of 1000 \(CONV_MAX_DENSE_ENTRIES\); ask for format: "sparse" \(88804 non-zeros\)/)
  t.throws(() => checkConvMatrixLimits(layout, 'latex', limits), /CONV_MAX_LATEX_ENTRIES/)
  t.throws(() => checkConvMatrixLimits(layout, 'sparse', { ...limits, convMaxSparseEntries: 10 }), /88804 non-zeros, over the limit of 10 \(CONV_MAX_SPARSE_ENTRIES\)/)
  t.doesNotThrow(() => checkConvMatrixLimits(layout, 'sparse', limits))
})

t.test('a wide padding: only the output rows that see the input are visited, and y is bounded', async (t) => {
  // A 1×1 input padded by 30,000: 60,001² = 3.6·10⁹ rows, one non-zero (the centre).
  const layout = new ConvMatrixLayout({ input: [1, 1], kernelSize: [1, 1], stride: [1, 1], padding: [30_000, 30_000], dilation: [1, 1], transposed: false, outputPadding: [0, 0] })
  t.strictSame(layout.shape, [60_001 * 60_001, 1])
  t.strictSame(sparseConvMatrix(layout, () => 5), { row: [30_000 * 60_001 + 30_000], col: [0], value: [5] })
  const limits = { convMaxDenseEntries: 1_000_000, convMaxSparseEntries: 1_000_000, convMaxLatexEntries: 100 }
  t.doesNotThrow(() => checkConvMatrixLimits(layout, 'sparse', limits), 'the matrix, sparse')
  t.throws(() => checkConvMatrixLimits(layout, 'sparse', limits, true), /y would have 60001·60001 = 3600120001 entries, over the limit of 1000000 \(CONV_MAX_DENSE_ENTRIES\); leave out x/, 'but not y = A·x')
})

t.test('question 4.3\'s output map: symbols as the assignment writes them, and the same sums as A·x', async (t) => {
  const { symbolicOutputMap, applyConvMatrix: apply, ConvMatrixLayout: Layout } = await import('../../src/math/conv-matrix.js')
  const { convMatrixOperation } = await import('../../src/operations/conv-matrix.js')
  const { DEFAULT_LIMITS } = await import('../../src/operations/limits.js')
  const katex = (await import('katex')).default
  const answer = convMatrixOperation.run({ input: 3, kernelSize: 3, stride: 2, padding: 1 }, DEFAULT_LIMITS) as { outputMap: string[][], outputMapLatex: string }
  t.equal(answer.outputMap[0][0], 'w_{1,1} x_{0,0} + w_{1,2} x_{0,1} + w_{2,1} x_{1,0} + w_{2,2} x_{1,1}', 'the first entry, 0-based as the assignment')
  t.strictSame(answer.outputMap[1][1], 'w_{0,0} x_{1,1} + w_{0,1} x_{1,2} + w_{1,0} x_{2,1} + w_{1,1} x_{2,2}')
  t.doesNotThrow(() => katex.renderToString(answer.outputMapLatex, { strict: 'error', throwOnError: true }), 'the LaTeX renders under KaTeX in strict mode')
  const transposed = convMatrixOperation.run({ input: 2, kernelSize: 2, stride: 2, transposed: true }, DEFAULT_LIMITS) as { outputMap: string[][] }
  t.strictSame(transposed.outputMap[1], ['w_{1,0} x_{0,0}', 'w_{1,1} x_{0,0}', 'w_{1,0} x_{0,1}', 'w_{1,1} x_{0,1}'], 'question 4.4: y[2i + a][2j + b] = w_{a,b} x_{i,j}')
  const padded = symbolicOutputMap(new Layout({ input: [1, 1], kernelSize: [1, 1], stride: [1, 1], padding: [1, 1], dilation: [1, 1], transposed: false, outputPadding: [0, 0] }))
  t.strictSame(padded, [['0', '0', '0'], ['0', 'w_{0,0} x_{0,0}', '0'], ['0', '0', '0']], 'a pixel that sees only padding is 0')
  t.notOk('outputMap' in convMatrixOperation.run({ input: 2, kernel: [[1]] }, DEFAULT_LIMITS), 'a numeric kernel: no symbolic map')
  t.notOk('outputMap' in convMatrixOperation.run({ input: 200, kernelSize: 1, format: 'sparse' }, DEFAULT_LIMITS), 'over CONV_MAX_LATEX_ENTRIES pixels: no map')

  // Evaluated with numbers, every map is y = A·x, which the PyTorch fixtures check.
  const dimension = fc.record({ n: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }) })
  t.doesNotThrow(() => fc.assert(fc.property(dimension, dimension, fc.boolean(), (h, w, transposed) => {
    const geometry = { input: [h.n, w.n] as Pair, kernelSize: [h.k, w.k] as Pair, stride: [h.s, w.s] as Pair, padding: [h.p, w.p] as Pair, dilation: [h.d, w.d] as Pair, transposed, outputPadding: [0, 0] as Pair }
    let layout: InstanceType<typeof Layout>
    try { layout = new Layout(geometry) } catch { return true } // an impossible geometry
    const kernel = Array.from({ length: h.k }, (_, i) => Array.from({ length: w.k }, (_, j) => 1 + i * 7 + j))
    const x = Array.from({ length: h.n }, (_, i) => Array.from({ length: w.n }, (_, j) => 100 + i * 13 + j))
    const evaluated = symbolicOutputMap(layout).map((row) => row.map((cell) => cell === '0'
      ? 0
      : cell.split(' + ').reduce((sum, term) => {
        const [, a, b, i, j] = /^w_\{(\d+),(\d+)\} x_\{(\d+),(\d+)\}$/.exec(term)!.map(Number)
        return sum + kernel[a][b] * x[i][j]
      }, 0)))
    return isDeepStrictEqual(evaluated, apply(layout, kernel, x))
  }), { numRuns: 200 }), 'the map evaluated with numbers is A·x, on 200 geometries')
})
