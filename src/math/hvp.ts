/**
 * Hessian-vector products three ways (questions 3.3–3.6) and a Hessian-free Newton step
 * (question 3.1), over any model that gives f(w), ∇f(w) and the exact ∇²f(w)·v.
 *
 * - exact:   the model's R-operator (no finite differences)
 * - forward: (g(w + rv) − g(w))/r, truncation error O(r)         (question 3.4)
 * - central: (g(w + rv) − g(w − rv))/(2r), truncation error O(r²)
 *
 * Default steps follow SciPy's `approx_derivative` rule: r = h·max(1, ‖w‖)/‖v‖ with
 * h = √ε for forward and ∛ε for central differences (ε = 2⁻⁵², Nocedal & Wright §8.1), so
 * the relative perturbation of w is about h. The sweep r = 10⁰ … 10⁻¹⁶ shows the V shape of
 * question 3.5: truncation error falls with r until round-off in g(w + rv) − g(w), about
 * ε‖g‖/r, takes over.
 */
import { ImpossibleInputError } from './errors.js'

/** Where a model may write what it computes, and what may be left out. */
export interface EvaluationTargets {
  gradient?: Float64Array
  hv?: Float64Array
  /** only the product is wanted (Lanczos, Hutchinson): the gradient may come back empty */
  withoutGradient?: boolean
}

export interface DifferentiableModel {
  readonly parameterCount: number
  /**
   * f(w), ∇f(w) and, with v, the exact ∇²f(w)·v; a model may write them into `into`'s arrays
   * (the MLP does: a loop of products then reuses its memory) or return new ones, and may skip
   * the gradient (returning it empty) when `into.withoutGradient` says it is not wanted
   */
  evaluate: (w: ArrayLike<number>, v?: ArrayLike<number>, into?: EvaluationTargets) => { value: number, gradient: ArrayLike<number>, hv?: ArrayLike<number> }
  /**
   * v ↦ ∇²f(w)·v at a fixed w, into `out` (a new array when not given), for a model that can
   * keep what the products at one point share (the MLP keeps its forward and backward passes)
   */
  hessianAt?: (w: ArrayLike<number>) => (v: ArrayLike<number>, out?: Float64Array) => Float64Array
}

export type HvpMethod = 'exact' | 'forward' | 'central'

const EPSILON = Number.EPSILON

export function norm (x: ArrayLike<number>): number {
  // Scaled to avoid overflow of the squares (LAPACK's dnrm2 idea).
  let scale = 0
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]))
  if (scale === 0 || !Number.isFinite(scale)) return scale
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += (x[i] / scale) ** 2
  return scale * Math.sqrt(sum)
}

