/**
 * The matrix of a 2-D convolution (questions 4.3–4.4): A with vec(y) = A·vec(x), where vec
 * flattens row-major (x_{0,0}, x_{0,1}, …), as the assignment asks.
 *
 * Forward: PyTorch's `F.conv2d` (a cross-correlation: no kernel flip), per dimension
 *   y[o] = Σ_a w[a]·x[o·s − p + a·d],   out = ⌊(in + 2p − d(k−1) − 1)/s⌋ + 1.
 * Transposed: PyTorch's `F.conv_transpose2d`, the adjoint of the forward map:
 *   y[i·s − p + a·d] += w[a]·x[i],      out = (in − 1)s − 2p + d(k−1) + outputPadding + 1,
 * so its matrix is exactly the transpose of the forward convolution's matrix from the
 * transposed output's shape back to its input (Dumoulin & Visin, "A guide to convolution
 * arithmetic for deep learning", 2016, §4; shapes from the PyTorch Conv2d/ConvTranspose2d docs).
 *
 * Both dimensions are independent, so the non-zeros are the products of per-dimension
 * "taps" (which input index and kernel index feed each output index). Counting them is
 * O(out·k) per dimension, which lets the size limits be checked before anything large is
 * allocated.
 */
import { ImpossibleInputError, LimitExceededError } from './errors.js'
import { perDimension, type Pair } from './pair.js'
import { windowOutputSize } from './window.js'

export interface ConvGeometry {
  /** [H, W] of the input the matrix multiplies */
  input: Pair
  kernelSize: Pair
  stride: Pair
  padding: Pair
  dilation: Pair
  transposed: boolean
  outputPadding: Pair
}

/** One non-zero's position along one dimension: input index and kernel index. */
interface Tap { input: number, kernel: number }

const DIMENSION_NAMES = ['height', 'width'] as const

/**
 * Output shape of the convolution, with PyTorch's shape rules.
 * @throws {ImpossibleInputError} when the kernel is larger than the padded input, the output
 *   would be empty, or outputPadding is not smaller than stride or dilation.
 * @example convOutputShape({ input: [3, 3], kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], transposed: false, outputPadding: [0, 0] }) // [2, 2]
 */
export function convOutputShape (g: ConvGeometry): Pair {
  return perDimension((dim) => {
    const name = DIMENSION_NAMES[dim]
    const [n, k, s, p, d, op] = [g.input[dim], g.kernelSize[dim], g.stride[dim], g.padding[dim], g.dilation[dim], g.outputPadding[dim]]
    const effectiveKernel = d * (k - 1) + 1
    if (!g.transposed) {
      if (op !== 0) throw new ImpossibleInputError(`outputPadding applies to transposed convolutions only; got outputPadding ${op} in ${name} with transposed: false`)
      return windowOutputSize({ size: n, kernel: k, stride: s, padding: p, dilation: d }, `convolution ${name}`)
    }
    if (op >= s && op >= d) {
      throw new ImpossibleInputError(`outputPadding must be smaller than stride or dilation (PyTorch's rule); in ${name} outputPadding is ${op}, stride ${s}, dilation ${d}`)
    }
    const out = (n - 1) * s - 2 * p + effectiveKernel + op
    if (out < 1) {
      throw new ImpossibleInputError(`transposed convolution output would be empty in ${name}: (in−1)s − 2p + d(k−1) + outputPadding + 1 = (${n}−1)·${s} − 2·${p} + ${d}·(${k}−1) + ${op} + 1 = ${out}`)
    }
    return out
  })
}

/** For every output index along one dimension, the taps in increasing input index. */
function tapsAlong (g: ConvGeometry, dim: 0 | 1, outputSize: number): Tap[][] {
  const [n, k, s, p, d] = [g.input[dim], g.kernelSize[dim], g.stride[dim], g.padding[dim], g.dilation[dim]]
  const taps: Tap[][] = []
  for (let o = 0; o < outputSize; o++) {
    const row: Tap[] = []
    if (!g.transposed) {
      for (let a = 0; a < k; a++) {
        const i = o * s - p + a * d
        if (i >= 0 && i < n) row.push({ input: i, kernel: a })
      }
    } else {
      // o = i·s − p + a·d  ⇔  i = (o + p − a·d)/s; a descending gives i ascending.
      for (let a = k - 1; a >= 0; a--) {
        const numerator = o + p - a * d
        if (numerator >= 0 && numerator % s === 0 && numerator / s < n) row.push({ input: numerator / s, kernel: a })
      }
    }
    taps.push(row)
  }
  return taps
}

/** The geometry of A: its shape, the output shape and where its non-zeros are. */
export class ConvMatrixLayout {
  readonly outputShape: Pair
  /** [rows, cols] = [Ho·Wo, H·W] */
  readonly shape: Pair
  /** number of structurally non-zero entries */
  readonly nonZeros: number
  private readonly taps: [Tap[][], Tap[][]]

