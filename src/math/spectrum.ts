/**
 * The Hessian's spectrum from Hessian-vector products alone: its extreme eigenvalues, its
 * trace and its eigenvalue density, what PyHessian (Yao, Gholami, Keutzer & Mahoney,
 * "PyHessian: Neural Networks Through the Lens of the Hessian", IEEE BigData 2020) gives
 * PyTorch users, computed here over any `DifferentiableModel` (hvp.ts).
 *
 * - `symmetricEigen`: a dense symmetric eigensolver, Householder tridiagonalisation then the
 *   implicit QL algorithm with Wilkinson's shift (EISPACK tred2/tql2, as ported in JAMA;
 *   Golub & Van Loan, *Matrix Computations*, 4th ed., §8.3; Numerical Recipes in C, 2nd ed.,
 *   §11.2–11.3). Backward stable: the computed eigenvalues are exact for a matrix within a
 *   small multiple of ε‖A‖ of A, so each is within that of the true one (Weyl).
 * - `lanczos`: the Lanczos process with full reorthogonalisation (classical Gram–Schmidt
 *   against every earlier Lanczos vector, repeated when a pass removes much of the vector:
 *   "twice is enough", Parlett, *The Symmetric Eigenvalue Problem*, §6.9, with the criterion of
 *   Daniel, Gragg, Kaufman & Stewart 1976), so the basis stays orthonormal to working precision
 *   and no spurious copies of converged Ritz values appear (Paige 1971; Parlett, ch. 13).
 * - `hessianEigenvalues`: the top eigenvalues, exactly (the Hessian formed from n HVPs of
 *   unit vectors, then `symmetricEigen`) when n ≤ EXACT_SPECTRUM_MAX_PARAMETERS, else the
 *   Ritz values of Lanczos' tridiagonal T, each with its residual ‖Hx − λx‖, an error bar:
 *   for symmetric H and a unit x, some eigenvalue lies within ‖Hx − λx‖ of λ (Parlett, ch. 4).
 * - `hutchinsonTrace`: tr H ≈ the mean of zᵀHz over Rademacher vectors z (Hutchinson 1990;
 *   Avron & Toledo, J. ACM 58(2), 2011), with its standard error.
 * - `spectralDensity`: stochastic Lanczos quadrature (Ubaru, Chen & Saad, SIAM J. Matrix
 *   Anal. Appl. 38(4), 2017; Lin, Saad & Yang, SIAM Review 58(1), 2016), PyHessian's
 *   `density`: the Gauss quadrature of each Lanczos run (Golub & Welsch 1969), averaged and
 *   smoothed by Gaussians.
 *
 * Randomness comes from corner-experiment.ts's xoshiro128** generator, so a seed gives
 * bit-identical results on every machine; Gaussian draws are Box–Muller's (V8's own fdlibm
 * log, sin and cos, the same everywhere).
 *
 * Everything that touches a vector of n entries works in place on Float64Arrays, without
 * allocating inside the loops over n. Besides the HVPs, the one cost that grows with n is
 * Lanczos' reorthogonalisation: two passes over the j + 1 vectors so far at step j, 4(j + 1)·n
 * multiply-adds, 2·k(k + 1)·n for k steps (0.24·10⁹ for 20 steps of the assignment's MLP,
 * 284,682 parameters).
 */
import { privateBackend, type MatrixBackend } from './backend.js'
import { cornerRandom } from './corner-experiment.js'
import { ImpossibleInputError, InvalidRequestError, LimitExceededError } from './errors.js'
import { view } from './gemm.js'
import { checkLength, norm, productsAt, type DifferentiableModel } from './hvp.js'

/**
 * The largest model whose Hessian `hessianEigenvalues` forms by default: n HVPs, then an
 * n × n eigendecomposition with vectors, about 9n³ flops (Golub & Van Loan §8.3) in three
 * n × n arrays. Larger models use Lanczos.
 */
export const EXACT_SPECTRUM_MAX_PARAMETERS = 400

/** Which eigenvalues: the largest (descending), the smallest (ascending), or the largest in absolute value. */
export type SpectrumEnd = 'largest' | 'smallest' | 'magnitude'

export interface EigenDecomposition {
  /** ascending */
  values: Float64Array
  /** n × n row-major; column k (entries k, n + k, 2n + k, …) is the unit eigenvector of values[k] */
  vectors?: Float64Array
}

const EPSILON = Number.EPSILON

/**
 * The eigenvalues (ascending) and, if asked, orthonormal eigenvectors of a real symmetric
 * n × n matrix (row-major; only its lower triangle is read). The matrix is first scaled by a
 * power of two (exactly) so its largest entry is near 1, as LAPACK's dsyev does, so that no
 * intermediate overflows or underflows.
 * @param maxIterations - QL iterations allowed for all eigenvalues together; EISPACK allows
 *   30 per eigenvalue, and 1–2 per eigenvalue are typical
 * @throws {ImpossibleInputError} when the matrix does not have n × n entries or one is not finite
 * @throws {Error} when QL has not converged after maxIterations (never seen with the default)
 * @example symmetricEigen(Float64Array.from([2, 0, 0, -1]), 2, false).values // [-1, 2]
 */
