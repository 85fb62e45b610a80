/**
 * The vector operations of the Lanczos process (src/math/spectrum.ts) — BLAS level 1's ddot,
 * daxpy and dscal — behind the same choice of kernels as the matrix products: a Lanczos step
 * passes over several vectors of n entries besides its one Hessian-vector product, and V8 runs
 * scalar loops at a fraction of the speed of WebAssembly's two lanes (src/math/backend.ts has
 * the SIMD ones).
 */
export interface VectorKernels {
  /** x·y */
  dot: (x: Float64Array, y: Float64Array) => number
  /** y += c·x */
  axpy: (c: number, x: Float64Array, y: Float64Array) => void
  /** x *= c */
  scale: (x: Float64Array, c: number) => void
}

/** The scalar reference: what every other implementation must compute, up to the order of dot's additions. */
export const scalarVectors: VectorKernels = {
  // Four partial sums, so the additions do not wait on one another.
  dot (x, y) {
    const n = x.length
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    let i = 0
    for (; i + 4 <= n; i += 4) {
      s0 += x[i] * y[i]
      s1 += x[i + 1] * y[i + 1]
      s2 += x[i + 2] * y[i + 2]
      s3 += x[i + 3] * y[i + 3]
    }
    for (; i < n; i++) s0 += x[i] * y[i]
    return (s0 + s1) + (s2 + s3)
  },
  axpy (c, x, y) {
    for (let i = 0; i < y.length; i++) y[i] += c * x[i]
  },
  scale (x, c) {
    for (let i = 0; i < x.length; i++) x[i] *= c
  }
}
