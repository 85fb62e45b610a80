import fc from 'fast-check'
import t from 'tap'
import { ImpossibleInputError } from '../../src/math/errors.js'
import { Expression } from '../../src/math/expression.js'
import { defaultStep, hessianVectorProduct, newtonStep, norm, QuadraticModel } from '../../src/math/hvp.js'
import { Mlp } from '../../src/math/mlp.js'

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((sum, x, i) => sum + x * b[i], 0)
const vector = (n: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n })

t.test('quadratics: ∇²f = (A + Aᵀ)/2 for a non-symmetric A', async (t) => {
  const model = new QuadraticModel([[2, 1], [0, 3]], [1, -1])
  const result = hessianVectorProduct(model, [1, 2], [1, 0])
  t.strictSame(Array.from(result.hv), [2, 0.5])
  t.strictSame(Array.from(result.gradient), [2 * 1 + 0.5 * 2 + 1, 0.5 * 1 + 3 * 2 - 1])
  t.equal(result.value, 0.5 * (2 + 2 + 12) + (1 - 2))
  t.equal(new QuadraticModel([[1]]).evaluate([3]).value, 4.5, 'b defaults to 0')
  t.throws(() => new QuadraticModel([[1, 2], [3]]), /model.A must be square: it has 2 rows and row 1 has 1 entries/)
  t.throws(() => new QuadraticModel([[1]], [1, 2]), /model.b has 2 entries; A is 1 × 1/)
})

t.test('w and v must have the model\'s parameter count', async (t) => {
  const model = new QuadraticModel([[1, 0], [0, 1]])
  t.throws(() => hessianVectorProduct(model, [1], [1, 2]), { constructor: ImpossibleInputError, message: 'w has 1 entries; the model has 2 parameters' })
  t.throws(() => hessianVectorProduct(model, [1, 2], [1, 2, 3]), /v has 3 entries; the model has 2 parameters/)
  t.throws(() => newtonStep(model, [1]), /w has 1 entries/)
})

t.test('SciPy\'s default steps', async (t) => {
  t.equal(defaultStep('forward', [3, 4], [0, 2]), Math.sqrt(Number.EPSILON) * 5 / 2)
  t.equal(defaultStep('central', [0.1], [1]), Math.cbrt(Number.EPSILON), 'max(1, ‖w‖) = 1')
  t.equal(defaultStep('forward', [1], [0]), Math.sqrt(Number.EPSILON), 'v = 0: no division by zero')
  t.ok(Math.abs(norm([3e200, 4e200]) - 5e200) <= 2e-16 * 5e200, 'the norm does not overflow')
  t.equal(norm([0, 0]), 0)
})

const rosenbrock = Expression.parse('(1 - x)^2 + 100*(y - x^2)^2 + sin(x*y)', ['x', 'y'])

t.test('exact agrees with central differences to ~1e-7, and with forward to ~1e-5', async (t) => {
  fc.assert(fc.property(vector(2), vector(2).filter((v) => norm(v) > 0.1), (w, v) => {
    const exact = hessianVectorProduct(rosenbrock, w, v).hv
    const central = hessianVectorProduct(rosenbrock, w, v, { method: 'central' }).hv
    const forward = hessianVectorProduct(rosenbrock, w, v, { method: 'forward' }).hv
    const error = (estimate: ArrayLike<number>) => norm(Array.from(exact, (x, i) => x - estimate[i])) / Math.max(norm(exact), 1)
    return error(central) < 1e-7 && error(forward) < 1e-5
  }))
  t.pass('checked by fast-check')
})

t.test('the sweep is V-shaped (question 3.5)', async (t) => {
  const result = hessianVectorProduct(rosenbrock, [0.5, -0.3], [1, 0.5], { method: 'forward', r: 1e-6, sweep: true })
  t.equal(result.r, 1e-6)
  t.equal(result.sweep!.length, 17)
  t.strictSame(result.sweep!.map((row) => row.r), Array.from({ length: 17 }, (_, k) => 10 ** -k))
  const forward = result.sweep!.map((row) => row.forwardError)
  const central = result.sweep!.map((row) => row.centralError)
  const best = (errors: number[]) => errors.indexOf(Math.min(...errors))
  t.ok(best(forward) >= 5 && best(forward) <= 10, `forward error is smallest near r = √ε (k = ${best(forward)})`)
  t.ok(best(central) >= 3 && best(central) <= 7, `central error is smallest near r = ∛ε (k = ${best(central)})`)
  t.ok(forward[0] > 1e3 * forward[best(forward)], 'truncation dominates at r = 1')
  t.ok(forward[16] > 1e3 * forward[best(forward)], 'round-off dominates at r = 1e-16')
  t.ok(Math.min(...central) < Math.min(...forward), 'central differences reach a smaller error')
})