export function symmetricEigen (matrix: ArrayLike<number>, n: number, wantVectors: boolean, maxIterations = 30 * n): EigenDecomposition {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new ImpossibleInputError(`the matrix has ${matrix.length} entries; n × n = ${n} × ${n} needs ${n * n} (n ≥ 1)`)
  }
  const a = new Float64Array(n * n)
  const scale = powerOfTwoScale(matrix, 'matrix')
  for (let i = 0; i < n * n; i++) a[i] = matrix[i] * scale
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  householderTridiagonal(a, n, d, e, wantVectors)
  // tred2 leaves the subdiagonal in e[1..n−1]; QL wants e[i] = T[i][i+1].
  e.copyWithin(0, 1)
  e[n - 1] = 0
  return implicitQl(d, e, wantVectors ? transpose(a, n) : undefined, n, maxIterations, 1 / scale)
}

/**
 * The eigenvalues (ascending) and, if asked, eigenvectors of the symmetric tridiagonal T
 * with diagonal alpha (k entries) and off-diagonal beta (k − 1 entries): the QL part of
 * `symmetricEigen`, for Lanczos' T.
 * @throws {ImpossibleInputError} when beta does not have k − 1 entries or an entry is not finite
 * @throws {Error} when QL has not converged after maxIterations
 * @example tridiagonalEigen([2, 2], [1], false).values // [1, 3]
 */
export function tridiagonalEigen (alpha: ArrayLike<number>, beta: ArrayLike<number>, wantVectors: boolean, maxIterations = 30 * alpha.length): EigenDecomposition {
  const k = alpha.length
  if (k < 1 || beta.length !== k - 1) {
    throw new ImpossibleInputError(`a tridiagonal matrix with ${k} diagonal entries needs ${k - 1} off-diagonal ones (k ≥ 1), got ${beta.length}`)
  }
  const scale = Math.min(powerOfTwoScale(alpha, 'alpha'), powerOfTwoScale(beta, 'beta'))
  const d = Float64Array.from(alpha, (x) => x * scale)
  const e = new Float64Array(k)
  for (let i = 0; i < k - 1; i++) e[i] = beta[i] * scale
  return implicitQl(d, e, wantVectors ? identity(k) : undefined, k, maxIterations, 1 / scale)
}

/** A power of two 2^−p with 2^p near max |x| (1 for a zero x), checking every entry is finite. */
function powerOfTwoScale (x: ArrayLike<number>, name: string): number {
  let largest = 0
  for (let i = 0; i < x.length; i++) {
    const magnitude = Math.abs(x[i])
    if (!(magnitude <= Number.MAX_VALUE)) throw new ImpossibleInputError(`${name}[${i}] must be finite, got ${x[i]}`)
    largest = Math.max(largest, magnitude)
  }
  // ±1000 keeps both 2^p and 2^−p finite; a subnormal largest entry then still scales up to ~1e−22.
  return largest === 0 ? 1 : 2 ** -Math.max(-1000, Math.min(1000, Math.round(Math.log2(largest))))
}

function transpose (a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]
  return t
}

function identity (n: number): Float64Array {
  const z = new Float64Array(n * n)
  for (let i = 0; i < n; i++) z[i * n + i] = 1
  return z
}

/**
 * EISPACK's tred2 (Martin, Reinsch & Wilkinson, Numer. Math. 11, 1968), from JAMA's port:
 * Householder reflections from the last row up reduce the symmetric a (lower triangle) to
 * tridiagonal form, diagonal d, subdiagonal e[1..n−1]. With wantVectors, a is overwritten by
 * the orthogonal Q with A = Q T Qᵀ; otherwise a is scratch.
 */
function householderTridiagonal (a: Float64Array, n: number, d: Float64Array, e: Float64Array, wantVectors: boolean): void {
  for (let j = 0; j < n; j++) d[j] = a[(n - 1) * n + j]
  for (let i = n - 1; i > 0; i--) {
    // Scale the row to avoid under/overflow in h = Σ d².
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k])
    if (scale === 0) {
      // Row i is already reduced: no reflection.
      e[i] = d[i - 1]
      for (let j = 0; j < i; j++) {
        d[j] = a[(i - 1) * n + j]
        a[i * n + j] = 0
        a[j * n + i] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale
        h += d[k] * d[k]
      }
      let f = d[i - 1]
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      // p = A u / h into e, using the lower triangle only.
      for (let j = 0; j < i; j++) {
        f = d[j]
        a[j * n + i] = f
        g = e[j] + a[j * n + j] * f
        for (let k = j + 1; k <= i - 1; k++) {
          g += a[k * n + j] * d[k]
          e[k] += a[k * n + j] * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] /= h
        f += e[j] * d[j]
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] -= hh * d[j]
      // A ← A − u qᵀ − q uᵀ on the lower triangle.
      for (let j = 0; j < i; j++) {
        f = d[j]
        g = e[j]
        for (let k = j; k <= i - 1; k++) a[k * n + j] -= f * e[k] + g * d[k]
        d[j] = a[(i - 1) * n + j]
        a[i * n + j] = 0
      }
    }
    d[i] = h
  }
  if (!wantVectors) {
    // The reduction leaves T's diagonal on a's.
    for (let j = 0; j < n; j++) d[j] = a[j * n + j]
    e[0] = 0
    return
  }
  // Accumulate the reflections into Q (backward), reusing a.
  for (let i = 0; i < n - 1; i++) {
    a[(n - 1) * n + i] = a[i * n + i]
    a[i * n + i] = 1
    const h = d[i + 1]
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = a[k * n + i + 1] / h
      for (let j = 0; j <= i; j++) {
        let g = 0
        for (let k = 0; k <= i; k++) g += a[k * n + i + 1] * a[k * n + j]
        for (let k = 0; k <= i; k++) a[k * n + j] -= g * d[k]
      }
    }
    for (let k = 0; k <= i; k++) a[k * n + i + 1] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = a[(n - 1) * n + j]
    a[(n - 1) * n + j] = 0
  }
  a[(n - 1) * n + n - 1] = 1
  e[0] = 0
}

