import { Type } from '@sinclair/typebox'
import { EXACT_SPECTRUM_MAX_PARAMETERS, exactHessianTrace, hessianEigenvalues, hessianOperator, hutchinsonTrace, spectralDensity, spectrumRandom } from '../math/spectrum.js'
import { LimitExceededError } from '../math/errors.js'
import { NonFiniteCollector } from './finite.js'
import { defaultSteps, hessianSpectrumNanoseconds, SPECTRUM_DEFAULTS } from './hessian-spectrum-cost.js'
import { ASSIGNMENT_MLP_EXAMPLE } from './hvp.js'
import { buildModel, ModelSchema } from './models.js'
import { ParameterVector } from './parameter-vector.js'
import { defineOperation } from './operation.js'
import { mlpProblem, spreadSpectrum, wave } from './sample-inputs.js'
import { NullableNumber, Warnings } from './schemas.js'

/** Bounds of the request's counts, so a request cannot ask for unbounded work or answer size. */
export const SPECTRUM_LIMITS = { top: 100, steps: 500, traceSamples: 1000, densityRuns: 20, points: 2000 } as const
/**
 * Lanczos keeps its whole basis (full reorthogonalisation needs it): steps + 1 vectors of n
 * doubles. 25 million doubles are 200 MB, 86 steps of the assignment's 284,682-parameter MLP.
 */
export const SPECTRUM_MAX_BASIS_ENTRIES = 25_000_000
/**
 * The eigenvectors' entries in an answer (top × n with vectors: true): 5 million numbers are
 * about 100 MB of JSON, 17 eigenvectors of the assignment's MLP.
 */
export const SPECTRUM_MAX_VECTOR_ENTRIES = 5_000_000

/**
 * Refused before any product: eigenvectors over SPECTRUM_MAX_VECTOR_ENTRIES, the exact method
 * over its size, and a Lanczos basis over SPECTRUM_MAX_BASIS_ENTRIES (the time budget bounds
 * the rest).
 * @throws {LimitExceededError}
 */
function checkSpectrumLimits (input: { w: ArrayLike<number>, top?: number, method?: string, steps?: number, vectors?: boolean, density?: boolean, densitySteps?: number }): void {
  const n = input.w.length
  const top = Math.min(n, input.top ?? SPECTRUM_DEFAULTS.top)
  if (input.vectors === true && top * n > SPECTRUM_MAX_VECTOR_ENTRIES) {
    throw new LimitExceededError(`vectors: ${top} eigenvectors of ${n} entries are ${top * n} numbers, over the limit of ${SPECTRUM_MAX_VECTOR_ENTRIES} in an answer; ask for top ≤ ${Math.max(1, Math.floor(SPECTRUM_MAX_VECTOR_ENTRIES / n))} here, or for the eigenvalues alone`)
  }
  const exact = (input.method ?? (n <= EXACT_SPECTRUM_MAX_PARAMETERS ? 'exact' : 'lanczos')) === 'exact'
  if (exact && n > EXACT_SPECTRUM_MAX_PARAMETERS) {
    throw new LimitExceededError(`method 'exact' forms the ${n} × ${n} Hessian; above ${EXACT_SPECTRUM_MAX_PARAMETERS} parameters use method 'lanczos'`)
  }
  const eigenSteps = exact ? 0 : Math.min(n, input.steps ?? defaultSteps(n, input.top ?? SPECTRUM_DEFAULTS.top))
  const densitySteps = input.density === true ? Math.min(n, input.densitySteps ?? SPECTRUM_DEFAULTS.densitySteps) : 0
  const steps = Math.max(eigenSteps, densitySteps)
  if ((steps + 1) * n > SPECTRUM_MAX_BASIS_ENTRIES) {
    throw new LimitExceededError(`Lanczos keeps ${steps} + 1 basis vectors of ${n} entries, (steps + 1) × n = ${(steps + 1) * n}, over the limit of ${SPECTRUM_MAX_BASIS_ENTRIES} (${SPECTRUM_MAX_BASIS_ENTRIES * 8 / 1e6} MB); ask for fewer steps or densitySteps (at most ${Math.floor(SPECTRUM_MAX_BASIS_ENTRIES / n) - 1} here)`)
  }
}

const SpectrumMethod = Type.Union([Type.Literal('exact'), Type.Literal('lanczos')], {
  title: 'SpectrumMethod',
  description: `exact: H formed from n products and diagonalised (default up to ${EXACT_SPECTRUM_MAX_PARAMETERS} parameters); lanczos: Rayleigh–Ritz on a Krylov space (default above)`
})

const Which = Type.Union([Type.Literal('largest'), Type.Literal('smallest'), Type.Literal('magnitude')], {
  title: 'SpectrumEnd',
  description: 'largest: the top eigenvalues in descending order; smallest: the bottom ones ascending; magnitude: by descending |λ|'
})

