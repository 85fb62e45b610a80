/**
 * The matrix products against a naive triple loop, for every small odd and even size, and
 * with ∞ in an operand (it reaches C as in BLAS's GEMM, whatever the zeros beside it).
 */
import t from 'tap'
import { multiplyAddRows, multiplyAddTransposed, view } from '../../src/math/gemm.js'

const filled = (length: number, seed: number) => Float64Array.from({ length }, (_, i) => Math.sin(seed + 1.7 * i))

t.test('multiplyAddRows computes A·B and Aᵀ·B; multiplyAddTransposed A·Bᵀ', async (t) => {
  for (const rows of [1, 2, 3, 5]) {
    for (const depth of [1, 2, 3, 4]) {
      for (const columns of [1, 3]) {
        const A = filled(rows * depth, 1)
        const B = filled(depth * columns, 2)
        const naive = (transposedA: boolean) => Array.from({ length: rows * columns }, (_, index) => {
          const [r, c] = [Math.floor(index / columns), index % columns]
          let sum = 0.5
          for (let k = 0; k < depth; k++) sum += (transposedA ? A[k * rows + r] : A[r * depth + k]) * B[k * columns + c]
          return sum
        })
        const plain = new Float64Array(rows * columns).fill(0.5)
        multiplyAddRows({ data: A, offset: 0, rowStep: depth, depthStep: 1 }, view(B, depth, columns), view(plain, rows, columns), columns, depth)
        const transposed = new Float64Array(rows * columns).fill(0.5)
        multiplyAddRows({ data: A, offset: 0, rowStep: 1, depthStep: rows }, view(B, depth, columns), view(transposed, rows, columns), columns, depth)
        const near = (a: ArrayLike<number>, b: number[]) => Array.from(a).every((v, i) => Math.abs(v - b[i]) <= 1e-14)
        t.ok(near(plain, naive(false)), `A·B ${rows}×${depth}·${depth}×${columns}`)
        t.ok(near(transposed, naive(true)), `Aᵀ·B ${rows}×${depth}`)
        // A·Bᵀ with Bᵀ given as B's transpose.
        const Bt = Float64Array.from({ length: columns * depth }, (_, index) => B[(index % depth) * columns + Math.floor(index / depth)])
        const nt = new Float64Array(rows * columns).fill(0.5)
        multiplyAddTransposed(view(A, rows, depth), view(Bt, columns, depth), view(nt, rows, columns), columns, depth)
        t.ok(near(nt, naive(false)), `A·Bᵀ ${rows}×${depth}`)
      }
    }
  }
})

t.test('an ∞ in B reaches C even where A has zeros', async (t) => {
  const B = Float64Array.from([Infinity, 1])
  for (const A of [[0, 0, 0, 0], [0, 0, 0, 1]]) {
    const C = new Float64Array(2)
    multiplyAddRows({ data: Float64Array.from(A), offset: 0, rowStep: 2, depthStep: 1 }, view(B, 2, 1), view(C, 2, 1), 1, 2)
    t.ok(Number.isNaN(C[0]), `row 0 of ${JSON.stringify(A)}: 0·∞ is NaN`)
  }
})
