/**
 * Products of row-major Float64Array blocks in the two forms an MLP needs, so no operand is
 * transposed: C += A·Bᵀ ("NT", C[r][c] = Σ_k A[r][k]·B[c][k], the forward pass: two contiguous
 * rows in the inner loop, a 2×2 register block reusing each load twice, about 1–2 multiply-adds
 * per nanosecond in scalar JavaScript), and C += A·B or Aᵀ·B by rows (multiplyAddRows, the
 * backward pass).
 */
export interface MatrixView {
  data: Float64Array
  /** index of element [0][0] */
  offset: number
  rows: number
  /** distance between rows */
  stride: number
}

/** op(A)[r][k] = data[offset + r·rowStep + k·depthStep]: A with (stride, 1), Aᵀ with (1, stride). */
export interface StridedView {
  data: Float64Array
  offset: number
  rowStep: number
  depthStep: number
}

export function view (data: Float64Array, rows: number, columns: number, offset = 0): MatrixView {
  return { data, offset, rows, stride: columns }
}

/**
 * C += A·Bᵀ over an inner dimension of length `depth` (A: C.rows × depth, B: C's columns × depth).
 * @param columns - number of columns of C (= rows of B)
 */
export function multiplyAddTransposed (a: MatrixView, b: MatrixView, c: MatrixView, columns: number, depth: number): void {
  const A = a.data
  const B = b.data
  const C = c.data
  const rows = c.rows
  let r = 0
  for (; r + 1 < rows; r += 2) {
    const a0 = a.offset + r * a.stride
    const a1 = a0 + a.stride
    const c0 = c.offset + r * c.stride
    const c1 = c0 + c.stride
    let col = 0
    for (; col + 1 < columns; col += 2) {
      const b0 = b.offset + col * b.stride
      const b1 = b0 + b.stride
      let s00 = 0
      let s01 = 0
      let s10 = 0
      let s11 = 0
      for (let k = 0; k < depth; k++) {
        const x0 = A[a0 + k]
        const x1 = A[a1 + k]
        const y0 = B[b0 + k]
        const y1 = B[b1 + k]
        s00 += x0 * y0
        s01 += x0 * y1
        s10 += x1 * y0
        s11 += x1 * y1
      }
      C[c0 + col] += s00
      C[c0 + col + 1] += s01
      C[c1 + col] += s10
      C[c1 + col + 1] += s11
    }
    if (col < columns) {
      const b0 = b.offset + col * b.stride
      let s0 = 0
      let s1 = 0
      for (let k = 0; k < depth; k++) {
        s0 += A[a0 + k] * B[b0 + k]
        s1 += A[a1 + k] * B[b0 + k]
      }
      C[c0 + col] += s0
      C[c1 + col] += s1
    }
  }
  if (r < rows) {
    const a0 = a.offset + r * a.stride
    const c0 = c.offset + r * c.stride
    for (let col = 0; col < columns; col++) {
      const b0 = b.offset + col * b.stride
      let s = 0
      for (let k = 0; k < depth; k++) s += A[a0 + k] * B[b0 + k]
      C[c0 + col] += s
    }
  }
}

/**
 * C += op(A)·B where B is row-major (depth × columns) and op(A)[r][k] = A.data[offset + r·rowStep
 * + k·depthStep]: with (rowStep, depthStep) = (stride, 1) this is A·B ("NN"), with (1, stride)
 * Aᵀ·B ("TN"). Each C row is updated by whole rows of B, two C rows by two B rows at a time, so
 * the inner loop reads and writes contiguous memory and no operand is ever transposed: the
 * backward pass of an MLP needs g = δ·W and ∇W = δᵀ·a, and W holds 262,144 entries per layer
 * of the assignment's MLP, which a transpose would copy on every call. C must not overlap A or B.
 * Zeros of A are multiplied like any number, so an ∞ or NaN in B reaches C as in BLAS's GEMM.
 */
export function multiplyAddRows (
  a: StridedView,
  b: MatrixView,
  c: MatrixView,
  columns: number,
  depth: number
): void {
  const A = a.data
  const B = b.data
  const C = c.data
  const { rowStep, depthStep } = a
  const rows = c.rows
  let r = 0
  for (; r + 1 < rows; r += 2) {
    const a0 = a.offset + r * rowStep
    const a1 = a0 + rowStep
    const c0 = c.offset + r * c.stride
    const c1 = c0 + c.stride
    let k = 0
    for (; k + 1 < depth; k += 2) {
      const x00 = A[a0 + k * depthStep]
      const x01 = A[a0 + (k + 1) * depthStep]
      const x10 = A[a1 + k * depthStep]
      const x11 = A[a1 + (k + 1) * depthStep]
      const b0 = b.offset + k * b.stride
      const b1 = b0 + b.stride
      for (let j = 0; j < columns; j++) {
        const y0 = B[b0 + j]
        const y1 = B[b1 + j]
        C[c0 + j] += x00 * y0 + x01 * y1
        C[c1 + j] += x10 * y0 + x11 * y1
      }
    }
    if (k < depth) {
      const x0 = A[a0 + k * depthStep]
      const x1 = A[a1 + k * depthStep]
      const b0 = b.offset + k * b.stride
      for (let j = 0; j < columns; j++) {
        const y = B[b0 + j]
        C[c0 + j] += x0 * y
        C[c1 + j] += x1 * y
      }
    }
  }
  if (r < rows) {
    const a0 = a.offset + r * rowStep
    const c0 = c.offset + r * c.stride
    for (let k = 0; k < depth; k++) {
      const x = A[a0 + k * depthStep]
      const b0 = b.offset + k * b.stride
      for (let j = 0; j < columns; j++) C[c0 + j] += x * B[b0 + j]
    }
  }
}