function dot (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

/** w + r·v */
function step (w: ArrayLike<number>, v: ArrayLike<number>, r: number): Float64Array {
  const result = new Float64Array(w.length)
  for (let i = 0; i < w.length; i++) result[i] = w[i] + r * v[i]
  return result
}

/** SciPy's default step for a method: h·max(1, ‖w‖)/‖v‖. */
export function defaultStep (method: 'forward' | 'central', w: ArrayLike<number>, v: ArrayLike<number>): number {
  const h = method === 'forward' ? Math.sqrt(EPSILON) : Math.cbrt(EPSILON)
  const vNorm = norm(v)
  return h * Math.max(1, norm(w)) / (vNorm === 0 ? 1 : vNorm)
}

/** The finite-difference estimate of H·v with step r (g(w) given: forward differences reuse it). */
export function finiteDifferenceHvp (model: DifferentiableModel, w: ArrayLike<number>, v: ArrayLike<number>, method: 'forward' | 'central', r: number, gradientAtW: ArrayLike<number>): Float64Array {
  const ahead = model.evaluate(step(w, v, r)).gradient
  const behind = method === 'forward' ? gradientAtW : model.evaluate(step(w, v, -r)).gradient
  const divisor = method === 'forward' ? r : 2 * r
  return Float64Array.from({ length: w.length }, (_, i) => (ahead[i] - behind[i]) / divisor)
}

export interface HvpResult {
  value: number
  gradient: ArrayLike<number>
  hv: ArrayLike<number>
  method: HvpMethod
  /** the step used, for finite differences */
  r?: number
  sweep?: Array<{ r: number, forwardError: number, centralError: number }>
}

/**
 * @throws {ImpossibleInputError} when w or v does not have the model's parameter count, or r ≤ 0
 */
export function hessianVectorProduct (model: DifferentiableModel, w: ArrayLike<number>, v: ArrayLike<number>, options: { method?: HvpMethod, r?: number, sweep?: boolean } = {}): HvpResult {
  checkLength('w', w, model.parameterCount)
  checkLength('v', v, model.parameterCount)
  const method = options.method ?? 'exact'
  const needExact = method === 'exact' || options.sweep === true
  const base = model.evaluate(w, needExact ? v : undefined)
  let result: HvpResult
  if (method === 'exact') {
    result = { value: base.value, gradient: base.gradient, hv: base.hv!, method }
  } else {
    const r = options.r ?? defaultStep(method, w, v)
    if (!Number.isFinite(r)) {
      // ‖v‖ or ‖w‖ at the edge of float64 (v = [5e-324], w = [1e308, 1e308]).
      throw new ImpossibleInputError(`the default finite-difference step r = ε^(1/${method === 'forward' ? 2 : 3})·max(1, ‖w‖)/‖v‖ is not finite here (‖w‖ = ${norm(w)}, ‖v‖ = ${norm(v)}); rescale v, or give r`)
    }
    result = { value: base.value, gradient: base.gradient, hv: finiteDifferenceHvp(model, w, v, method, r, base.gradient), method, r }
  }
  if (options.sweep === true) {
    const exact = base.hv!
    const exactNorm = norm(exact)
    const relativeError = (estimate: ArrayLike<number>): number => {
      const difference = Float64Array.from({ length: exact.length }, (_, i) => estimate[i] - exact[i])
      return norm(difference) / exactNorm
    }
    result.sweep = Array.from({ length: 17 }, (_, k) => {
      const r = 10 ** -k
      return {
        r,
        forwardError: relativeError(finiteDifferenceHvp(model, w, v, 'forward', r, base.gradient)),
        centralError: relativeError(finiteDifferenceHvp(model, w, v, 'central', r, base.gradient))
      }
    })
  }
  return result
}

/**
 * v ↦ ∇²f(w)·v at one w, written into out when the model can (else returned anew): from what
 * the model keeps at w (hessianAt: the MLP's passes at w), else a whole evaluation each time
 * without the gradient. For loops of products: conjugate gradients, Lanczos, Hutchinson.
 */
export function productsAt (model: DifferentiableModel, w: ArrayLike<number>): (v: Float64Array, out: Float64Array) => ArrayLike<number> {
  return model.hessianAt?.(w) ?? ((v, out) => model.evaluate(w, v, { hv: out, withoutGradient: true }).hv!)
}

export function checkLength (name: string, x: ArrayLike<number>, expected: number): void {
  if (x.length !== expected) throw new ImpossibleInputError(`${name} has ${x.length} entries; the model has ${expected} parameters`)
}

export interface NewtonStepResult {
  step: number[]
  w: number[]
  value: number
  newValue: number
  gradientNorm: number
  iterations: number
  /** ‖(H + λI)s_k + ∇f‖ after each CG iteration, starting with ‖∇f‖ at s_0 = 0 */
  residuals: number[]
  converged: boolean
  /** set when CG met a direction p with pᵀ(H + λI)p ≤ 0: the step stops there */
  negativeCurvature?: { iteration: number, curvature: number }
}

/**
 * The Newton step of question 3.1, s = −(H + λI)⁻¹∇f(w), by conjugate gradients using only
 * Hessian-vector products (Hessian-free optimisation, Martens 2010). CG stops when the
 * residual falls below tolerance·‖∇f‖, after maxIterations, or on a direction of non-positive
 * curvature, which it reports instead of dividing by it (Steihaug's truncation).
 */
export function newtonStep (model: DifferentiableModel, point: ArrayLike<number>, options: { damping?: number, maxIterations?: number, tolerance?: number } = {}): NewtonStepResult {
  checkLength('w', point, model.parameterCount)
  // One typed copy for every CG iteration's HVP (the MLP would otherwise copy a plain array each time).
  const w = Float64Array.from(point)
  const n = model.parameterCount
  const damping = options.damping ?? 0
  const maxIterations = options.maxIterations ?? Math.min(n, 100)
  const tolerance = options.tolerance ?? 1e-10
  const { value, gradient } = model.evaluate(w)
  const gradientNorm = norm(gradient)
  const s = new Float64Array(n)
  const residual = Float64Array.from(gradient, (g) => -g)
  const direction = Float64Array.from(residual)
  let residualSquared = dot(residual, residual)
  const residuals = [Math.sqrt(residualSquared)]
  let iterations = 0
  let converged = residuals[0] <= tolerance * gradientNorm
  let negativeCurvature: NewtonStepResult['negativeCurvature']
  // Every iteration's product at this w goes to the same array.
  const into = new Float64Array(n)
  const multiply = productsAt(model, w)
  while (!converged && iterations < maxIterations) {
    const product = multiply(direction, into)
    const curved = Float64Array.from({ length: n }, (_, i) => product[i] + damping * direction[i])
    const curvature = dot(direction, curved)
    if (!(curvature > 0)) {
      negativeCurvature = { iteration: iterations + 1, curvature }
      break
    }
    iterations++
    const alpha = residualSquared / curvature
    for (let i = 0; i < n; i++) {
      s[i] += alpha * direction[i]
      residual[i] -= alpha * curved[i]
    }
    const next = dot(residual, residual)
    residuals.push(Math.sqrt(next))
    converged = Math.sqrt(next) <= tolerance * gradientNorm
    const beta = next / residualSquared
    residualSquared = next
    for (let i = 0; i < n; i++) direction[i] = residual[i] + beta * direction[i]
  }
  const newW = Array.from({ length: n }, (_, i) => w[i] + s[i])
  return {
    step: Array.from(s),
    w: newW,
    value,
    newValue: model.evaluate(newW).value,
    gradientNorm,
    iterations,
    residuals,
    converged,
    ...(negativeCurvature !== undefined && { negativeCurvature })
  }
}

/** f(w) = ½wᵀAw + bᵀw: ∇f = ½(A + Aᵀ)w + b, ∇²f = ½(A + Aᵀ) (A need not be symmetric). */
export class QuadraticModel implements DifferentiableModel {
  readonly parameterCount: number
  constructor (private readonly A: ReadonlyArray<readonly number[]>, private readonly b?: readonly number[]) {
    const n = A.length
    const bad = A.findIndex((row) => row.length !== n)
    if (bad >= 0) throw new ImpossibleInputError(`model.A must be square: it has ${n} rows and row ${bad} has ${A[bad].length} entries`)
    if (b !== undefined && b.length !== n) throw new ImpossibleInputError(`model.b has ${b.length} entries; A is ${n} × ${n}`)
    this.parameterCount = n
  }

  /** ½(A + Aᵀ)x, as ½(Ax + Aᵀx). */
  private symmetricProduct (x: ArrayLike<number>): Float64Array {
    const n = this.parameterCount
    const result = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const row = this.A[i]
      let sum = 0
      for (let j = 0; j < n; j++) sum += row[j] * x[j]
      result[i] += 0.5 * sum
      for (let j = 0; j < n; j++) result[j] += 0.5 * row[j] * x[i]
    }
    return result
  }

  evaluate (w: ArrayLike<number>, v?: ArrayLike<number>): { value: number, gradient: Float64Array, hv?: Float64Array } {
    const hw = this.symmetricProduct(w)
    const gradient = Float64Array.from(hw, (x, i) => x + (this.b?.[i] ?? 0))
    const value = 0.5 * dot(w, hw) + (this.b === undefined ? 0 : dot(this.b, w))
    return v === undefined ? { value, gradient } : { value, gradient, hv: this.symmetricProduct(v) }
  }
}
