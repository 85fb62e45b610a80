/**
 * The Hessian's spectrum (src/math/spectrum.ts) against NumPy's and PyTorch's eigvalsh and
 * the exact traces of scripts/reference/gen_spectrum.py, and the properties the methods rest
 * on: orthonormal eigenvectors and Lanczos bases, Ritz residuals that bound the error, Cauchy
 * interlacing of the quadrature nodes, Hutchinson's standard error, a density of mass 1,
 * bit-identical results per seed, and every edge: n = 1, a zero Hessian, breakdown, limits.
 */
import t from 'tap'
import { ImpossibleInputError, InvalidRequestError, LimitExceededError } from '../../src/math/errors.js'
import { WORKSPACE_KEEP_BYTES } from '../../src/math/backend.js'
import { QuadraticModel, type DifferentiableModel } from '../../src/math/hvp.js'
import { Mlp, type MlpSpec } from '../../src/math/mlp.js'
import {
  EXACT_SPECTRUM_MAX_PARAMETERS,
  exactHessianTrace,
  hessianEigenvalues,
  hessianOperator,
  hutchinsonTrace,
  lanczos,
  spectralDensity,
  spectrumRandom,
  spectrumWorkspaceBytes,
  symmetricEigen,
  tridiagonalEigen,
  type SpectrumEnd
} from '../../src/math/spectrum.js'
import { loadFixture } from '../helpers/fixtures.js'

type ModelCase = { kind: 'quadratic', A: number[][] } | ({ kind: 'mlp' } & MlpSpec)
interface SpectrumCase {
  name: string
  model: ModelCase
  /** the point (MLPs; a quadratic's Hessian does not depend on it) */
  w?: number[]
  /** ascending */
  eigenvalues: number[]
  trace: number
}

const fixture = loadFixture<SpectrumCase>('spectrum')
const cases = fixture.cases
const quadratics = cases.filter((c) => c.model.kind === 'quadratic')

// Observed against NumPy 2.4 / PyTorch 2.13: eigenvalues within 1.3e-14 of max |λ| (exact),
// 7e-15 (Lanczos, converged). The bounds are the brief's: 1e-10 for the dense solver, 1e-8
// for the top eigenvalues by either method.
const DENSE = 1e-10
const TOP = 1e-8

function modelOf (c: SpectrumCase): DifferentiableModel {
  return c.model.kind === 'quadratic' ? new QuadraticModel(c.model.A) : new Mlp(c.model)
}

function pointOf (c: SpectrumCase): number[] {
  return c.w ?? new Array<number>(c.eigenvalues.length).fill(0)
}

/** max |λ| of the case, 1 for a zero Hessian: the scale errors are measured against. */
function scaleOf (c: SpectrumCase): number {
  return Math.max(...c.eigenvalues.map(Math.abs)) || 1
}

/** ½(A + Aᵀ) row-major, in NumPy's order of operations (0.5 * (A + A.T)). */
function symmetrised (A: number[][]): Float64Array {
  const n = A.length
  const s = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = 0.5 * (A[i][j] + A[j][i])
  return s
}

function largestError (actual: ArrayLike<number>, expected: readonly number[]): number {
  if (actual.length !== expected.length) return Infinity
  let error = 0
  for (let i = 0; i < expected.length; i++) error = Math.max(error, Math.abs(actual[i] - expected[i]))
  return error
}

/** The fixture's eigenvalues in the order `which` reports them. */
function expectedOrder (c: SpectrumCase, which: SpectrumEnd): number[] {
  const descending = [...c.eigenvalues].reverse()
  if (which === 'smallest') return [...c.eigenvalues]
  if (which === 'largest') return descending
  return descending.sort((a, b) => Math.abs(b) - Math.abs(a))
}

/**
 * The error of a 'magnitude' answer: magnitudes compared in order, signs only where the
 * magnitude is above the tolerance (NumPy's ±1e−16 for an exact 0 may sort either way).
 */
function orderedError (actual: number[], expected: number[], which: SpectrumEnd, tolerance: number): number {
  if (which !== 'magnitude') return largestError(actual, expected)
  return Math.max(...actual.map((value, i) => Math.abs(expected[i]) > tolerance
    ? Math.abs(value - expected[i])
    : Math.abs(Math.abs(value) - Math.abs(expected[i]))))
}

/** max |XᵀX − I| over the columns of the n × k row-major X. */
function orthonormality (x: ArrayLike<number>, n: number, k: number): number {
  let worst = 0
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0
      for (let i = 0; i < n; i++) sum += x[i * k + a] * x[i * k + b]
      worst = Math.max(worst, Math.abs(sum - (a === b ? 1 : 0)))
    }
  }
  return worst
}

/** ‖Ax − λx‖₂ for the symmetric row-major A. */
function residual (a: ArrayLike<number>, x: ArrayLike<number>, lambda: number): number {
  const n = x.length
  let squares = 0
  for (let i = 0; i < n; i++) {
    let sum = -lambda * x[i]
    for (let j = 0; j < n; j++) sum += a[i * n + j] * x[j]
    squares += sum * sum
  }
  return Math.sqrt(squares)
}

function trapezoid (grid: number[], values: number[]): number {
  let sum = 0
  for (let p = 1; p < grid.length; p++) sum += 0.5 * (values[p] + values[p - 1]) * (grid[p] - grid[p - 1])
  return sum
}

