/**
 * C (+)= A·Bᵀ for row-major Float64Array blocks: C[r][c] = Σ_k A[r][k]·B[c][k]. Every MLP
 * product is written in this "NT" form (transposing the small operand first), so the inner
 * loop reads two contiguous rows; a 2×2 register block reuses each load twice, which is
 * what makes scalar JavaScript reach about 1–2 multiply-adds per nanosecond.
 */
export interface MatrixView {
  data: Float64Array
  /** index of element [0][0] */
  offset: number
  rows: number
  /** distance between rows */
  stride: number
}

export function view (data: Float64Array, rows: number, columns: number, offset = 0): MatrixView {
  return { data, offset, rows, stride: columns }
}

/** The transpose of a rows × columns block, as a new contiguous matrix. */
export function transpose (m: MatrixView, columns: number): MatrixView {
  const out = new Float64Array(m.rows * columns)
  for (let r = 0; r < m.rows; r++) {
    const row = m.offset + r * m.stride
    for (let c = 0; c < columns; c++) out[c * m.rows + r] = m.data[row + c]
  }
  return view(out, columns, m.rows)
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