  constructor (readonly geometry: ConvGeometry) {
    this.outputShape = convOutputShape(geometry)
    this.shape = [this.outputShape[0] * this.outputShape[1], geometry.input[0] * geometry.input[1]]
    this.taps = [tapsAlong(geometry, 0, this.outputShape[0]), tapsAlong(geometry, 1, this.outputShape[1])]
    const count = (taps: Tap[][]): number => taps.reduce((total, row) => total + row.length, 0)
    this.nonZeros = count(this.taps[0]) * count(this.taps[1])
  }

  /**
   * Visits the non-zeros in row-major order (by row, then column): A[row][col] = w[kernelRow][kernelCol].
   */
  forEachNonZero (visit: (row: number, col: number, kernelRow: number, kernelCol: number) => void): void {
    const width = this.geometry.input[1]
    const [tapsH, tapsW] = this.taps
    // Only the output rows and columns that see the input: with a wide padding most of them
    // see padding alone, and a 1×1 input padded by 30,000 has 3.6·10⁹ rows but one non-zero.
    const seeing = (taps: Tap[][]): number[] => taps.flatMap((row, o) => row.length > 0 ? [o] : [])
    const columns = seeing(tapsW)
    for (const oi of seeing(tapsH)) {
      for (const oj of columns) {
        const row = oi * tapsW.length + oj
        for (const th of tapsH[oi]) {
          for (const tw of tapsW[oj]) visit(row, th.input * width + tw.input, th.kernel, tw.kernel)
        }
      }
    }
  }
}

/** A kernel entry by position: a number, or the symbol `w_{i,j}` of the assignment. */
export type KernelEntry<T> = (kernelRow: number, kernelCol: number) => T

export const symbolicKernelEntry: KernelEntry<string> = (i, j) => `w_{${i},${j}}`

/**
 * The dense matrix, zeros included.
 * @example denseConvMatrix(new ConvMatrixLayout({ input: [2, 2], kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], transposed: false, outputPadding: [0, 0] }), () => 7, 0) // [[7, 0, 0, 0], [0, 7, 0, 0], [0, 0, 7, 0], [0, 0, 0, 7]]
 */
/** A's cells in LaTeX: a numeric kernel's entries as latexNumber writes them, else `w_{i,j}`; `0` elsewhere. */
export function latexConvMatrix (layout: ConvMatrixLayout, kernel?: ReadonlyArray<readonly number[]>): string[][] {
  return denseConvMatrix(layout, kernel === undefined ? symbolicKernelEntry : (i, j) => latexNumber(kernel[i][j]), '0')
}

export function denseConvMatrix<T> (layout: ConvMatrixLayout, entry: KernelEntry<T>, zero: T): T[][] {
  const [rows, cols] = layout.shape
  const matrix: T[][] = Array.from({ length: rows }, () => new Array<T>(cols).fill(zero))
  layout.forEachNonZero((row, col, a, b) => { matrix[row][col] = entry(a, b) })
  return matrix
}

export interface CooMatrix<T> { row: number[], col: number[], value: T[] }

/** The non-zeros as COO triplets in row-major order (scipy.sparse.coo_matrix layout). */
export function sparseConvMatrix<T> (layout: ConvMatrixLayout, entry: KernelEntry<T>): CooMatrix<T> {
  const coo: CooMatrix<T> = { row: [], col: [], value: [] }
  layout.forEachNonZero((row, col, a, b) => {
    coo.row.push(row)
    coo.col.push(col)
    coo.value.push(entry(a, b))
  })
  return coo
}

/**
 * Question 4.3's output map with a symbolic kernel and a symbolic input: each output pixel as
 * the sum of the kernel entries times the input entries it sees, `w_{i,j} x_{k,l}` with the
 * assignment's 0-based indices, in the order of x (row-major); "0" where a pixel sees only
 * padding. The caller bounds the output pixels and non-zeros first (the map holds both).
 * @example symbolicOutputMap(new ConvMatrixLayout({ input: [3, 3], kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], transposed: false, outputPadding: [0, 0] }))[0][0] // 'w_{1,1} x_{0,0} + w_{1,2} x_{0,1} + w_{2,1} x_{1,0} + w_{2,2} x_{1,1}'
 */