/**
 * EISPACK's tql2 (Bowdler, Martin, Reinsch & Wilkinson, Numer. Math. 11, 1968), from JAMA's
 * port: the implicit QL algorithm on the symmetric tridiagonal (d, e), e[i] = T[i][i+1],
 * e[n−1] = 0. Each sweep on an unreduced block l..m shifts by the eigenvalue of the leading
 * 2 × 2 block closer to d[l] (Wilkinson's shift, cubic convergence for symmetric T) and
 * chases the bulge with Givens rotations; e[m] counts as zero below ε·max(|d| + |e|).
 * With zt, the transpose of a rows × n matrix Z (so its row i is Z's column i, and each
 * rotation runs over two contiguous rows), the rotations are applied to Z's columns: Z = Q
 * gives T's eigenvectors in A's basis, Z = I T's own, Z = e₁ᵀ their first components. The
 * results are sorted ascending, the values multiplied by unscale, Z returned row-major.
 */
function implicitQl (d: Float64Array, e: Float64Array, zt: Float64Array | undefined, n: number, maxIterations: number, unscale: number): EigenDecomposition {
  let shift = 0
  let iterations = 0
  // EISPACK compares e[m] with the largest |d| + |e| of the rows seen so far; the whole
  // matrix's is used here: after Householder reduces a low-rank matrix, the first rows can
  // hold nothing but subnormal residue, on which rotations of a few significant bits would
  // break the eigenvectors' orthogonality. Entries below ε‖T‖ are rounding noise either way.
  let tst1 = 0
  for (let i = 0; i < n; i++) tst1 = Math.max(tst1, Math.abs(d[i]) + Math.abs(e[i]))
  for (let l = 0; l < n; l++) {
    let m = l
    while (Math.abs(e[m]) > EPSILON * tst1) m++ // stops at n − 1 at the latest: e[n−1] = 0
    if (m > l) {
      do {
        if (++iterations > maxIterations) {
          throw new Error(`the QL algorithm did not converge in ${maxIterations} iterations (eigenvalue ${l + 1} of ${n}); this should not happen for a finite symmetric matrix`)
        }
        // Wilkinson's shift from the leading 2 × 2 block, subtracted from the block explicitly.
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.hypot(p, 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        shift += h
        // The implicit QL sweep from m up to l.
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.hypot(p, e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
          if (zt !== undefined) {
            const rows = zt.length / n
            for (let k = i * rows, end = k + rows; k < end; k++) {
              const zi = zt[k]
              const zi1 = zt[k + rows]
              zt[k + rows] = s * zi + c * zi1
              zt[k] = c * zi - s * zi1
            }
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > EPSILON * tst1)
    }
    d[l] += shift
    e[l] = 0
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j])
  const values = Float64Array.from(order, (i) => d[i] * unscale)
  if (zt === undefined) return { values }
  const rows = zt.length / n
  const vectors = new Float64Array(rows * n)
  for (let k = 0; k < n; k++) for (let r = 0; r < rows; r++) vectors[r * n + k] = zt[order[k] * rows + r]
  return { values, vectors }
}

// ------------------------------------------------------------------------- vector kernels

/**
 * This thread's kernels for the Lanczos basis: a WebAssembly instance of their own
 * (privateBackend: the MLP's kernels reuse their workspace on every product), kept from one
 * computation to the next so that its memory, once touched, is not faulted in again on every
 * request; `releaseSpectrumWorkspace` gives back one that grew past WORKSPACE_KEEP_BYTES.
 */
let lanczosKernels: MatrixBackend | undefined
function spectrumKernels (): MatrixBackend {
  lanczosKernels ??= privateBackend()
  return lanczosKernels
}

/** Called when a computation is done with its Lanczos bases (their views die with a replaced instance). */
export function releaseSpectrumWorkspace (): void {
  spectrumKernels().release()
}

/** The bytes this thread's Lanczos workspace holds now. */
export function spectrumWorkspaceBytes (): number {
  return spectrumKernels().workspace(0).buffer.byteLength
}

// SIMD on the vectors of the Lanczos workspace, scalar loops on any other array (vectors.ts).
const dot = (a: Float64Array, b: Float64Array): number => spectrumKernels().vectors.dot(a, b)
const axpy = (c: number, x: Float64Array, y: Float64Array): void => { spectrumKernels().vectors.axpy(c, x, y) }
const scale = (x: Float64Array, c: number): void => { spectrumKernels().vectors.scale(x, c) }

/**
 * ‖x‖ in one pass, √(x·x); hvp.ts's scaled two-pass norm only when x·x under- or overflows
 * (or is about to: outside [2⁻⁹⁰⁰, 2⁹⁰⁰]).
 */
function vectorNorm (x: Float64Array): number {
  const squares = dot(x, x)
  return squares > 2 ** -900 && squares < 2 ** 900 ? Math.sqrt(squares) : norm(x)
}

/**
 * One classical Gram–Schmidt pass, in place: w ← w − Σ (qᵢ·w) qᵢ over the first `count` rows
 * of the basis (rows of n doubles from 0 in `space`), w being row `row`, the coefficients all
 * taken from the incoming w: c = Q·w, then w −= Qᵀc, two matrix products over the whole basis
 * (SIMD with the WebAssembly kernels), with c at `at` in the workspace and copied into `into`.
 */
function project (kernels: MatrixBackend, space: Float64Array, n: number, count: number, row: number, at: number, into: Float64Array): void {
  const c = space.subarray(at, at + count).fill(0)
  const basis = view(space, count, n)
  kernels.multiplyAddTransposed(view(space, 1, n, row * n), basis, view(space, 1, count, at), count, n)
  into.set(c)
  for (let i = 0; i < count; i++) c[i] = -c[i]
  kernels.multiplyAddRows({ data: space, offset: at, rowStep: count, depthStep: 1 }, basis, view(space, 1, n, row * n), n, count)
}

// ------------------------------------------------------------------------- randomness

/**
 * The generator of a seed: corner-experiment.ts's xoshiro128**, uniform doubles in [0, 1)
 * with 53 random bits.
 * @throws {InvalidRequestError} when seed is not an integer in [0, 2³² − 1]
 */
export function spectrumRandom (seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidRequestError(`seed must be an integer in [0, 4294967295], got ${seed}`)
  }
  return cornerRandom(seed)
}

/** x filled with independent ±1, 32 signs from each uniform draw (its top 32 bits). */
function fillRademacher (x: Float64Array, random: () => number): void {
  for (let i = 0; i < x.length; i += 32) {
    const bits = Math.floor(random() * 4294967296)
    const end = Math.min(32, x.length - i)
    for (let b = 0; b < end; b++) x[i + b] = ((bits >>> b) & 1) === 0 ? 1 : -1
  }
}

/** x filled with independent N(0, 1) draws, Box–Muller; 1 − u ∈ (0, 1] keeps the log finite. */
function fillGaussian (x: Float64Array, random: () => number): void {
  for (let i = 0; i < x.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()))
    const angle = 2 * Math.PI * random()
    x[i] = radius * Math.cos(angle)
    if (i + 1 < x.length) x[i + 1] = radius * Math.sin(angle)
  }
}