/** A model with a diagonal Hessian (f = ½Σ dᵢwᵢ²): any size, one multiply per HVP. */
function diagonalModel (diagonal: readonly number[]): DifferentiableModel {
  return {
    parameterCount: diagonal.length,
    evaluate: (w, v) => ({
      value: 0,
      gradient: Float64Array.from(diagonal, (d, i) => d * w[i]),
      ...(v !== undefined && { hv: Float64Array.from(diagonal, (d, i) => d * v[i]) })
    })
  }
}

function namedCase (name: string): SpectrumCase {
  const found = cases.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no case ${name}`)
  return found
}

t.test('the fixture', async (t) => {
  t.equal(fixture.generator, 'scripts/reference/gen_spectrum.py')
  t.match(fixture.source, /numpy 2\.\d+.*scipy 1\.\d+.*torch 2\.\d+/)
  t.same(cases.map((c) => c.eigenvalues.length).filter((n) => n >= 200), [200, 300])
  t.equal(cases.filter((c) => c.model.kind === 'mlp').length, 3)
})

t.test('symmetricEigen agrees with numpy.linalg.eigvalsh', async (t) => {
  let worst = 0
  for (const c of quadratics) {
    const A = (c.model as { A: number[][] }).A
    const n = A.length
    const matrix = symmetrised(A)
    const scale = scaleOf(c)
    const withVectors = symmetricEigen(matrix, n, true)
    const valuesOnly = symmetricEigen(matrix, n, false)
    const error = largestError(withVectors.values, c.eigenvalues) / scale
    worst = Math.max(worst, error)
    t.ok(error <= DENSE, `${c.name}: max |Δλ| / max |λ| = ${error}`)
    t.strictSame(valuesOnly.values, withVectors.values, `${c.name}: the same values without vectors`)
    t.notOk('vectors' in valuesOnly)
    const vectors = withVectors.vectors!
    t.ok(orthonormality(vectors, n, n) <= 1e-13, `${c.name}: orthonormal eigenvectors (${orthonormality(vectors, n, n)})`)
    let worstResidual = 0
    for (let k = 0; k < n; k++) {
      const x = Float64Array.from({ length: n }, (_, i) => vectors[i * n + k])
      worstResidual = Math.max(worstResidual, residual(matrix, x, withVectors.values[k]) / scale)
    }
    t.ok(worstResidual <= 1e-13, `${c.name}: max ‖Ax − λx‖ / max |λ| = ${worstResidual}`)
  }
  t.comment(`largest error against NumPy: ${worst} of max |λ|`)
})

t.test('symmetricEigen: n = 1, zero and diagonal matrices, extreme scales', async (t) => {
  t.strictSame(symmetricEigen([-3.5], 1, true), { values: Float64Array.from([-3.5]), vectors: Float64Array.from([1]) })
  const zero = symmetricEigen(new Float64Array(16), 4, true)
  t.strictSame(zero.values, new Float64Array(4))
  t.equal(orthonormality(zero.vectors!, 4, 4), 0, 'the identity')
  t.strictSame(symmetricEigen([5, 0, 0, 0, -1, 0, 0, 0, 2], 3, false).values, Float64Array.from([-1, 2, 5]))
  // Only the lower triangle is read.
  t.strictSame(symmetricEigen([2, 99, 0, 2], 2, false).values, Float64Array.from([2, 2]))
  const c = namedCase('quadratic-n5-random')
  const matrix = symmetrised((c.model as { A: number[][] }).A)
  const plain = symmetricEigen(matrix, 5, false).values
  for (const factor of [1e300, 1e-300, 2 ** 1000]) {
    const scaled = symmetricEigen(matrix.map((x) => x * factor), 5, false).values
    const error = largestError(scaled.map((x) => x / factor), Array.from(plain)) / scaleOf(c)
    t.ok(error <= 1e-14, `A × ${factor}: ${error}`)
  }
  t.strictSame(symmetricEigen([5e-324], 1, false).values, Float64Array.from([5e-324]), 'a subnormal')
})

t.test('symmetricEigen: repeated eigenvalues keep orthonormal eigenvectors', async (t) => {
  for (const name of ['quadratic-n6-ones-rank1', 'quadratic-n8-repeated', 'quadratic-n50-rank1', 'quadratic-n50-psd-rank20']) {
    const c = namedCase(name)
    const A = (c.model as { A: number[][] }).A
    const n = A.length
    const { values, vectors } = symmetricEigen(symmetrised(A), n, true)
    t.ok(largestError(values, c.eigenvalues) <= 1e-14 * scaleOf(c), `${name}: values`)
    t.ok(orthonormality(vectors!, n, n) <= 1e-13, `${name}: orthonormal (${orthonormality(vectors!, n, n)})`)
  }
  // The all-ones matrix: 0 five times and 6.
  const ones = symmetricEigen(new Float64Array(36).fill(1), 6, false).values
  t.ok(largestError(ones, [0, 0, 0, 0, 0, 6]) <= 1e-14, `ones: ${Array.from(ones)}`)
})

t.test('symmetricEigen and tridiagonalEigen reject what they cannot decompose', async (t) => {
  t.throws(() => symmetricEigen([1, 2, 3], 2, false), new ImpossibleInputError('the matrix has 3 entries; n × n = 2 × 2 needs 4 (n ≥ 1)'))
  t.throws(() => symmetricEigen([], 0, false), ImpossibleInputError)
  t.throws(() => symmetricEigen([1, NaN, NaN, 1], 2, false), new ImpossibleInputError('matrix[1] must be finite, got NaN'))
  t.throws(() => symmetricEigen([1, 0, Infinity, 1], 2, false), /matrix\[2\] must be finite, got Infinity/)
  t.throws(() => symmetricEigen([2, 1, 1, 2], 2, false, 0), /the QL algorithm did not converge in 0 iterations \(eigenvalue 1 of 2\)/)
  t.throws(() => tridiagonalEigen([1, 2], [], false), new ImpossibleInputError('a tridiagonal matrix with 2 diagonal entries needs 1 off-diagonal ones (k ≥ 1), got 0'))
  t.throws(() => tridiagonalEigen([], [], false), ImpossibleInputError)
  t.throws(() => tridiagonalEigen([1, 2], [-Infinity], false), /beta\[0\] must be finite, got -Infinity/)
  t.throws(() => tridiagonalEigen([1, 2, 3], [1, 1], true, 1), /did not converge in 1 iterations/)
})

t.test('tridiagonalEigen agrees with symmetricEigen on the same tridiagonal matrix', async (t) => {
  const random = spectrumRandom(7)
  const k = 40
  const alpha = Float64Array.from({ length: k }, () => random() - 0.5)
  const beta = Float64Array.from({ length: k - 1 }, () => random())
  const dense = new Float64Array(k * k)
  for (let i = 0; i < k; i++) dense[i * k + i] = alpha[i]
  for (let i = 0; i < k - 1; i++) dense[(i + 1) * k + i] = dense[i * k + i + 1] = beta[i]
  const tri = tridiagonalEigen(alpha, beta, true)
  t.ok(largestError(tri.values, Array.from(symmetricEigen(dense, k, false).values)) <= 1e-14)
  t.ok(orthonormality(tri.vectors!, k, k) <= 1e-14)
  for (let j = 0; j < k; j++) {
    const x = Float64Array.from({ length: k }, (_, i) => tri.vectors![i * k + j])
    t.ok(residual(dense, x, tri.values[j]) <= 1e-14, `pair ${j}`)
  }
  t.strictSame(tridiagonalEigen([4], [], true), { values: Float64Array.from([4]), vectors: Float64Array.from([1]) })
  t.strictSame(tridiagonalEigen([0, 0, 0], [0, 0], false).values, new Float64Array(3))
})

const WHICH: SpectrumEnd[] = ['largest', 'smallest', 'magnitude']

t.test('hessianEigenvalues, exact: every fixture case, every end of the spectrum', async (t) => {
  let worst = 0
  for (const c of cases) {
    const model = modelOf(c)
    const n = model.parameterCount
    const scale = scaleOf(c)
    const top = Math.min(5, n)
    for (const which of WHICH) {
      const result = hessianEigenvalues(model, pointOf(c), { top, which, vectors: true })
      const expected = expectedOrder(c, which).slice(0, top)
      const error = orderedError(result.eigenvalues, expected, which, 1e-8 * scale) / scale
      worst = Math.max(worst, error)
      t.ok(error <= DENSE, `${c.name} ${which}: ${error}; got ${result.eigenvalues}, expected ${expected}`)
      t.match(result, { method: 'exact', steps: n, hessianVectorProducts: n })
      t.equal(result.residuals.length, top)
      t.ok(Math.max(...result.residuals) <= 1e-13 * scale, `${c.name} ${which}: residuals ${result.residuals}`)
      t.equal(result.eigenvectors!.length, top)
      for (const x of result.eigenvectors!) {
        t.ok(Math.abs(Math.hypot(...x) - 1) <= 1e-14, 'unit')
        const largest = x.reduce((best, value, i) => Math.abs(value) > Math.abs(x[best]) ? i : best, 0)
        t.ok(x[largest] > 0, 'oriented: its largest entry positive')
      }
    }
  }
  t.comment(`largest error against NumPy / PyTorch: ${worst} of max |λ|`)
})

/** Lanczos steps for the top 5 to converge to 1e−8: n (the whole space) up to 60, else 120. */
const stepsFor = (n: number): number => n <= 60 ? n : 120

t.test('hessianEigenvalues, Lanczos: agrees with eigvalsh, residuals bound the error', async (t) => {
  let worst = 0
  for (const c of cases) {
    const model = modelOf(c)
    const n = model.parameterCount
    const scale = scaleOf(c)
    const top = Math.min(5, n)
    const steps = stepsFor(n)
    for (const which of WHICH) {
      const result = hessianEigenvalues(model, pointOf(c), { top, which, method: 'lanczos', steps })
      const expected = expectedOrder(c, which).slice(0, top)
      const error = orderedError(result.eigenvalues, expected, which, 1e-8 * scale) / scale
      worst = Math.max(worst, error)
      t.ok(error <= TOP, `${c.name} ${which}: ${error}; got ${result.eigenvalues}, expected ${expected}`)
      t.match(result, { method: 'lanczos', steps, hessianVectorProducts: steps + top })
      t.notOk('eigenvectors' in result)
      result.eigenvalues.forEach((theta, i) => {
        const distance = Math.min(...c.eigenvalues.map((lambda) => Math.abs(lambda - theta)))
        t.ok(distance <= result.residuals[i] + 1e-13 * scale, `${c.name} ${which} θ${i}: distance ${distance} ≤ residual ${result.residuals[i]}`)
      })
    }
  }
  t.comment(`largest error of converged Lanczos: ${worst} of max |λ|`)
})

t.test('Lanczos with few steps: unconverged, and the residual still bounds the error', async (t) => {
  for (const name of ['quadratic-n200-random', 'quadratic-n300-outliers', 'mlp-softplus-ce-4-8-8-3-b6']) {
    const c = namedCase(name)
    const model = modelOf(c)
    for (const steps of [10, 25]) {
      const result = hessianEigenvalues(model, pointOf(c), { top: 3, which: 'magnitude', method: 'lanczos', steps, vectors: true })
      result.eigenvalues.forEach((theta, i) => {
        const distance = Math.min(...c.eigenvalues.map((lambda) => Math.abs(lambda - theta)))
        t.ok(distance <= result.residuals[i] * (1 + 1e-12), `${name}, ${steps} steps, θ${i} = ${theta}: distance ${distance} ≤ ${result.residuals[i]}`)
        const x = result.eigenvectors![i]
        const hx = model.evaluate(pointOf(c), x).hv!
        const measured = Math.hypot(...x.map((xi, j) => hx[j] - theta * xi))
        t.ok(Math.abs(measured - result.residuals[i]) <= 1e-12 * scaleOf(c), 'the residual is ‖Hx − θx‖ of the returned vector')
      })
    }
  }
})

t.test('Lanczos and exact eigenvectors agree for a well-separated eigenvalue', async (t) => {
  const c = namedCase('quadratic-n300-outliers')
  const model = modelOf(c)
  const exact = hessianEigenvalues(model, pointOf(c), { top: 2, which: 'largest', vectors: true })
  const ritz = hessianEigenvalues(model, pointOf(c), { top: 2, which: 'largest', vectors: true, method: 'lanczos', steps: 120 })
  for (let k = 0; k < 2; k++) {
    t.ok(largestError(ritz.eigenvectors![k], exact.eigenvectors![k]) <= 1e-8, `vector ${k}`)
  }
})

t.test('hessianEigenvalues: the same seed gives the same bits, other seeds the same answer', async (t) => {
  const c = namedCase('quadratic-n200-random')
  const model = modelOf(c)
  const options = { top: 4, which: 'largest' as const, method: 'lanczos' as const, steps: 90, vectors: true }
  const first = hessianEigenvalues(model, pointOf(c), { ...options, seed: 12345 })
  t.strictSame(hessianEigenvalues(model, pointOf(c), { ...options, seed: 12345 }), first)
  t.strictSame(hessianEigenvalues(model, pointOf(c), options), hessianEigenvalues(model, pointOf(c), { ...options, seed: 0 }), 'seed 0 is the default')
  const expected = expectedOrder(c, 'largest').slice(0, 4)
  for (const seed of [1, 2, 3, 4294967295]) {
    const other = hessianEigenvalues(model, pointOf(c), { ...options, seed })
    t.notSame(other.eigenvalues, first.eigenvalues, `seed ${seed} starts elsewhere`)
    t.ok(largestError(other.eigenvalues, expected) <= TOP * scaleOf(c), `seed ${seed}`)
  }
  const exact = { top: 3, which: 'smallest' as const, vectors: true }
  t.strictSame(hessianEigenvalues(model, pointOf(c), exact), hessianEigenvalues(model, pointOf(c), exact))
})

t.test('hessianEigenvalues: n = 1, a zero Hessian, and ±a of equal magnitude', async (t) => {
  const one = new QuadraticModel([[-0.75]])
  for (const method of ['exact', 'lanczos'] as const) {
    t.strictSame(hessianEigenvalues(one, [3], { top: 1, which: 'magnitude', method, vectors: true }),
      { eigenvalues: [-0.75], eigenvectors: [[1]], method, steps: 1, residuals: [0], hessianVectorProducts: method === 'exact' ? 1 : 2 })
  }
  const zero = new QuadraticModel([[0, 0, 0], [0, 0, 0], [0, 0, 0]])
  for (const method of ['exact', 'lanczos'] as const) {
    const result = hessianEigenvalues(zero, [1, 2, 3], { top: 3, which: 'largest', method })
    t.strictSame(result.eigenvalues, [0, 0, 0], method)
    t.strictSame(result.residuals, [0, 0, 0], method)
  }
  // Eigenvalues 3 and −3 (and 1): by magnitude, the positive one first.
  const pair = diagonalModel([-3, 1, 3])
  t.strictSame(hessianEigenvalues(pair, [0, 0, 0], { top: 3, which: 'magnitude' }).eigenvalues, [3, -3, 1])
  t.strictSame(hessianEigenvalues(pair, [0, 0, 0], { top: 2, which: 'smallest' }).eigenvalues, [-3, 1])
})

t.test('hessianEigenvalues: breakdown on a rank-1 Hessian, then a restart finds the zeros', async (t) => {
  const c = namedCase('quadratic-n50-rank1')
  const model = modelOf(c)
  const largest = c.eigenvalues[49]
  t.ok(Math.abs(largest - 231) <= 1e-13 * 231, `‖u‖² = 231, NumPy ${largest}`)
  const result = hessianEigenvalues(model, pointOf(c), { top: 4, which: 'largest', method: 'lanczos', steps: 6 })
  t.equal(result.steps, 6)
  t.ok(largestError(result.eigenvalues, [231, 0, 0, 0]) <= 1e-13 * largest, `${result.eigenvalues}`)
  t.ok(Math.max(...result.residuals) <= 1e-12 * largest, `${result.residuals}`)
})

t.test('hessianEigenvalues: above EXACT_SPECTRUM_MAX_PARAMETERS, Lanczos by default', async (t) => {
  const n = EXACT_SPECTRUM_MAX_PARAMETERS + 1
  // Three outliers above a bulk in [0, 1): Lanczos' default 20 steps resolve them.
  const diagonal = Array.from({ length: n }, (_, i) => i < 3 ? 1000 - 100 * i : i / n)
  const model = diagonalModel(diagonal)
  const w = new Array<number>(n).fill(0)
  const result = hessianEigenvalues(model, w, { top: 3, which: 'largest' })
  t.match(result, { method: 'lanczos', steps: 20, hessianVectorProducts: 23 })
  t.ok(largestError(result.eigenvalues, [1000, 900, 800]) <= 1e-10 * 1000, `${result.eigenvalues}`)
  t.equal(hessianEigenvalues(model, w, { top: 10, which: 'smallest', steps: 40 }).steps, 40)
  t.throws(() => hessianEigenvalues(model, w, { top: 1, which: 'largest', method: 'exact' }),
    new LimitExceededError(`the exact spectrum forms the ${n} × ${n} Hessian; above 400 parameters (EXACT_SPECTRUM_MAX_PARAMETERS) use method 'lanczos'`))
  t.equal(hessianEigenvalues(diagonalModel(diagonal.slice(0, 400)), w.slice(0, 400), { top: 1, which: 'largest' }).method, 'exact')
})

t.test('hessianEigenvalues: extreme scales go through Lanczos unharmed', async (t) => {
  const c = namedCase('quadratic-n5-random')
  const A = (c.model as { A: number[][] }).A
  for (const factor of [1e-160, 1e160]) {
    const model = new QuadraticModel(A.map((row) => row.map((x) => x * factor)))
    const result = hessianEigenvalues(model, [0, 0, 0, 0, 0], { top: 5, which: 'smallest', method: 'lanczos', steps: 5 })
    const error = largestError(result.eigenvalues.map((x) => x / factor), c.eigenvalues) / scaleOf(c)
    t.ok(error <= 1e-13, `× ${factor}: ${error}`)
  }
})

t.test('hessianEigenvalues, exact: entries near the largest double are symmetrised without overflow, subnormals exactly', async (t) => {
  // H = [[a, a], [a, a]] with a = 1e308: eigenvalues 2a (beyond float64) and 0. Averaging the
  // formed matrix with its transpose as (x + y)/2 overflowed to ∞ and refused a finite Hessian.
  const result = hessianEigenvalues(new QuadraticModel([[1e308, 1e308], [1e308, 1e308]]), [0, 0], { top: 2, which: 'largest', method: 'exact' })
  t.strictSame(result.eigenvalues, [Infinity, 0])
  // [[0, a], [a, 0]]: eigenvalues ±a, both finite.
  const swap = hessianEigenvalues(new QuadraticModel([[0, 1e308], [1e308, 0]]), [0, 0], { top: 2, which: 'largest', method: 'exact' })
  t.ok(Math.abs(swap.eigenvalues[0] - 1e308) <= 1e-15 * 1e308 && Math.abs(swap.eigenvalues[1] + 1e308) <= 1e-15 * 1e308, `${swap.eigenvalues}`)
  // And at the other end, halving each entry first would round subnormals: (A + Aᵀ)/2 of this
  // A is [[0, 1.5e-323], [1.5e-323, 0]] exactly.
  t.strictSame(hessianEigenvalues(new QuadraticModel([[0, 1e-323], [2e-323, 0]]), [0, 0], { top: 2, which: 'largest', method: 'exact' }).eigenvalues, [1.5e-323, -1.5e-323])
})

t.test('hessianEigenvalues: what it refuses', async (t) => {
  const model = new QuadraticModel([[1, 0], [0, 2]])
  t.throws(() => hessianEigenvalues(model, [0], { top: 1, which: 'largest' }), new ImpossibleInputError('w has 1 entries; the model has 2 parameters'))
  for (const top of [0, 3, 1.5]) {
    t.throws(() => hessianEigenvalues(model, [0, 0], { top, which: 'largest' }),
      new ImpossibleInputError(`top must be an integer in [1, 2], the number of eigenvalues of the 2 × 2 Hessian; got ${top}`))
  }
  t.throws(() => hessianEigenvalues(model, [0, 0], { top: 1, which: 'middle' as SpectrumEnd }), new InvalidRequestError('which must be \'largest\', \'smallest\' or \'magnitude\', got "middle"'))
  t.throws(() => hessianEigenvalues(model, [0, 0], { top: 1, which: 'toString' as SpectrumEnd }), InvalidRequestError)
  for (const seed of [-1, 0.5, 2 ** 32]) {
    t.throws(() => hessianEigenvalues(model, [0, 0], { top: 1, which: 'largest', seed }), new InvalidRequestError(`seed must be an integer in [0, 4294967295], got ${seed}`))
  }
  for (const steps of [1, 1.5]) {
    t.throws(() => hessianEigenvalues(model, [0, 0], { top: 2, which: 'largest', method: 'lanczos', steps }),
      new ImpossibleInputError(`steps must be an integer ≥ top = 2 (one Ritz value per step), got ${steps}`))
  }
  t.equal(hessianEigenvalues(model, [0, 0], { top: 2, which: 'largest', method: 'lanczos', steps: 50 }).steps, 2, 'steps clamped to n')
  const overflowing: DifferentiableModel = { parameterCount: 2, evaluate: () => ({ value: 0, gradient: [0, 0], hv: [1, Infinity] }) }
  t.throws(() => hessianEigenvalues(overflowing, [0, 0], { top: 1, which: 'largest' }),
    new ImpossibleInputError('∇²f(w)·v[1] is Infinity: the Hessian-vector product overflows at this w'))
  const nan: DifferentiableModel = { parameterCount: 1, evaluate: () => ({ value: 0, gradient: [0], hv: [NaN] }) }
  t.throws(() => hessianOperator(nan, [0])(new Float64Array(1)), /is NaN/)
  // A run that fails gives back a workspace grown past WORKSPACE_KEEP_BYTES all the same.
  const n = 500_000
  let products = 0
  const failing: DifferentiableModel = {
    parameterCount: n,
    evaluate: (_w, v) => ({ value: 0, gradient: [], hv: products++ < 25 ? v! : new Float64Array(n).fill(Infinity) })
  }
  t.throws(() => hessianEigenvalues(failing, new Float64Array(n), { top: 1, which: 'largest', method: 'lanczos', steps: 30 }), /overflows at this w/)
  t.ok(products > 20, `the basis grew: ${products} products`)
  t.ok(spectrumWorkspaceBytes() <= WORKSPACE_KEEP_BYTES, `then was given back: ${spectrumWorkspaceBytes()} bytes`)
  // Entries whose squares overflow are still finite: a product, not an error.
  const huge = hessianOperator(new QuadraticModel([[1e200, 0], [0, 1e200]]), [0, 0])(Float64Array.from([1, 1]))
  t.strictSame(Array.from(huge), [1e200, 1e200], 'a product of finite entries whose sum of squares overflows')
})

t.test('lanczos: an orthonormal basis that tridiagonalises H', async (t) => {
  const c = namedCase('quadratic-n200-random')
  const n = c.eigenvalues.length
  const multiply = hessianOperator(modelOf(c), pointOf(c))
  for (const start of ['gaussian', 'rademacher'] as const) {
    const steps = 60
    const run = lanczos(multiply, n, steps, spectrumRandom(3), { start })
    t.match(run, { steps, breakdown: false })
    t.equal(run.alpha.length, steps)
    t.equal(run.beta.length, steps - 1)
    const q = new Float64Array(n * steps)
    run.basis.forEach((v, j) => { for (let i = 0; i < n; i++) q[i * steps + j] = v[i] })
    t.ok(orthonormality(q, n, steps) <= 1e-14, `${start}: max |QᵀQ − I| = ${orthonormality(q, n, steps)}`)
    // QᵀHQ = T to rounding.
    let worst = 0
    for (let a = 0; a < steps; a++) {
      const hq = multiply(run.basis[a])
      for (let b = 0; b < steps; b++) {
        let entry = 0
        for (let i = 0; i < n; i++) entry += run.basis[b][i] * hq[i]
        const expected = a === b ? run.alpha[a] : Math.abs(a - b) === 1 ? run.beta[Math.min(a, b)] : 0
        worst = Math.max(worst, Math.abs(entry - expected))
      }
    }
    t.ok(worst <= 1e-12 * scaleOf(c), `${start}: max |QᵀHQ − T| = ${worst}`)
    if (start === 'rademacher') t.ok(run.basis[0].every((x) => Math.abs(Math.abs(x) - 1 / Math.sqrt(n)) <= 1e-16), 'q₀ = z/√n')
  }
  t.equal(lanczos(multiply, n, 500, spectrumRandom(0)).steps, n, 'steps clamped to n')
  // A spectrum far from 0, [2, 6]: the basis stays orthonormal and the top Ritz value is 6.
  const shifted = hessianOperator(diagonalModel(Array.from({ length: 401 }, (_, i) => 2 + 4 * i / 400)), new Array(401).fill(0))
  const far = lanczos(shifted, 401, 60, spectrumRandom(1))
  const basisMatrix = new Float64Array(401 * 60)
  far.basis.forEach((v, j) => { for (let i = 0; i < 401; i++) basisMatrix[i * 60 + j] = v[i] })
  t.ok(orthonormality(basisMatrix, 401, 60) <= 1e-13, `a shifted spectrum: max |QᵀQ − I| = ${orthonormality(basisMatrix, 401, 60)}`)
  const ritz = tridiagonalEigen(far.alpha, far.beta, false).values
  t.ok(ritz[0] >= 2 - 1e-12 && ritz[59] <= 6 + 1e-12, `the Ritz values lie in [2, 6] (Cauchy interlacing): [${ritz[0]}, ${ritz[59]}]`)
  t.ok(ritz[59] > 5.99, `and the largest nears 6: ${ritz[59]}`)
  // An operator that ignores `out` and returns its own array: the same process.
  const own = lanczos((v) => multiply(v), n, 20, spectrumRandom(3))
  const into = lanczos(multiply, n, 20, spectrumRandom(3))
  t.strictSame(Array.from(own.alpha), Array.from(into.alpha), 'an operator returning new arrays gives the same T')
  const combined = into.combine([1, 0.5])
  t.ok(combined.every((x, i) => Math.abs(x - (into.basis[0][i] + 0.5 * into.basis[1][i])) <= 1e-15), 'combine: Σ s_i q_i')
  const odd = lanczos(hessianOperator(modelOf(namedCase('quadratic-n5-random')), [0, 0, 0, 0, 0]), 5, 5, spectrumRandom(0))
  t.ok(odd.basis[0].every((x) => x !== 0), 'a Gaussian start of odd length is filled')
  for (const [size, steps] of [[0, 1], [3, 0], [3, 1.5], [1.5, 1]]) {
    t.throws(() => lanczos(multiply, size, steps, spectrumRandom(0)), new ImpossibleInputError(`Lanczos needs integers n ≥ 1 and steps ≥ 1, got n = ${size}, steps = ${steps}`))
  }
})

t.test('lanczos: breakdown on an invariant subspace, with and without restart', async (t) => {
  const c = namedCase('quadratic-n50-rank1')
  const multiply = hessianOperator(modelOf(c), pointOf(c))
  const stopped = lanczos(multiply, 50, 10, spectrumRandom(0))
  t.match(stopped, { steps: 2, breakdown: true })
  t.ok(largestError(tridiagonalEigen(stopped.alpha, stopped.beta, false).values, [0, 231]) <= 1e-13 * 231, 'span{q₀, u}: T has 0 and 231')
  const restarted = lanczos(multiply, 50, 10, spectrumRandom(0), { restart: true })
  t.match(restarted, { steps: 10, breakdown: false })
  t.equal(restarted.beta[1], 0, 'a new block after the breakdown')
  const zero = lanczos(hessianOperator(new QuadraticModel([[0, 0], [0, 0]]), [0, 0]), 2, 2, spectrumRandom(0))
  t.match(zero, { steps: 1, breakdown: true })
  t.strictSame(zero.alpha, new Float64Array(1))
  const identity = lanczos(hessianOperator(diagonalModel([2, 2, 2]), [0, 0, 0]), 3, 3, spectrumRandom(0), { restart: true })
  t.strictSame(Array.from(identity.beta), [0, 0], '2I: every step breaks down and restarts')
  t.ok(largestError(identity.alpha, [2, 2, 2]) <= 1e-15)
})

t.test('hutchinsonTrace: within 5 standard errors of the exact trace', async (t) => {
  for (const c of cases) {
    const n = c.eigenvalues.length
    if (n < 5 || c.name.includes('zero')) continue
    const multiply = hessianOperator(modelOf(c), pointOf(c))
    const exact = exactHessianTrace(multiply, n)
    t.ok(Math.abs(exact - c.trace) <= 1e-12 * Math.max(1, Math.abs(c.trace), scaleOf(c)), `${c.name}: exact trace ${exact} vs ${c.trace}`)
    const small = hutchinsonTrace(multiply, n, 25, spectrumRandom(11))
    const large = hutchinsonTrace(multiply, n, 400, spectrumRandom(11))
    for (const estimate of [small, large]) {
      t.ok(estimate.standardError > 0, `${c.name}: standard error ${estimate.standardError}`)
      const z = (estimate.estimate - c.trace) / estimate.standardError
      t.ok(Math.abs(z) <= 5, `${c.name}, ${estimate.samples} samples: ${estimate.estimate} ± ${estimate.standardError} vs ${c.trace} (z = ${z})`)
    }
    // 16 times the samples: a quarter of the standard error, give or take the estimate's own noise.
    const ratio = large.standardError / small.standardError
    t.ok(ratio > 0.15 && ratio < 0.4, `${c.name}: standard error ratio ${ratio}`)
  }
})

t.test('hutchinsonTrace: exact for a diagonal Hessian, deterministic, and its limits', async (t) => {
  const multiply = hessianOperator(diagonalModel([1, -2, 3.5, 4, 0.25]), [0, 0, 0, 0, 0])
  t.strictSame(hutchinsonTrace(multiply, 5, 10, spectrumRandom(0)), { estimate: 6.75, standardError: 0, samples: 10 })
  t.strictSame(hutchinsonTrace(hessianOperator(new QuadraticModel([[2.5]]), [0]), 1, 3, spectrumRandom(0)), { estimate: 2.5, standardError: 0, samples: 3 })
  const c = namedCase('mlp-tanh-ce-3-4-2-b5')
  const model = hessianOperator(modelOf(c), pointOf(c))
  t.strictSame(hutchinsonTrace(model, 26, 40, spectrumRandom(9)), hutchinsonTrace(model, 26, 40, spectrumRandom(9)))
  // 70 entries: more than two 32-sign draws.
  const long = diagonalModel(Array.from({ length: 70 }, (_, i) => i))
  t.equal(hutchinsonTrace(hessianOperator(long, new Array<number>(70).fill(0)), 70, 2, spectrumRandom(0)).estimate, 2415)
  for (const samples of [1, 2.5]) {
    t.throws(() => hutchinsonTrace(multiply, 5, samples, spectrumRandom(0)), new ImpossibleInputError(`samples must be an integer ≥ 2 (a standard error needs two), got ${samples}`))
  }
})

t.test('spectralDensity: mass 1, nodes inside the spectrum, weights summing to 1', async (t) => {
  for (const c of cases) {
    const n = c.eigenvalues.length
    const multiply = hessianOperator(modelOf(c), pointOf(c))
    const density = spectralDensity(multiply, n, { runs: 4, steps: Math.min(n, 30), points: 200, random: spectrumRandom(5) })
    const scale = scaleOf(c)
    const integral = trapezoid(density.grid, density.values)
    t.ok(Math.abs(integral - 1) <= 1e-2, `${c.name}: ∫ = ${integral}`)
    t.equal(density.grid.length, 200)
    t.equal(density.values.length, 200)
    t.ok(Math.abs(density.weights.reduce((a, b) => a + b, 0) - 1) <= 1e-12, `${c.name}: Σ weights`)
    t.equal(density.nodes.length, density.weights.length)
    const [low, high] = [c.eigenvalues[0], c.eigenvalues[n - 1]]
    t.ok(density.nodes.every((x) => x >= low - 1e-12 * scale && x <= high + 1e-12 * scale), `${c.name}: nodes in [${low}, ${high}]`)
    t.ok(density.values.every((x) => x >= 0))
    const [lowNode, highNode] = [Math.min(...density.nodes), Math.max(...density.nodes)]
    t.ok(Math.abs(density.grid[0] - (lowNode - 5 * density.sigma)) <= 1e-12 * scale, 'the grid starts 5σ below the lowest node')
    t.ok(Math.abs(density.grid[199] - (highNode + 5 * density.sigma)) <= 1e-9 * scale, 'and ends 5σ above the highest')
    if (highNode > lowNode) t.equal(density.sigma, (highNode - lowNode) / 50)
  }
})

t.test('spectralDensity: Gauss quadrature of the start vector\'s spectral measure', async (t) => {
  const c = namedCase('quadratic-n50-indefinite')
  const multiply = hessianOperator(modelOf(c), pointOf(c))
  // Σ wⱼθⱼ = e₁ᵀTe₁ = q₀ᵀHq₀ = zᵀHz/n: the same draws as Hutchinson's with as many samples as runs.
  const density = spectralDensity(multiply, 50, { runs: 6, steps: 12, points: 50, random: spectrumRandom(8) })
  const mean = density.nodes.reduce((sum, node, j) => sum + node * density.weights[j], 0)
  const trace = hutchinsonTrace(multiply, 50, 6, spectrumRandom(8))
  t.ok(Math.abs(mean * 50 - trace.estimate) <= 1e-12 * 50 * scaleOf(c), `${mean * 50} vs ${trace.estimate}`)
  // With n steps the nodes are every eigenvalue (distinct ones here).
  const full = spectralDensity(multiply, 50, { runs: 1, steps: 50, points: 10, random: spectrumRandom(8) })
  t.ok(largestError(full.nodes, c.eigenvalues) <= 1e-12 * scaleOf(c), 'all eigenvalues')
  t.strictSame(spectralDensity(multiply, 50, { runs: 2, steps: 10, points: 30, random: spectrumRandom(1) }),
    spectralDensity(multiply, 50, { runs: 2, steps: 10, points: 30, random: spectrumRandom(1) }), 'deterministic')
  const narrow = spectralDensity(multiply, 50, { runs: 1, steps: 50, points: 4000, sigma: 0.01, random: spectrumRandom(8) })
  t.equal(narrow.sigma, 0.01)
  t.ok(Math.abs(trapezoid(narrow.grid, narrow.values) - 1) <= 1e-6, 'a given σ with a fine grid')
})

t.test('spectralDensity: a zero Hessian, a multiple of I, n = 1, and its limits', async (t) => {
  const zero = spectralDensity(hessianOperator(new QuadraticModel([[0, 0], [0, 0]]), [0, 0]), 2, { runs: 3, steps: 2, points: 101, random: spectrumRandom(0) })
  t.strictSame(zero.nodes, [0, 0, 0])
  t.equal(zero.sigma, 1 / 50, 'no width and no scale: σ = 1/50')
  t.ok(Math.abs(trapezoid(zero.grid, zero.values) - 1) <= 1e-6)
  t.equal(zero.values[50], 1 / (zero.sigma * Math.sqrt(2 * Math.PI)), 'the peak at 0')
  const scaled = spectralDensity(hessianOperator(diagonalModel([-4, -4, -4, -4]), [0, 0, 0, 0]), 4, { runs: 2, steps: 4, points: 101, random: spectrumRandom(0) })
  t.equal(scaled.nodes.length, 2, 'one node per run: breakdown at once')
  t.ok(largestError(scaled.nodes, [-4, -4]) <= 1e-15)
  t.equal(scaled.sigma, 4 / 50, 'no width: σ from the magnitude')
  t.ok(Math.abs(trapezoid(scaled.grid, scaled.values) - 1) <= 1e-6)
  const one = spectralDensity(hessianOperator(new QuadraticModel([[2.5]]), [0]), 1, { runs: 1, steps: 5, points: 11, random: spectrumRandom(0) })
  t.strictSame([one.nodes, one.weights], [[2.5], [1]])
  const multiply = hessianOperator(diagonalModel([1, 2]), [0, 0])
  const random = spectrumRandom(0)
  for (const [runs, points] of [[0, 10], [1.5, 10], [1, 1], [1, 2.5]]) {
    t.throws(() => spectralDensity(multiply, 2, { runs, steps: 2, points, random }),
      new ImpossibleInputError(`the density needs integers runs ≥ 1 and points ≥ 2, got runs = ${runs}, points = ${points}`))
  }
  for (const sigma of [0, -1, NaN, Infinity]) {
    t.throws(() => spectralDensity(multiply, 2, { runs: 1, steps: 2, points: 10, sigma, random }), new ImpossibleInputError(`sigma must be finite and > 0, got ${sigma}`))
  }
  t.throws(() => spectralDensity(multiply, 2, { runs: 1, steps: 0, points: 10, random }), ImpossibleInputError)
})