export function symbolicOutputMap (layout: ConvMatrixLayout): string[][] {
  const [height, width] = layout.outputShape
  const inputWidth = layout.geometry.input[1]
  const terms: Array<Array<{ col: number, text: string }>> = Array.from({ length: height * width }, () => [])
  layout.forEachNonZero((row, col, a, b) => {
    terms[row].push({ col, text: `w_{${a},${b}} x_{${Math.floor(col / inputWidth)},${col % inputWidth}}` })
  })
  return Array.from({ length: height }, (_, i) => Array.from({ length: width }, (_, j) => {
    const pixel = terms[i * width + j]
    // A transposed convolution visits its taps in kernel order, which runs against x's.
    pixel.sort((p, q) => p.col - q.col)
    return pixel.length === 0 ? '0' : pixel.map((term) => term.text).join(' + ')
  }))
}

/** A number as LaTeX: shortest round-trip digits, exponent as ×10^{e}. */
export function latexNumber (value: number): string {
  const text = String(value)
  const exponent = text.indexOf('e')
  if (exponent < 0) return text
  return `${text.slice(0, exponent)} \\times 10^{${Number(text.slice(exponent + 1))}}`
}

/**
 * amsmath's matrix environments stop at MaxMatrixCols = 10 columns unless the preamble raises
 * it (amsmath's user guide, §4.1, "Matrices"): wider matrices are an `array` between `\left[`
 * and `\right]`, which has no such limit and looks the same.
 */
const MAX_MATRIX_COLUMNS = 10

/** A `bmatrix` to paste into the assignment's LaTeX template; an array in brackets beyond 10 columns. */
export function latexBmatrix (cells: ReadonlyArray<readonly string[]>): string {
  const body = cells.map((row) => row.join(' & ')).join(' \\\\\n')
  const columns = Math.max(...cells.map((row) => row.length))
  if (columns <= MAX_MATRIX_COLUMNS) return `\\begin{bmatrix}\n${body}\n\\end{bmatrix}`
  return `\\left[\\begin{array}{${'c'.repeat(columns)}}\n${body}\n\\end{array}\\right]`
}

/**
 * y = A·vec(x) reshaped to the output shape, i.e. the convolution applied to x.
 * @param x - H × W input, already checked against the layout's input shape
 */
export function applyConvMatrix (layout: ConvMatrixLayout, kernel: ReadonlyArray<readonly number[]>, x: ReadonlyArray<readonly number[]>): number[][] {
  const [, width] = layout.geometry.input
  const [outH, outW] = layout.outputShape
  const y = new Float64Array(outH * outW)
  layout.forEachNonZero((row, col, a, b) => {
    y[row] += kernel[a][b] * x[Math.floor(col / width)][col % width]
  })
  return Array.from({ length: outH }, (_, i) => Array.from(y.subarray(i * outW, (i + 1) * outW)))
}

export type ConvMatrixFormat = 'dense' | 'sparse' | 'latex'

export interface ConvMatrixLimits {
  /** largest rows·cols returned as a dense matrix */
  convMaxDenseEntries: number
  /** largest number of non-zeros returned as COO */
  convMaxSparseEntries: number
  /** largest rows·cols typeset as LaTeX */
  convMaxLatexEntries: number
}

/**
 * Checks the requested format (and, `withOutput`, the map y = A·x) against the limits before
 * anything is allocated.
 * @throws {LimitExceededError} naming the limit, the size and the way around it.
 */
export function checkConvMatrixLimits (layout: ConvMatrixLayout, format: ConvMatrixFormat, limits: ConvMatrixLimits, withOutput = false): void {
  const [rows, cols] = layout.shape
  const entries = rows * cols
  if (format === 'dense' && entries > limits.convMaxDenseEntries) {
    throw new LimitExceededError(`the dense matrix would have ${rows}·${cols} = ${entries} entries, over the limit of ${limits.convMaxDenseEntries} (CONV_MAX_DENSE_ENTRIES); ask for format: "sparse" (${layout.nonZeros} non-zeros)`)
  }
  if (format === 'latex' && entries > limits.convMaxLatexEntries) {
    throw new LimitExceededError(`the LaTeX matrix would have ${rows}·${cols} = ${entries} entries, over the limit of ${limits.convMaxLatexEntries} (CONV_MAX_LATEX_ENTRIES); ask for format: "sparse" (${layout.nonZeros} non-zeros)`)
  }
  if (withOutput) {
    const outputs = layout.outputShape[0] * layout.outputShape[1]
    if (outputs > limits.convMaxDenseEntries) {
      throw new LimitExceededError(`y would have ${layout.outputShape[0]}·${layout.outputShape[1]} = ${outputs} entries, over the limit of ${limits.convMaxDenseEntries} (CONV_MAX_DENSE_ENTRIES); leave out x, or use a smaller padding or input`)
    }
  }
  if (layout.nonZeros > limits.convMaxSparseEntries) {
    throw new LimitExceededError(`the matrix has ${layout.nonZeros} non-zeros, over the limit of ${limits.convMaxSparseEntries} (CONV_MAX_SPARSE_ENTRIES); use a smaller input`)
  }
}