export const hessianSpectrumOperation = defineOperation({
  name: 'hessianSpectrum',
  path: '/hessian-spectrum',
  summary: 'Hessian eigenvalues, trace and spectral density (what PyHessian computes)',
  description: 'The spectrum of ∇²f(w) for the models of /hvp, from exact Hessian-vector products only (PyHessian, Yao et al. 2020). ' +
    `eigenvalues: exact when the model has at most ${EXACT_SPECTRUM_MAX_PARAMETERS} parameters (H formed from n products and diagonalised), ` +
    'otherwise Lanczos with full reorthogonalisation from a seeded Gaussian start (the Ritz values; each with its residual ‖Hx − λx‖, ' +
    'which bounds the distance to a true eigenvalue). trace: Hutchinson\'s estimator with Rademacher probes and its standard error ' +
    `(and the exact trace up to ${EXACT_SPECTRUM_MAX_PARAMETERS} parameters). density: stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017), ` +
    'the nodes smoothed by Gaussians on a grid. Everything is deterministic for a seed. The top eigenvalue is the sharpest curvature: ' +
    'a gradient step of size 2/λ_max diverges, and a pure Newton step on a quadratic divides by every λ (question 3.1). ' +
    'Accept: image/svg+xml draws the density (with density: true). Same model limits as /hvp; the whole request is refused up front ' +
    '(413) when its estimate exceeds the time budget: ask for fewer steps, samples or runs.',
  questions: ['3.1', '3.6'],
  body: Type.Object({
    model: ModelSchema,
    w: ParameterVector('the point, one entry per parameter'),
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: SPECTRUM_LIMITS.top, default: SPECTRUM_DEFAULTS.top, description: `how many eigenvalues (at most n and ${SPECTRUM_LIMITS.top})` })),
    which: Type.Optional(Which),
    method: Type.Optional(SpectrumMethod),
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: SPECTRUM_LIMITS.steps, description: 'Lanczos steps for the eigenvalues (default min(n, max(2·top + 10, 20))); each is one Hessian-vector product' })),
    vectors: Type.Optional(Type.Boolean({ description: 'also the (Ritz) eigenvectors, unit length, each with its largest entry positive' })),
    trace: Type.Optional(Type.Boolean({ description: 'also Hutchinson\'s estimate of tr H' })),
    traceSamples: Type.Optional(Type.Integer({ minimum: 2, maximum: SPECTRUM_LIMITS.traceSamples, default: SPECTRUM_DEFAULTS.traceSamples, description: 'Rademacher probes for the trace, one product each' })),
    density: Type.Optional(Type.Boolean({ description: 'also the spectral density by stochastic Lanczos quadrature' })),
    densityRuns: Type.Optional(Type.Integer({ minimum: 1, maximum: SPECTRUM_LIMITS.densityRuns, default: SPECTRUM_DEFAULTS.densityRuns, description: 'Lanczos runs averaged for the density' })),
    densitySteps: Type.Optional(Type.Integer({ minimum: 1, maximum: SPECTRUM_LIMITS.steps, default: SPECTRUM_DEFAULTS.densitySteps, description: 'Lanczos steps per density run (quadrature nodes), at most n' })),
    points: Type.Optional(Type.Integer({ minimum: 2, maximum: SPECTRUM_LIMITS.points, default: SPECTRUM_DEFAULTS.points, description: 'grid points of the density' })),
    sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'width of the Gaussian around each node (default 1/50 of the nodes\' range)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, default: 0, description: 'seed of the start vectors and probes: the same seed gives the same answer' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    eigenvalues: Type.Array(NullableNumber, { description: 'in the order of `which`' }),
    eigenvectors: Type.Optional(Type.Array(Type.Array(NullableNumber), { description: 'one per eigenvalue, when vectors: true' })),
    residuals: Type.Array(NullableNumber, { description: '‖Hx − λx‖ for each pair: an eigenvalue of H lies within it of λ' }),
    method: SpectrumMethod,
    steps: Type.Integer({ description: 'Lanczos steps taken (n when exact)' }),
    hessianVectorProducts: Type.Integer({ description: 'products computed for the whole answer' }),
    trace: Type.Optional(Type.Object({
      estimate: NullableNumber,
      standardError: NullableNumber,
      samples: Type.Integer(),
      exact: Type.Optional(NullableNumber)
    }, { title: 'TraceEstimate', description: 'Hutchinson: the mean of zᵀHz over Rademacher z and its standard error (sample deviation / √samples); exact: Σ eᵢᵀHeᵢ for small models' })),
    density: Type.Optional(Type.Object({
      grid: Type.Array(NullableNumber),
      values: Type.Array(NullableNumber, { description: 'the density at each grid point; it integrates to about 1' }),
      sigma: NullableNumber,
      nodes: Type.Array(NullableNumber, { description: 'every run\'s Ritz values (quadrature nodes)' }),
      weights: Type.Array(NullableNumber, { description: 'their Gauss quadrature weights over the runs: they sum to 1' })
    }, { title: 'SpectralDensity' })),
    warnings: Type.Optional(Warnings)
  }),
  examples: [
    { summary: 'a quadratic: the top two eigenvalues, exact, and the trace', value: { model: { kind: 'quadratic', A: [[4, 1, 0], [1, 3, 0], [0, 0, -1]] }, w: [0, 0, 0], top: 2, trace: true } },
    { summary: 'a small MLP: the sharpest curvature and the density', value: { model: ASSIGNMENT_MLP_EXAMPLE, w: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.01, 0.02, 0.03, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 0.05, -0.05], density: true, points: 60 } },
    { summary: 'Lanczos on a formula, the smallest eigenvalue', value: { model: { kind: 'expression', expression: 'x^4 - 3*x*y + y^2', variables: ['x', 'y'] }, w: [1, 1], which: 'smallest', method: 'lanczos' } }
  ],
  bodyLimit: 'hvpBodyLimit',
  edgeCases: [
    { model: { kind: 'quadratic', A: [[0]] }, w: [0], trace: true, density: true },
    { model: { kind: 'quadratic', A: [[2, 0], [0, 2]] }, w: [1, 1], method: 'lanczos', top: 2, vectors: true, which: 'magnitude' },
    { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [700] }
  ],
  cost: hessianSpectrumNanoseconds,
  checkLimits: checkSpectrumLimits,
  costLadder: () => [
    { summary: 'a 2 × 2 quadratic', value: { model: { kind: 'quadratic' as const, A: [[4, 1], [1, 3]] }, w: [1, 1] } },
    { summary: 'a 100 × 100 quadratic, exact', value: { model: { kind: 'quadratic' as const, A: spreadSpectrum(100) }, w: wave(100) } },
    { summary: 'question 3\'s MLP, batch 8, 20 Lanczos steps', value: { model: mlpProblem([32, 512, 512, 10], 8).model, w: mlpProblem([32, 512, 512, 10], 8).w, steps: 20 } },
    { summary: 'a 400 × 400 quadratic, exact, with the trace', value: { model: { kind: 'quadratic' as const, A: spreadSpectrum(400) }, w: wave(400), trace: true } },
    { summary: 'question 3\'s MLP, batch 8, the top 5, trace and density', value: { model: mlpProblem([32, 512, 512, 10], 8).model, w: mlpProblem([32, 512, 512, 10], 8).w, top: 5, trace: true, traceSamples: 20, density: true, densitySteps: 30 } }
  ],
  run (input, limits) {
    checkSpectrumLimits(input)
    const model = buildModel(input.model, limits)
    const n = model.parameterCount
    const top = input.top ?? SPECTRUM_DEFAULTS.top
    // One operator at w for every product: setting one up costs about a gradient (the MLP's
    // passes at w) and 3n doubles.
    const multiply = hessianOperator(model, input.w)
    const eigen = hessianEigenvalues(model, input.w, {
      operator: multiply,
      top,
      which: input.which ?? 'largest',
      ...(input.method !== undefined && { method: input.method }),
      steps: Math.min(n, input.steps ?? defaultSteps(n, top)),
      seed: input.seed ?? 0,
      vectors: input.vectors === true
    })
    const finite = new NonFiniteCollector()
    let products = eigen.hessianVectorProducts
    // One stream for the probes and the density's starts, apart from the eigenvalues' start.
    const random = spectrumRandom(((input.seed ?? 0) + 1) >>> 0)
    let trace
    if (input.trace === true) {
      const samples = input.traceSamples ?? SPECTRUM_DEFAULTS.traceSamples
      const estimate = hutchinsonTrace(multiply, n, samples, random)
      products += samples
      const exact = n <= EXACT_SPECTRUM_MAX_PARAMETERS ? exactHessianTrace(multiply, n) : undefined
      if (exact !== undefined) products += n
      trace = {
        estimate: finite.number(estimate.estimate, 'trace.estimate'),
        standardError: finite.number(estimate.standardError, 'trace.standardError'),
        samples,
        ...(exact !== undefined && { exact: finite.number(exact, 'trace.exact') })
      }
    }
    let density
    if (input.density === true) {
      const runs = input.densityRuns ?? SPECTRUM_DEFAULTS.densityRuns
      const steps = Math.min(n, input.densitySteps ?? SPECTRUM_DEFAULTS.densitySteps)
      const result = spectralDensity(multiply, n, { runs, steps, points: input.points ?? SPECTRUM_DEFAULTS.points, random, ...(input.sigma !== undefined && { sigma: input.sigma }) })
      products += result.nodes.length
      density = {
        grid: finite.array(result.grid, 'density.grid'),
        values: finite.array(result.values, 'density.values'),
        sigma: finite.number(result.sigma, 'density.sigma'),
        nodes: finite.array(result.nodes, 'density.nodes'),
        weights: finite.array(result.weights, 'density.weights')
      }
    }
    return {
      eigenvalues: finite.array(eigen.eigenvalues, 'eigenvalues'),
      ...(eigen.eigenvectors !== undefined && { eigenvectors: eigen.eigenvectors.map((vector, k) => finite.array(vector, `eigenvectors[${k}]`)) }),
      residuals: finite.array(eigen.residuals, 'residuals'),
      method: eigen.method,
      steps: eigen.steps,
      hessianVectorProducts: products,
      ...(trace !== undefined && { trace }),
      ...(density !== undefined && { density }),
      ...finite.result()
    }
  }
})
