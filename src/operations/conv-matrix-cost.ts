/**
 * The cost estimate of /conv-matrix, in nanoseconds (see `Operation.cost`). It sizes the answer
 * without building it: the output shape by PyTorch's formulas and the non-zeros by counting
 * kernel taps per dimension in closed form (O(kernel) work), as ConvMatrixLayout would find them.
 */
import { toPair } from '../math/pair.js'
import { JSON_DOUBLE_NS, JSON_INTEGER_NS, JSON_SHORT_STRING_NS } from './cost.js'
import { DEFAULT_LIMITS } from './limits.js'

/** Validation, the layout object and the response. */
const REQUEST_NS = 25_000
/** Per output index and kernel tap along one dimension: ConvMatrixLayout's tap scan, one small object per tap found. */
const TAP_SCAN_NS = 15
/** Per output pixel: forEachNonZero's walk over the output rows and columns that see the input. */
const OUTPUT_PIXEL_NS = 10
/** Per cell of a dense numeric matrix: the row's allocation and fill, and its zero in the JSON. */
const DENSE_CELL_NS = JSON_INTEGER_NS + 10
/** Per cell of a dense symbolic matrix: the string "0", quoted. */
const DENSE_SYMBOLIC_CELL_NS = JSON_SHORT_STRING_NS + 5
/** Building one symbol "w_{i,j}" (a template string) and writing it. */
const SYMBOL_NS = 160 + JSON_SHORT_STRING_NS
/**
 * A numeric kernel entry in the answer: a full double. Repeated values are cheaper (V8 caches
 * the decimal of recent numbers), so this is the price of a large kernel's many distinct ones.
 */
const KERNEL_ENTRY_NS = JSON_DOUBLE_NS + 50
/** Per non-zero of the sparse format: the visit, three pushes and the row and column indices. */
const SPARSE_NON_ZERO_NS = 100 + 2 * JSON_INTEGER_NS
/** Per cell of a LaTeX matrix: joining it into the rows' text. */
const LATEX_CELL_NS = 25
/** Per term of the symbolic output map: its text "w_{i,j} x_{k,l}", the sort and the joins, twice (JSON and LaTeX). */
const OUTPUT_MAP_TERM_NS = 400
/** Per pixel of the symbolic output map: its array of terms and its two strings. */
const OUTPUT_MAP_PIXEL_NS = 60 + LATEX_CELL_NS + JSON_SHORT_STRING_NS
/** Per non-zero of y = A·x: one multiply-add through the visit callback. */
const APPLY_NON_ZERO_NS = 15

/** What `cost` reads of the request. */
export interface ConvMatrixCostInput {
  input: number | number[]
  kernel?: number[][]
  kernelSize?: number | number[]
  stride?: number | number[]
  padding?: number | number[]
  dilation?: number | number[]
  transposed?: boolean
  outputPadding?: number | number[]
  format?: 'dense' | 'sparse' | 'latex'
  x?: number[][]
}

/**
 * Output size along one dimension (src/math/conv-matrix.ts, PyTorch's rules); at least 0,
 * where run will refuse an empty output.
 */
function outputSize (n: number, k: number, s: number, p: number, d: number, transposed: boolean, outputPadding: number): number {
  const size = transposed
    ? (n - 1) * s - 2 * p + d * (k - 1) + outputPadding + 1
    : Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
  return Math.max(0, size)
}

/**
 * Non-zeros along one dimension: the pairs (j, a), 0 ≤ j < iterated and kernel index
 * 0 ≤ a < k, with 0 ≤ j·s − p + a·d < bound. A forward convolution iterates over its output
 * (bound: the input); a transposed one over its input (bound: its output), being the forward
 * map's adjoint. For each a the j form an interval, so this is O(k).
 */
function tapCount (iterated: number, bound: number, k: number, s: number, p: number, d: number): number {
  let count = 0
  for (let a = 0; a < k; a++) {
    const first = Math.max(0, Math.ceil((p - a * d) / s))
    const last = Math.min(iterated - 1, Math.floor((bound - 1 + p - a * d) / s))
    if (last >= first) count += last - first + 1
  }
  return count
}

export function convMatrixNanoseconds (input: ConvMatrixCostInput): number {
  const size = toPair(input.input)
  const kernelSize = input.kernel !== undefined ? [input.kernel.length, input.kernel[0].length] : toPair(input.kernelSize ?? 1)
  const stride = toPair(input.stride ?? 1)
  const padding = toPair(input.padding ?? 0)
  const dilation = toPair(input.dilation ?? 1)
  const outputPadding = toPair(input.outputPadding ?? 0)
  const transposed = input.transposed ?? false
  let outputPixels = 1
  let nonZeros = 1
  let tapScan = 0
  for (const dim of [0, 1]) {
    const [n, k, s, p, d] = [size[dim], kernelSize[dim], stride[dim], padding[dim], dilation[dim]]
    const out = outputSize(n, k, s, p, d, transposed, outputPadding[dim])
    outputPixels *= out
    nonZeros *= transposed ? tapCount(n, out, k, s, p, d) : tapCount(out, n, k, s, p, d)
    tapScan += out * k
  }
  const cells = outputPixels * size[0] * size[1]
  const symbolic = input.kernel === undefined
  const entry = symbolic ? SYMBOL_NS : KERNEL_ENTRY_NS
  let answer: number
  switch (input.format ?? 'dense') {
    case 'dense': answer = cells * (symbolic ? DENSE_SYMBOLIC_CELL_NS : DENSE_CELL_NS) + nonZeros * entry; break
    case 'sparse': answer = nonZeros * (SPARSE_NON_ZERO_NS + entry); break
    case 'latex': answer = cells * LATEX_CELL_NS + nonZeros * entry; break
  }
  const applied = input.x === undefined ? 0 : nonZeros * APPLY_NON_ZERO_NS + outputPixels * JSON_DOUBLE_NS
  // Built only under CONV_MAX_LATEX_ENTRIES pixels and terms: its default bounds the estimate
  // here, which does not see the limits (a raised limit makes it low by the map's share).
  const mapped = symbolic && input.x === undefined && outputPixels <= DEFAULT_LIMITS.convMaxLatexEntries && nonZeros <= DEFAULT_LIMITS.convMaxLatexEntries
    ? nonZeros * OUTPUT_MAP_TERM_NS + outputPixels * OUTPUT_MAP_PIXEL_NS
    : 0
  return REQUEST_NS + tapScan * TAP_SCAN_NS + outputPixels * OUTPUT_PIXEL_NS + answer + applied + mapped
}