// ------------------------------------------------------------------------- Lanczos

export type StartVector = 'gaussian' | 'rademacher'

export interface LanczosResult {
  /** T's diagonal, `steps` entries */
  alpha: Float64Array
  /** T's off-diagonal, steps − 1 entries; 0 where a restart began a new block */
  beta: Float64Array
  /** the orthonormal Lanczos vectors q₀ … q_{steps−1}: H·Q = Q·T + r·e_stepsᵀ, r ⊥ Q */
  basis: Float64Array[]
  /** Σ s_i q_i for coefficients s (one per step, missing ones 0): a Ritz vector, by the basis's own kernels */
  combine: (coefficients: ArrayLike<number>) => Float64Array
  /** the steps taken: fewer than asked after a breakdown without restart */
  steps: number
  /** whether it stopped early because the Krylov space was invariant (T's eigenvalues are then eigenvalues of H) */
  breakdown: boolean
}

/**
 * The Lanczos process for the symmetric operator `multiply` on ℝⁿ from a random unit start
 * vector (normalised Gaussian or Rademacher draws from `random`), with full
 * reorthogonalisation: after w = H·q_j and the three-term recurrence, classical Gram–Schmidt
 * against all of q₀ … q_j, and again when that pass removed much of w (see the loop). β_j = ‖w‖.
 *
 * Breakdown: β_j ≤ n·ε·‖T‖ (‖T‖ estimated by the largest row sum |β_{j−1}| + |α_j| + |β_j|
 * so far) means span(q₀ … q_j) is invariant to working precision and T's eigenvalues are
 * eigenvalues of H. Without `restart` the process stops there; with it, it goes on from a
 * fresh random vector orthogonalised (twice) against the basis, leaving β_j = 0 in T, so that
 * `steps` = min(steps, n) vectors are always produced and repeated eigenvalues (which a single
 * Krylov space sees once) show up with their multiplicity once the basis is large enough.
 *
 * `multiply(v, out)` must leave v unchanged; it may write into out or return another array. Memory:
 * steps + 1 vectors of n entries.
 * @param steps - clamped to n: n orthonormal vectors span ℝⁿ
 * @throws {ImpossibleInputError} when n or steps is not an integer ≥ 1
 */
