import { Type, type Static } from '@sinclair/typebox'
import {
  applyConvMatrix, checkConvMatrixLimits, ConvMatrixLayout, denseConvMatrix, latexBmatrix, latexConvMatrix,
  sparseConvMatrix, symbolicKernelEntry, symbolicOutputMap, type KernelEntry
} from '../math/conv-matrix.js'
import { ImpossibleInputError, InvalidRequestError } from '../math/errors.js'
import { toPair } from '../math/pair.js'
import { convMatrixNanoseconds } from './conv-matrix-cost.js'
import { NonFiniteCollector } from './finite.js'
import type { Limits } from './limits.js'
import { defineOperation } from './operation.js'
import { squareMatrix } from './sample-inputs.js'
import { MAX_DIMENSION, NullableNumber, PairInput, PairOutput, Warnings } from './schemas.js'

/** Largest kernel side: a 64×64 kernel already is an unusual convolution. */
export const MAX_KERNEL = 64

const ConvMatrixBody = Type.Object({
  input: PairInput(1, MAX_DIMENSION, 'input size [H, W] of the map the matrix multiplies'),
  kernel: Type.Optional(Type.Array(Type.Array(Type.Number(), { minItems: 1, maxItems: MAX_KERNEL }), {
    minItems: 1, maxItems: MAX_KERNEL, description: 'numeric kernel, kh × kw rows (rectangular)'
  })),
  kernelSize: Type.Optional(PairInput(1, MAX_KERNEL, 'symbolic kernel size: entries are named w_{i,j}')),
  stride: Type.Optional(PairInput(1, MAX_KERNEL, 'stride (default 1)')),
  padding: Type.Optional(PairInput(0, MAX_KERNEL, 'zero padding on each side (default 0)')),
  dilation: Type.Optional(PairInput(1, MAX_KERNEL, 'dilation (default 1)')),
  transposed: Type.Optional(Type.Boolean({ default: false, description: 'a transposed convolution (F.conv_transpose2d)' })),
  outputPadding: Type.Optional(PairInput(0, MAX_KERNEL, 'transposed only: extra rows/columns on one side, smaller than stride or dilation (default 0)')),
  format: Type.Optional(Type.Union([Type.Literal('dense'), Type.Literal('sparse'), Type.Literal('latex')], {
    title: 'ConvMatrixFormat', default: 'dense', description: 'dense: matrix; sparse: COO triplets in row-major order; latex: a bmatrix'
  })),
  x: Type.Optional(Type.Array(Type.Array(Type.Number(), { minItems: 1, maxItems: MAX_DIMENSION }), {
    minItems: 1, maxItems: MAX_DIMENSION, description: 'an H × W input: the response then carries y, the convolution applied to it (numeric kernel only)'
  }))
}, { additionalProperties: false })
type ConvMatrixBody = Static<typeof ConvMatrixBody>

/**
 * The layout of a body that has exactly one of kernel (rectangular) and kernelSize: the
 * operation's, and its LaTeX answer's (src/latex/answers.ts).
 */
export function convMatrixLayout (input: ConvMatrixBody): ConvMatrixLayout {
  return new ConvMatrixLayout({
    input: toPair(input.input),
    kernelSize: input.kernel !== undefined ? [input.kernel.length, input.kernel[0].length] : toPair(input.kernelSize!),
    stride: toPair(input.stride ?? 1),
    padding: toPair(input.padding ?? 0),
    dilation: toPair(input.dilation ?? 1),
    transposed: input.transposed ?? false,
    outputPadding: toPair(input.outputPadding ?? 0)
  })
}

/**
 * The matrix's layout, after the checks that need no matrix: one of kernel and kernelSize, a
 * rectangular kernel, the geometry, and the size limits (CONV_MAX_*).
 */