t.test('an MLP needs an input and an output size', async (t) => {
  t.throws(() => new Mlp({ sizes: [3], activation: 'relu', loss: 'mse', inputs: [[1, 2, 3]], targets: [[1]] }), /model.sizes needs at least two entries, the input and the output sizes; got \[3\]/)
})

t.test('the MLP\'s Hessian is symmetric: uᵀ(Hv) = vᵀ(Hu)', async (t) => {
  const mlp = new Mlp({ sizes: [3, 4, 2], activation: 'gelu', loss: 'cross-entropy', inputs: [[1, -1, 0.5], [0.2, 0.3, -2]], targets: [1, 0] })
  t.equal(mlp.parameterCount, 3 * 4 + 4 + 4 * 2 + 2)
  fc.assert(fc.property(vector(26), vector(26), vector(26), (w, u, v) => {
    const hv = mlp.evaluate(w, v).hv!
    const hu = mlp.evaluate(w, u).hv!
    return Math.abs(dot(u, hv) - dot(v, hu)) <= 1e-12 * Math.max(1, norm(hv) * norm(u))
  }), { numRuns: 50 })
  t.pass('checked by fast-check')
})

t.test('Newton step', async (t) => {
  t.test('on a positive-definite quadratic one step lands on the minimiser', async (t) => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), (n, seed) => {
      const random = (k: number): number => Math.sin(seed * 0.37 + k * 1.3)
      // A = MᵀM + I is positive definite; made non-symmetric by a skew part, which f ignores.
      const M = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => random(i * n + j)))
      const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) =>
        M.reduce((sum, row) => sum + row[i] * row[j], 0) + (i === j ? 1 : 0) + (i < j ? 0.3 : i > j ? -0.3 : 0)))
      const b = Array.from({ length: n }, (_, i) => random(100 + i))
      const w = Array.from({ length: n }, (_, i) => random(200 + i))
      const model = new QuadraticModel(A, b)
      const result = newtonStep(model, w)
      const gradientAfter = model.evaluate(result.w).gradient
      return result.converged && result.iterations <= n && norm(gradientAfter) <= 1e-8 * Math.max(1, result.gradientNorm) && result.newValue <= result.value
    }))
    t.pass('checked by fast-check')
  })
  t.test('negative curvature is reported, not divided by', async (t) => {
    const result = newtonStep(Expression.parse('x^4 - x^2', ['x']), [0.1])
    // p = −f′(0.1) = 0.196, f″(0.1) = 12·0.01 − 2 = −1.88: curvature p·f″·p = −0.07222208
    t.equal(result.negativeCurvature!.iteration, 1)
    t.ok(Math.abs(result.negativeCurvature!.curvature - -0.07222208) < 1e-15)
    t.strictSame(result.step, [0])
    t.equal(result.converged, false)
    const damped = newtonStep(Expression.parse('x^4 - x^2', ['x']), [0.1], { damping: 3 })
    t.equal(damped.negativeCurvature, undefined, 'damping λ = 3 > 1.88 makes H + λI positive')
    t.equal(damped.converged, true)
    t.ok(damped.newValue < damped.value)
  })
  t.test('maxIterations and an already stationary point', async (t) => {
    const model = new QuadraticModel([[1, 0, 0], [0, 10, 0], [0, 0, 100]], [1, 1, 1])
    const truncated = newtonStep(model, [0, 0, 0], { maxIterations: 1 })
    t.equal(truncated.iterations, 1)
    t.equal(truncated.converged, false)
    t.equal(truncated.residuals.length, 2)
    const stationary = newtonStep(model, [-1, -0.1, -0.01])
    t.equal(stationary.iterations, 0)
    t.equal(stationary.converged, true)
  })
})

t.test('a default step that is not finite is refused, for both difference formulas', async (t) => {
  const model = Expression.parse('x^2', ['x'])
  for (const [method, root] of [['forward', '2'], ['central', '3']] as const) {
    t.throws(() => hessianVectorProduct(model, [1], [5e-324], { method }), { statusCode: 422, message: new RegExp(`r = ε\\^\\(1/${root}\\)·max\\(1, ‖w‖\\)/‖v‖ is not finite here \\(‖w‖ = 1, ‖v‖ = 5e-324\\)`) })
  }
})