export function lanczos (multiply: HessianOperator, n: number, steps: number, random: () => number, options: { start?: StartVector, restart?: boolean } = {}): LanczosResult {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(steps) || steps < 1) {
    throw new ImpossibleInputError(`Lanczos needs integers n ≥ 1 and steps ≥ 1, got n = ${n}, steps = ${steps}`)
  }
  const k = Math.min(steps, n)
  const start = options.start ?? 'gaussian'
  const fill = start === 'gaussian' ? fillGaussian : fillRademacher
  const alpha = new Float64Array(k)
  const beta = new Float64Array(k - 1)
  const basis: Float64Array[] = []
  const c1 = new Float64Array(k)
  const c2 = new Float64Array(k)
  const tolerance = n * EPSILON
  // The basis (k rows, and one more for the vector being made) and the coefficients live in a
  // workspace of their own kernels: the MLP's kernels reuse theirs on every product.
  const kernels = spectrumKernels()
  const space = kernels.workspace((k + 1) * n + k)
  const at = (k + 1) * n
  const row = (i: number): Float64Array => space.subarray(i * n, (i + 1) * n)
  let q = row(0)
  fill(q, random)
  scale(q, 1 / vectorNorm(q))
  let previousBeta = 0
  let tNorm = 0
  let breakdown = false
  for (let j = 0; j < k; j++) {
    basis.push(q)
    const w = row(j + 1)
    const product = multiply(q, w)
    if (product !== w) w.set(product)
    // The three-term recurrence first, w − α_j·q_j − β_{j−1}·q_{j−1}, which removes the two
    // large components one after the other; then one classical Gram–Schmidt pass against the
    // whole basis removes what rounding let back in, and a second pass runs only when the first
    // removed much of w (Daniel, Gragg, Kaufman & Stewart 1976, η = 1/√2): a second pass after
    // such a drop is what makes the result orthogonal to working precision (Parlett's "twice is
    // enough"), and without the drop it would change nothing. A single Gram–Schmidt pass with
    // α and β still in w would not do: its rounding error is ε·‖H·q‖, not ε·‖w‖, and over the
    // steps the basis loses its orthogonality (a spectrum far from 0 shows it within 40 steps).
    let a = dot(q, w)
    axpy(-a, q, w)
    if (j > 0) axpy(-previousBeta, basis[j - 1], w)
    const before = vectorNorm(w)
    project(kernels, space, n, j + 1, j + 1, at, c1)
    a += c1[j]
    let b = vectorNorm(w)
    if (b < before * Math.SQRT1_2) {
      project(kernels, space, n, j + 1, j + 1, at, c2)
      a += c2[j]
      b = vectorNorm(w)
    }
    alpha[j] = a
    tNorm = Math.max(tNorm, previousBeta + Math.abs(a) + b)
    if (j === k - 1) break
    if (b <= tolerance * tNorm) {
      if (options.restart !== true) {
        breakdown = true
        break
      }
      // An invariant subspace: carry on in its orthogonal complement (j + 1 < k ≤ n, so the
      // complement is not empty and a random vector has a part in it almost surely).
      fill(w, random)
      project(kernels, space, n, j + 1, j + 1, at, c1)
      project(kernels, space, n, j + 1, j + 1, at, c2)
      scale(w, 1 / vectorNorm(w))
      beta[j] = 0
      previousBeta = 0
    } else {
      scale(w, 1 / b)
      beta[j] = b
      previousBeta = b
    }
    q = w
  }
  const taken = basis.length
  const combine = (coefficients: ArrayLike<number>): Float64Array => {
    // Into the spare row: y (1 × n) = s (1 × taken) · Q (taken × n).
    const y = row(k).fill(0)
    space.set(Array.from({ length: taken }, (_, i) => coefficients[i] ?? 0), at)
    kernels.multiplyAddRows({ data: space, offset: at, rowStep: taken, depthStep: 1 }, view(space, taken, n), view(space, 1, n, k * n), n, taken)
    return Float64Array.from(y)
  }
  return { alpha: alpha.subarray(0, taken), beta: beta.subarray(0, taken - 1), basis, combine, steps: taken, breakdown }
}

// ------------------------------------------------------------------------- the Hessian's eigenvalues

/**
 * v ↦ ∇²f(w)·v by the model's exact HVP, as a fresh Float64Array (so callers may overwrite it).
 * @throws {ImpossibleInputError} when w does not have the model's parameter count, and (from the
 *   operator) when a product has an entry that is not finite
 */
export function hessianOperator (model: DifferentiableModel, w: ArrayLike<number>): HessianOperator {
  checkLength('w', w, model.parameterCount)
  const point = Float64Array.from(w)
  // Into out, where the caller keeps the product (fresh megabytes per product would cost page faults).
  const multiply = productsAt(model, point)
  return (v, out = new Float64Array(point.length)) => {
    const hv = multiply(v, out)
    if (hv !== out) out.set(hv)
    // A finite sum of squares has every entry finite; an infinite one may only have overflowed,
    // so then the entries are looked at one by one (a branch per entry would cost as much as
    // a product's copy).
    if (!Number.isFinite(dot(out, out))) {
      const bad = out.findIndex((x) => !Number.isFinite(x))
      if (bad >= 0) throw new ImpossibleInputError(`∇²f(w)·v[${bad}] is ${out[bad]}: the Hessian-vector product overflows at this w`)
    }
    return out
  }
}