function checkedLayout (input: ConvMatrixBody, limits: Limits): { layout: ConvMatrixLayout, kernel: number[][] | undefined, format: 'dense' | 'sparse' | 'latex' } {
  if ((input.kernel === undefined) === (input.kernelSize === undefined)) {
    throw new InvalidRequestError('body must have exactly one of kernel (numeric) and kernelSize (symbolic)')
  }
  const kernel = input.kernel
  if (kernel !== undefined) {
    const width = kernel[0].length
    const ragged = kernel.findIndex((row) => row.length !== width)
    if (ragged >= 0) throw new ImpossibleInputError(`kernel must be rectangular: row 0 has ${width} entries, row ${ragged} has ${kernel[ragged].length}`)
  }
  const layout = convMatrixLayout(input)
  const format = input.format ?? 'dense'
  checkConvMatrixLimits(layout, format, limits, input.x !== undefined)
  return { layout, kernel, format }
}

export const convMatrixOperation = defineOperation({
  name: 'convMatrix',
  path: '/conv-matrix',
  summary: 'The matrix of a 2-D convolution or transposed convolution',
  description: 'Questions 4.3–4.4. The matrix A with vec(y) = A·vec(x), vec row-major, for PyTorch\'s F.conv2d ' +
    '(cross-correlation, no flip; output ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1) or F.conv_transpose2d ' +
    '(output (H−1)s − 2p + d(k−1) + outputPadding + 1; its matrix is exactly the transpose of the forward matrix from outputShape to input). ' +
    'Give exactly one of kernel (numeric) and kernelSize (symbolic entries "w_{i,j}"). ' +
    'Limits: CONV_MAX_DENSE_ENTRIES rows·cols for format "dense" (default 1,000,000), CONV_MAX_LATEX_ENTRIES for "latex" (default 10,000), ' +
    'CONV_MAX_SPARSE_ENTRIES non-zeros for any format (default 1,000,000); over a limit the answer is 413.',
  questions: ['4.3', '4.4'],
  body: ConvMatrixBody,
  response: Type.Object({
    outputShape: PairOutput('[Ho, Wo] of the output'),
    shape: PairOutput('[rows, cols] = [Ho·Wo, H·W] of A'),
    matrix: Type.Optional(Type.Union([Type.Array(Type.Array(Type.Number())), Type.Array(Type.Array(Type.String()))], {
      title: 'MatrixEntries',
      description: 'format "dense": rows × cols; strings "0" or "w_{i,j}" for a symbolic kernel'
    })),
    sparse: Type.Optional(Type.Object({
      row: Type.Array(Type.Integer()),
      col: Type.Array(Type.Integer()),
      value: Type.Array(Type.Union([Type.Number(), Type.String()], { title: 'Entry' }))
    }, { title: 'SparseMatrix', description: 'format "sparse": the non-zeros as COO triplets, sorted by row then column' })),
    latex: Type.Optional(Type.String({ description: 'format "latex": a bmatrix for the assignment\'s template' })),
    outputMap: Type.Optional(Type.Array(Type.Array(Type.String()), {
      description: 'question 4.3\'s output map, with a symbolic kernel (kernelSize) and no x: Ho × Wo strings, each pixel the sum of w_{i,j} x_{k,l} it sees (0-based, as the assignment), "0" where it sees only padding; ' +
        'present when the output has at most CONV_MAX_LATEX_ENTRIES pixels and A as many non-zeros'
    })),
    outputMapLatex: Type.Optional(Type.String({ description: 'outputMap as a bmatrix for the assignment\'s template' })),
    y: Type.Optional(Type.Array(Type.Array(NullableNumber), { description: 'the convolution applied to x, Ho × Wo' })),
    warnings: Type.Optional(Warnings)
  }),
  examples: [
    { summary: 'question 4.3: 3×3 kernel, stride 2, padding 1, on a 3×3 input', value: { input: 3, kernelSize: 3, stride: 2, padding: 1 } },
    { summary: 'question 4.4: 2×2 transposed convolution, stride 2, on a 2×2 input', value: { input: 2, kernelSize: 2, stride: 2, transposed: true, format: 'latex' } },
    { summary: 'a numeric kernel applied to x', value: { input: [2, 3], kernel: [[1, -1]], x: [[1, 2, 3], [4, 5, 6]] } }
  ],
  edgeCases: [
    { input: [2, 3], kernel: [[1e308, 2]], x: [[1e308, 1, 2], [3, 4, 5]], format: 'sparse' },
    { input: 4, kernelSize: [2, 3], dilation: 2, padding: 1, stride: [1, 2], transposed: true, outputPadding: 1 },
    { input: 4, kernelSize: [2, 3], dilation: 2, padding: 1, format: 'latex' }
  ],
  cost: convMatrixNanoseconds,
  costLadder: () => [
    { summary: 'question 4.3: 3 × 3 input, symbolic 3 × 3 kernel, stride 2, padding 1', value: { input: 3, kernelSize: 3, stride: 2, padding: 1 } },
    { summary: '10 × 10, numeric 3 × 3 kernel, padding 1, LaTeX', value: { input: 10, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, format: 'latex' as const } },
    { summary: '30 × 30, numeric kernel, padding 1, dense', value: { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 } },
    { summary: '30 × 30, numeric kernel, padding 1, dense, with x', value: { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, x: squareMatrix(30) } },
    { summary: '30 × 30, symbolic kernel, padding 1, dense', value: { input: 30, kernelSize: 3, padding: 1 } }
  ],
  checkLimits: (input, limits) => { checkedLayout(input, limits) },
  run (input, limits) {
    const { layout, kernel, format } = checkedLayout(input, limits)
    const finite = new NonFiniteCollector()
    const response: {
      outputShape: [number, number],
      shape: [number, number],
      matrix?: number[][] | string[][],
      sparse?: { row: number[], col: number[], value: Array<number | string> },
      latex?: string,
      outputMap?: string[][],
      outputMapLatex?: string,
      y?: Array<Array<number | null>>
    } = { outputShape: layout.outputShape, shape: layout.shape }
    const numericEntry: KernelEntry<number> | undefined = kernel && ((i, j) => kernel[i][j])
    if (format === 'dense') {
      response.matrix = numericEntry ? denseConvMatrix(layout, numericEntry, 0) : denseConvMatrix(layout, symbolicKernelEntry, '0')
    } else if (format === 'sparse') {
      response.sparse = numericEntry ? sparseConvMatrix<number | string>(layout, numericEntry) : sparseConvMatrix<number | string>(layout, symbolicKernelEntry)
    } else {
      response.latex = latexBmatrix(latexConvMatrix(layout, kernel))
    }
    // Bounded before it is built: one string per output pixel, one term per non-zero.
    if (kernel === undefined && input.x === undefined && layout.outputShape[0] * layout.outputShape[1] <= limits.convMaxLatexEntries && layout.nonZeros <= limits.convMaxLatexEntries) {
      response.outputMap = symbolicOutputMap(layout)
      response.outputMapLatex = latexBmatrix(response.outputMap)
    }
    if (input.x !== undefined) {
      if (kernel === undefined) throw new InvalidRequestError('x needs a numeric kernel: with kernelSize the entries are symbols, so y = A·x has no numeric value')
      const [height, width] = layout.geometry.input
      const badRow = input.x.findIndex((row) => row.length !== width)
      if (input.x.length !== height || badRow >= 0) {
        throw new ImpossibleInputError(`x must be H × W = ${height} × ${width} (the input size); got ${input.x.length} rows${badRow >= 0 ? `, row ${badRow} with ${input.x[badRow].length} entries` : ''}`)
      }
      response.y = applyConvMatrix(layout, kernel, input.x).map((row, i) => finite.array(row, `y[${i}]`))
    }
    return { ...response, ...finite.result() }
  }
})
