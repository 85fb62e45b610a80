/**
 * The matrix products of every backend against a naive triple loop: every shape around the
 * wasm kernels' tiles (4 rows, 4 columns, odd depths), operands at offsets and with strides
 * wider than their rows, and ∞ in an operand (it reaches C as in BLAS's GEMM, whatever the
 * zeros beside it).
 */
import t, { type Test } from 'tap'
import { javascriptBackend, wasmBackend, type MatrixBackend } from '../../src/math/backend.js'
import { view } from '../../src/math/gemm.js'

const backends: MatrixBackend[] = [javascriptBackend, wasmBackend()]
const filled = (length: number, seed: number) => Float64Array.from({ length }, (_, i) => Math.sin(seed + 1.7 * i))

/** Operands laid out in one workspace: A at 3, B and C after it, each row `pad` entries wider than needed. */
function check (t: Test, backend: MatrixBackend, rows: number, depth: number, columns: number, pad: number): void {
  const A = filled(rows * depth, 1)
  const B = filled(depth * columns, 2)
  const expected = Array.from({ length: rows * columns }, (_, index) => {
    const [r, c] = [Math.floor(index / columns), index % columns]
    let sum = 0.5
    for (let k = 0; k < depth; k++) sum += A[r * depth + k] * B[k * columns + c]
    return sum
  })
  // A is stored twice, as itself (rows × depth, stride depth + pad) and as its transpose
  // (depth × rows), read back by Aᵀ·B; B likewise, as itself and transposed for A·Bᵀ.
  const aStride = depth + pad
  const atStride = rows + pad
  const bStride = columns + pad
  const btStride = depth + pad
  const cStride = columns + pad
  const offsets = [3]
  for (const length of [rows * aStride, depth * atStride, depth * bStride, columns * btStride, rows * cStride]) offsets.push(offsets[offsets.length - 1] + length)
  const space = backend.workspace(offsets[5] + 3 * rows * cStride)
  const [aAt, atAt, bAt, btAt, cAt] = offsets
  for (let r = 0; r < rows; r++) for (let k = 0; k < depth; k++) space[aAt + r * aStride + k] = space[atAt + k * atStride + r] = A[r * depth + k]
  for (let k = 0; k < depth; k++) for (let c = 0; c < columns; c++) space[bAt + k * bStride + c] = space[btAt + c * btStride + k] = B[k * columns + c]
  const outputs = [0, 1, 2].map((i) => cAt + i * rows * cStride)
  for (const at of outputs) space.fill(0.5, at, at + rows * cStride)
  const b = { data: space, offset: bAt, rows: depth, stride: bStride }
  const c = (i: number) => ({ data: space, offset: outputs[i], rows, stride: cStride })
  backend.multiplyAddRows({ data: space, offset: aAt, rowStep: aStride, depthStep: 1 }, b, c(0), columns, depth)
  backend.multiplyAddRows({ data: space, offset: atAt, rowStep: 1, depthStep: atStride }, b, c(1), columns, depth)
  backend.multiplyAddTransposed({ data: space, offset: aAt, rows, stride: aStride }, { data: space, offset: btAt, rows: columns, stride: btStride }, c(2), columns, depth)
  const result = (i: number) => Array.from({ length: rows * columns }, (_, index) => space[outputs[i] + Math.floor(index / columns) * cStride + index % columns])
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-13 * Math.max(1, depth))
  const name = `${backend.name} ${rows}×${depth}·${depth}×${columns}${pad > 0 ? ' strided' : ''}`
  t.ok(near(result(0), expected), `A·B ${name}`)
  t.ok(near(result(1), expected), `Aᵀ·B ${name}`)
  t.ok(near(result(2), expected), `A·Bᵀ ${name}`)
  // The padding between rows is left alone.
  if (pad > 0) t.equal(space[outputs[0] + columns], 0.5, `C's padding untouched ${name}`)
}

t.test('every backend computes A·B, Aᵀ·B and A·Bᵀ on every shape around its tiles', async (t) => {
  for (const backend of backends) {
    for (const rows of [1, 2, 3, 4, 5, 7, 8, 9]) {
      for (const depth of [1, 2, 3, 4, 5]) {
        for (const columns of [1, 3, 4, 5, 8, 9]) {
          check(t, backend, rows, depth, columns, 0)
          check(t, backend, rows, depth, columns, 2)
        }
      }
    }
    check(t, backend, 64, 33, 70, 1)
  }
})

t.test('an ∞ in B reaches C even where A has zeros', async (t) => {
  for (const backend of backends) {
    for (const A of [[0, 0, 0, 0], [0, 0, 0, 1]]) {
      const space = backend.workspace(8).fill(0)
      space.set(A)
      space.set([Infinity, 1], 4)
      backend.multiplyAddRows({ data: space, offset: 0, rowStep: 2, depthStep: 1 }, view(space, 2, 1, 4), view(space, 2, 1, 6), 1, 2)
      t.ok(Number.isNaN(space[6]), `${backend.name}, row 0 of ${JSON.stringify(A)}: 0·∞ is NaN`)
    }
  }
})

t.test('the wasm kernels read only their own memory, which grows on demand', async (t) => {
  const backend = wasmBackend()
  const outside = new Float64Array(4)
  t.throws(() => backend.multiplyAddTransposed(view(outside, 1, 1), view(outside, 1, 1), view(outside, 1, 1), 1, 1), /outside its memory: take operands from workspace\(\)/)
  t.throws(() => backend.multiplyAddRows({ data: outside, offset: 0, rowStep: 1, depthStep: 1 }, view(outside, 1, 1), view(outside, 1, 1), 1, 1), /outside its memory/)
  const small = backend.workspace(4)
  const large = backend.workspace(1_000_000)
  t.equal(large.length, 1_000_000)
  t.equal(small.length, 0, 'a view of the smaller workspace is emptied when the memory grows')
  t.equal(backend.workspace(10).buffer, large.buffer, 'a smaller workspace reuses the memory')
})