/**
 * v ↦ H·v: written into `out` and returned, or returned as a new array (an operator may ignore
 * out); v is left unchanged.
 */
export type HessianOperator = (v: Float64Array, out?: Float64Array) => Float64Array

export interface HessianEigenOptions {
  /** how many eigenvalues, 1 … n */
  top: number
  which: SpectrumEnd
  /** default: exact when n ≤ EXACT_SPECTRUM_MAX_PARAMETERS, else Lanczos */
  method?: 'exact' | 'lanczos'
  /** Lanczos steps (clamped to n); default min(n, max(2·top + 10, 20)) */
  steps?: number
  /** the start vector's seed, an integer in [0, 2³² − 1]; default 0 */
  seed?: number
  /** return the (Ritz) eigenvectors too */
  vectors?: boolean
  /** hessianOperator(model, w), when the caller has built it for more products at w */
  operator?: HessianOperator
}

export interface HessianEigenResult {
  /** descending for 'largest', ascending for 'smallest', by descending |λ| (then λ) for 'magnitude' */
  eigenvalues: number[]
  /** unit vectors, the entry of largest magnitude (the first such) positive */
  eigenvectors?: number[][]
  method: 'exact' | 'lanczos'
  /** the dimension of the space the eigenvalues were taken from: n when exact, Lanczos' steps otherwise */
  steps: number
  /** ‖Hx − λx‖ for each pair: some eigenvalue of H lies within it of λ */
  residuals: number[]
  /** HVPs used: n to form H, or Lanczos' steps plus one per returned pair for its residual */
  hessianVectorProducts: number
}

/**
 * The `top` largest, smallest or largest-magnitude eigenvalues of ∇²f(w), PyHessian's
 * `eigenvalues(top_n)`. Exact below EXACT_SPECTRUM_MAX_PARAMETERS: H from the HVPs of the unit
 * vectors, symmetrised as ½(H + Hᵀ) (the HVPs' rounding makes it asymmetric by ~ε‖H‖), then
 * `symmetricEigen`; residuals against that matrix. Above it, Rayleigh–Ritz on Lanczos' Krylov
 * space from a Gaussian start (restarted on breakdown): the Ritz values of T, and each
 * residual computed by one more HVP of the Ritz vector. Ritz values converge from inside the
 * spectrum, the extreme ones first and fastest where they are well separated; a repeated
 * eigenvalue may appear once only until the basis is large enough for a restart (with
 * steps = n the answer is complete), which its residual cannot reveal.
 * @throws {ImpossibleInputError} for a w of the wrong length, top outside [1, n], steps < top,
 *   or a non-finite HVP
 * @throws {InvalidRequestError} for a seed outside [0, 2³² − 1] or an unknown `which`
 * @throws {LimitExceededError} for method 'exact' above EXACT_SPECTRUM_MAX_PARAMETERS
 */
export function hessianEigenvalues (model: DifferentiableModel, w: ArrayLike<number>, options: HessianEigenOptions): HessianEigenResult {
  const n = model.parameterCount
  const multiply = options.operator ?? hessianOperator(model, w)
  const { top, which } = options
  if (!Number.isInteger(top) || top < 1 || top > n) {
    throw new ImpossibleInputError(`top must be an integer in [1, ${n}], the number of eigenvalues of the ${n} × ${n} Hessian; got ${top}`)
  }
  const pick = SELECTORS.get(which)
  if (pick === undefined) throw new InvalidRequestError(`which must be 'largest', 'smallest' or 'magnitude', got ${JSON.stringify(which)}`)
  const random = spectrumRandom(options.seed ?? 0)
  const method = options.method ?? (n <= EXACT_SPECTRUM_MAX_PARAMETERS ? 'exact' : 'lanczos')
  if (method === 'exact') {
    if (n > EXACT_SPECTRUM_MAX_PARAMETERS) {
      throw new LimitExceededError(`the exact spectrum forms the ${n} × ${n} Hessian; above ${EXACT_SPECTRUM_MAX_PARAMETERS} parameters (EXACT_SPECTRUM_MAX_PARAMETERS) use method 'lanczos'`)
    }
    return exactEigenvalues(multiply, n, top, pick, options.vectors === true)
  }
  const steps = options.steps ?? Math.min(n, Math.max(2 * top + 10, 20))
  if (!Number.isInteger(steps) || steps < top) {
    throw new ImpossibleInputError(`steps must be an integer ≥ top = ${top} (one Ritz value per step), got ${steps}`)
  }
  try {
    return ritzPairs(lanczos(multiply, n, steps, random, { start: 'gaussian', restart: true }), multiply, top, pick, options.vectors === true)
  } finally {
    releaseSpectrumWorkspace()
  }
}

