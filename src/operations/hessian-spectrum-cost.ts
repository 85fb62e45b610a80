/** The cost estimate of /hessian-spectrum, in nanoseconds (see `Operation.cost`). */
import { EXACT_SPECTRUM_MAX_PARAMETERS } from '../math/spectrum.js'
import { JSON_DOUBLE_NS } from './cost.js'
import { modelEvaluationNanoseconds } from './model-cost.js'
import type { ModelInput } from './models.js'

/** Validation and the response. */
const REQUEST_NS = 20_000
/**
 * Per parameter per pair of Lanczos vectors, for full reorthogonalisation: each step projects
 * its vector on every earlier one twice (a dot product and an update each time).
 */
const REORTHOGONALISATION_NS = 4
/** Per parameter per HVP besides the product itself: the copy of the product, the start vector, norms. */
const VECTOR_NS = 15
/** Per n³ of the exact eigendecomposition (Householder tridiagonalisation, then QL with vectors). */
const EIGEN_CUBE_NS = 6
/** Per grid point per quadrature node of the density: one Gaussian. */
const GAUSSIAN_NS = 15

export const SPECTRUM_DEFAULTS = { top: 1, traceSamples: 50, densityRuns: 1, densitySteps: 60, points: 200 } as const

/** The Lanczos steps the eigenvalues take by default (src/math/spectrum.ts). */
export function defaultSteps (n: number, top: number): number {
  return Math.min(n, Math.max(2 * top + 10, 20))
}

export interface SpectrumCostInput {
  model: ModelInput
  w: ArrayLike<number>
  top?: number
  method?: 'exact' | 'lanczos'
  steps?: number
  vectors?: boolean
  trace?: boolean
  traceSamples?: number
  density?: boolean
  densityRuns?: number
  densitySteps?: number
  points?: number
}

export function hessianSpectrumNanoseconds (input: SpectrumCostInput): number {
  const model = modelEvaluationNanoseconds(input.model)
  const n = input.w.length
  const top = Math.min(input.top ?? SPECTRUM_DEFAULTS.top, n)
  const product = model.hessianVector + n * VECTOR_NS
  const lanczos = (steps: number): number => steps * product + REORTHOGONALISATION_NS * n * steps * steps
  let total = REQUEST_NS + model.setup
  const exact = (input.method ?? (n <= EXACT_SPECTRUM_MAX_PARAMETERS ? 'exact' : 'lanczos')) === 'exact'
  total += exact ? n * product + EIGEN_CUBE_NS * n ** 3 : lanczos(Math.min(n, input.steps ?? defaultSteps(n, top))) + top * product
  total += top * JSON_DOUBLE_NS * (input.vectors === true ? n + 2 : 2)
  // The trace's probes, and its exact value from n more products up to the exact method's size.
  if (input.trace === true) total += ((input.traceSamples ?? SPECTRUM_DEFAULTS.traceSamples) + (n <= EXACT_SPECTRUM_MAX_PARAMETERS ? n : 0)) * product
  if (input.density === true) {
    const runs = input.densityRuns ?? SPECTRUM_DEFAULTS.densityRuns
    const steps = Math.min(n, input.densitySteps ?? SPECTRUM_DEFAULTS.densitySteps)
    const points = input.points ?? SPECTRUM_DEFAULTS.points
    total += runs * lanczos(steps) + points * runs * steps * GAUSSIAN_NS + 2 * points * JSON_DOUBLE_NS
  }
  return total
}