/** The chosen Ritz pairs of a Lanczos run, each with its residual by one more product. */
function ritzPairs (run: LanczosResult, multiply: HessianOperator, top: number, pick: Selector, wantVectors: boolean): HessianEigenResult {
  const k = run.steps
  const ritz = tridiagonalEigen(run.alpha, run.beta, true)
  const chosen = pick(ritz.values).slice(0, top)
  const eigenvalues: number[] = []
  const eigenvectors: number[][] = []
  const residuals: number[] = []
  for (const index of chosen) {
    const theta = ritz.values[index]
    const y = run.combine(Array.from({ length: k }, (_, i) => ritz.vectors![i * k + index]))
    scale(y, 1 / norm(y))
    orient(y)
    const hy = multiply(y)
    axpy(-theta, y, hy)
    eigenvalues.push(theta)
    residuals.push(norm(hy))
    if (wantVectors) eigenvectors.push(Array.from(y))
  }
  return {
    eigenvalues,
    ...(wantVectors && { eigenvectors }),
    method: 'lanczos',
    steps: k,
    residuals,
    hessianVectorProducts: k + chosen.length
  }
}

function exactEigenvalues (multiply: HessianOperator, n: number, top: number, pick: Selector, wantVectors: boolean): HessianEigenResult {
  const h = new Float64Array(n * n)
  const unit = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    unit[j] = 1
    const column = multiply(unit)
    unit[j] = 0
    for (let i = 0; i < n; i++) h[i * n + j] = column[i]
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      // (x + y)/2 is exact down to the subnormals; only where the sum overflows (two entries
      // near the largest double) is each halved first.
      const sum = h[i * n + j] + h[j * n + i]
      const s = Number.isFinite(sum) ? sum / 2 : 0.5 * h[i * n + j] + 0.5 * h[j * n + i]
      h[i * n + j] = s
      h[j * n + i] = s
    }
  }
  const { values, vectors } = symmetricEigen(h, n, true)
  const chosen = pick(values).slice(0, top)
  const eigenvectors: number[][] = []
  const residuals = chosen.map((index) => {
    const x = Float64Array.from({ length: n }, (_, i) => vectors![i * n + index])
    scale(x, 1 / norm(x))
    orient(x)
    if (wantVectors) eigenvectors.push(Array.from(x))
    const r = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let sum = -values[index] * x[i]
      for (let j = 0; j < n; j++) sum += h[i * n + j] * x[j]
      r[i] = sum
    }
    return norm(r)
  })
  return {
    eigenvalues: chosen.map((index) => values[index]),
    ...(wantVectors && { eigenvectors }),
    method: 'exact',
    steps: n,
    residuals,
    hessianVectorProducts: n
  }
}

type Selector = (ascending: Float64Array) => number[]

/** Indices into ascending eigenvalues, in the order each `which` reports them. */
const SELECTORS = new Map<string, Selector>([
  ['largest', (values) => Array.from(values, (_, i) => values.length - 1 - i)],
  ['smallest', (values) => Array.from(values, (_, i) => i)],
  // A stable sort of the descending order: equal magnitudes keep the positive value first.
  ['magnitude', (values) => Array.from(values, (_, i) => values.length - 1 - i).sort((i, j) => Math.abs(values[j]) - Math.abs(values[i]))]
])

/** x or −x, whichever has its entry of largest magnitude (the first such) positive: eigenvectors are defined up to sign. */
function orient (x: Float64Array): void {
  let largest = 0
  for (let i = 1; i < x.length; i++) if (Math.abs(x[i]) > Math.abs(x[largest])) largest = i
  if (x[largest] < 0) scale(x, -1)
}

// ------------------------------------------------------------------------- trace

export interface TraceEstimate {
  /** the mean of zᵀHz over the probes */
  estimate: number
  /**
   * the standard error of that mean: the probes' sample standard deviation (n − 1 in the
   * denominator) over √samples. The estimator is unbiased with variance 2·Σ_{i≠j} H_ij² per
   * probe (Avron & Toledo 2011), so a diagonal H gives the exact trace and 0.
   */
  standardError: number
  samples: number
}

/**
 * Hutchinson's estimator of tr H with Rademacher probes z (E[zzᵀ] = I, so E[zᵀHz] = tr H),
 * PyHessian's `trace`: `samples` HVPs.
 * @throws {ImpossibleInputError} when samples is not an integer ≥ 2 (a standard error needs two)
 */
export function hutchinsonTrace (multiply: HessianOperator, n: number, samples: number, random: () => number): TraceEstimate {
  if (!Number.isInteger(samples) || samples < 2) {
    throw new ImpossibleInputError(`samples must be an integer ≥ 2 (a standard error needs two), got ${samples}`)
  }
  const z = new Float64Array(n)
  // Welford's running mean and sum of squared deviations: no cancellation in the variance.
  let mean = 0
  let squares = 0
  for (let s = 0; s < samples; s++) {
    fillRademacher(z, random)
    const value = dot(z, multiply(z))
    const delta = value - mean
    mean += delta / (s + 1)
    squares += delta * (value - mean)
  }
  return { estimate: mean, standardError: Math.sqrt(squares / (samples - 1) / samples), samples }
}

/** tr H = Σ eᵢᵀHeᵢ, exactly (n HVPs): the reference for small models. */
export function exactHessianTrace (multiply: HessianOperator, n: number): number {
  const unit = new Float64Array(n)
  let trace = 0
  for (let i = 0; i < n; i++) {
    unit[i] = 1
    trace += multiply(unit)[i]
    unit[i] = 0
  }
  return trace
}

// ------------------------------------------------------------------------- density

export interface DensityOptions {
  /** Lanczos runs, each from its own Rademacher start, averaged */
  runs: number
  /** Lanczos steps per run (clamped to n): Gauss quadrature with that many nodes */
  steps: number
  /** grid points, ≥ 2 */
  points: number
  /**
   * the Gaussians' standard deviation; default 1/50 of the nodes' range (of their largest
   * magnitude when they coincide, 1/50 when that is 0 too). The grid spans the nodes ± 5σ
   * (all but 6e−7 of each Gaussian's mass), so the trapezoid sum of `values` is 1 to that
   * accuracy when the grid spacing is below σ (points ≥ 60 with the default σ).
   */
  sigma?: number
  random: () => number
}

export interface SpectralDensity {
  grid: number[]
  /** the smoothed density at each grid point */
  values: number[]
  /** every run's Ritz values, run after run */
  nodes: number[]
  /** their quadrature weights divided by the number of runs: they sum to 1 */
  weights: number[]
  sigma: number
}

/**
 * Stochastic Lanczos quadrature of the spectral density φ(t) = (1/n)·Σ δ(t − λᵢ): for a
 * Rademacher start q₀ = z/√n, q₀ᵀ g(H) q₀ = Σ_i g(λ_i)(q₀·xᵢ)², whose expectation is
 * (1/n)·Σ g(λ_i), and k Lanczos steps give its Gauss quadrature: the nodes are T's
 * eigenvalues θ_j, the weights the squares of the first components of T's eigenvectors
 * (Golub & Welsch 1969), which sum to 1. The runs are averaged, and each node is spread as a
 * Gaussian of width σ (PyHessian's `density`, without its renormalisation: the Gaussians
 * already integrate to 1). Lanczos stops on breakdown, where the quadrature is exact. The
 * nodes lie in [λ_min, λ_max] of H (Cauchy interlacing).
 * @throws {ImpossibleInputError} when runs, steps or points is not an integer (≥ 1, ≥ 1, ≥ 2)
 *   or sigma is not finite and > 0
 */
export function spectralDensity (multiply: HessianOperator, n: number, options: DensityOptions): SpectralDensity {
  const { runs, steps, points, random } = options
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(points) || points < 2) {
    throw new ImpossibleInputError(`the density needs integers runs ≥ 1 and points ≥ 2, got runs = ${runs}, points = ${points}`)
  }
  if (options.sigma !== undefined && !(options.sigma > 0 && options.sigma < Infinity)) {
    throw new ImpossibleInputError(`sigma must be finite and > 0, got ${options.sigma}`)
  }
  const nodes: number[] = []
  const weights: number[] = []
  try {
    quadratureNodes(multiply, n, steps, runs, random, nodes, weights)
  } finally {
    releaseSpectrumWorkspace()
  }

  let low = Infinity
  let high = -Infinity
  for (const node of nodes) {
    low = Math.min(low, node)
    high = Math.max(high, node)
  }
  const range = high - low || Math.max(-low, high) || 1
  const sigma = options.sigma ?? range / 50
  const start = low - 5 * sigma
  const spacing = (high - low + 10 * sigma) / (points - 1)
  const grid = Array.from({ length: points }, (_, p) => start + p * spacing)
  const normaliser = 1 / (sigma * Math.sqrt(2 * Math.PI))
  const values = grid.map((x) => {
    let sum = 0
    for (let j = 0; j < nodes.length; j++) sum += weights[j] * Math.exp(-0.5 * ((x - nodes[j]) / sigma) ** 2)
    return sum * normaliser
  })
  return { grid, values, nodes, weights, sigma }
}

/** The Gauss quadrature nodes and weights (divided by `runs`) of `runs` Lanczos runs from Rademacher starts, appended. */
function quadratureNodes (multiply: HessianOperator, n: number, steps: number, runs: number, random: () => number, nodes: number[], weights: number[]): void {
  for (let r = 0; r < runs; r++) {
    const run = lanczos(multiply, n, steps, random, { start: 'rademacher' })
    const k = run.steps
    // Only the first row of T's eigenvector matrix is needed: QL rotates just that row.
    const e = new Float64Array(k)
    e.set(run.beta)
    const first = new Float64Array(k)
    first[0] = 1
    const quadrature = tridiagonalFirstRow(run.alpha, e, first)
    for (let j = 0; j < k; j++) {
      nodes.push(quadrature.values[j])
      weights.push(quadrature.vectors![j] ** 2 / runs)
    }
  }
}

/** tridiagonalEigen keeping only the first row of the eigenvector matrix (Golub–Welsch's weights). */
function tridiagonalFirstRow (alpha: Float64Array, e: Float64Array, first: Float64Array): EigenDecomposition {
  const k = alpha.length
  const scaleBy = Math.min(powerOfTwoScale(alpha, 'alpha'), powerOfTwoScale(e, 'beta'))
  const d = Float64Array.from(alpha, (x) => x * scaleBy)
  scale(e, scaleBy)
  return implicitQl(d, e, first, k, 30 * k, 1 / scaleBy)
}
