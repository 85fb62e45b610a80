/**
 * POST /hessian-spectrum over HTTP against the committed references
 * (scripts/reference/gen_spectrum.py: NumPy's eigvalsh for quadratics, PyTorch's Hessian for
 * MLPs): the bars are the top eigenvalues to 1e-8 relative on quadratics of a few
 * hundred parameters, Hutchinson's trace within 5 standard errors.
 */
import t from 'tap'
import { build, post } from '../helpers/app.js'
import { loadFixture } from '../helpers/fixtures.js'

interface SpectrumCase { name: string, model: { kind: string, A?: number[][] }, w?: number[], eigenvalues: number[], trace: number }
const fixture = loadFixture<SpectrumCase>('spectrum')
const byName = (name: string): SpectrumCase => fixture.cases.find((c) => c.name === name)!
/** A point of the assignment's MLP, 32 → 512 → 512 → 10. */
const ASSIGNMENT_W = new Array(284_682).fill(0)
const pointOf = (c: SpectrumCase): number[] => c.w ?? new Array(c.eigenvalues.length).fill(0)

t.test('the top eigenvalues match eigvalsh, exact and by Lanczos; the trace lies within 5 standard errors', async (t) => {
  const app = await build(t)
  for (const name of ['quadratic-n200-random', 'quadratic-n300-outliers', 'quadratic-n50-indefinite', 'mlp-softplus-ce-4-8-8-3-b6']) {
    const c = byName(name)
    const ascending = c.eigenvalues
    const scale = Math.max(...ascending.map(Math.abs))
    for (const method of ['exact', 'lanczos'] as const) {
      // Lanczos gets every step it may take: the outliers' and the random spectra's ends converge fast, the indefinite one's by n.
      const body = { model: c.model, w: pointOf(c), top: 3, method, ...(method === 'lanczos' && { steps: Math.min(ascending.length, 120) }), trace: true, traceSamples: 200 }
      const response = await post(app, '/hessian-spectrum', body)
      t.equal(response.statusCode, 200, `${name} ${method}: ${response.body.slice(0, 200)}`)
      const answer = response.json()
      const expected = ascending.slice(-3).reverse()
      t.ok(answer.eigenvalues.every((value: number, k: number) => Math.abs(value - expected[k]) <= 1e-8 * scale), `${name} ${method}: top 3 ${JSON.stringify(answer.eigenvalues)} vs ${JSON.stringify(expected)}`)
      t.equal(answer.method, method)
      const { estimate, standardError, exact } = answer.trace
      t.ok(Math.abs(estimate - c.trace) <= 5 * standardError, `${name}: trace ${estimate} ± ${standardError} vs ${c.trace}`)
      t.ok(Math.abs(exact - c.trace) <= 1e-10 * Math.max(1, Math.abs(c.trace) + scale), `${name}: exact trace`)
    }
  }
})

t.test('smallest and by magnitude; eigenvectors; the density integrates to 1; the same seed, the same answer', async (t) => {
  const app = await build(t)
  const c = byName('quadratic-n50-indefinite')
  const ascending = c.eigenvalues
  const smallest = (await post(app, '/hessian-spectrum', { model: c.model, w: pointOf(c), top: 2, which: 'smallest' })).json()
  t.ok(smallest.eigenvalues.every((value: number, k: number) => Math.abs(value - ascending[k]) <= 1e-10 * Math.abs(ascending[0])), 'ascending from the smallest')
  const magnitude = (await post(app, '/hessian-spectrum', { model: c.model, w: pointOf(c), top: 1, which: 'magnitude', vectors: true })).json()
  const largestMagnitude = [...ascending].sort((a, b) => Math.abs(b) - Math.abs(a))[0]
  t.ok(Math.abs(magnitude.eigenvalues[0] - largestMagnitude) <= 1e-10 * Math.abs(largestMagnitude))
  t.equal(magnitude.eigenvectors[0].length, 50)
  t.ok(Math.abs(Math.hypot(...magnitude.eigenvectors[0]) - 1) < 1e-12, 'a unit eigenvector')
  const body = { model: c.model, w: pointOf(c), density: true, densityRuns: 3, densitySteps: 30, points: 400, seed: 7 }
  const density = (await post(app, '/hessian-spectrum', body)).json().density
  let integral = 0
  for (let i = 1; i < density.grid.length; i++) integral += (density.grid[i] - density.grid[i - 1]) * (density.values[i] + density.values[i - 1]) / 2
  t.ok(Math.abs(integral - 1) < 1e-2, `∫ density = ${integral}`)
  t.ok(density.nodes.every((node: number) => node >= ascending[0] - 1e-9 && node <= ascending[49] + 1e-9), 'the nodes interlace the spectrum')
  t.equal((await post(app, '/hessian-spectrum', body)).body, (await post(app, '/hessian-spectrum', body)).body, 'deterministic for a seed')
})

t.test('above 400 parameters: Lanczos, and the trace without its exact value', async (t) => {
  const app = await build(t)
  // 20 → 20: 420 parameters, a linear model with mse, whose Hessian is 2/(B·n)·(I ⊗ xxᵀ)-like and has a known trace.
  const inputs = [Array.from({ length: 20 }, (_, i) => Math.sin(i))]
  const body = { model: { kind: 'mlp', sizes: [20, 20], activation: 'tanh', loss: 'mse', inputs, targets: [new Array(20).fill(0)] }, w: new Array(420).fill(0.01), trace: true, traceSamples: 10 }
  const answer = (await post(app, '/hessian-spectrum', body)).json()
  t.equal(answer.method, 'lanczos')
  t.equal(answer.trace.exact, undefined, 'no exact trace above 400 parameters')
  // f = mean over 20 outputs of (Wx + b)²: ∇²f = (2/20)·I_20 ⊗ [x; 1][x; 1]ᵀ, trace (2/20)·20·(‖x‖² + 1).
  const trace = 2 * (inputs[0].reduce((sum, x) => sum + x * x, 0) + 1)
  t.ok(Math.abs(answer.trace.estimate - trace) <= 5 * answer.trace.standardError + 1e-12, `${answer.trace.estimate} ± ${answer.trace.standardError} vs ${trace}`)
  t.ok(Math.abs(answer.eigenvalues[0] - trace / 20) <= 1e-10 * trace, 'the top eigenvalue, (2/20)·(‖x‖² + 1), 20 times over')
})

t.test('rules and limits, with the field and the rule named', async (t) => {
  const app = await build(t)
  const quadratic = { kind: 'quadratic', A: [[2, 0], [0, 1]] }
  const big = byName('quadratic-n300-outliers')
  const cases: Array<[unknown, number, RegExp]> = [
    [{ model: quadratic, w: [1, 1], top: 3 }, 422, /top must be an integer in \[1, 2\], the number of eigenvalues of the 2 × 2 Hessian; got 3/],
    [{ model: quadratic, w: [1, 1], top: 0 }, 400, /body\/top must be >= 1/],
    [{ model: quadratic, w: [1, 1], top: 2, method: 'lanczos', steps: 1 }, 422, /steps must be an integer ≥ top = 2/],
    [{ model: quadratic, w: [1, 1], traceSamples: 1, trace: true }, 400, /body\/traceSamples must be >= 2/],
    [{ model: quadratic, w: [1, 1, 1] }, 422, /w has 3 entries; the model has 2 parameters/],
    [{ model: quadratic, w: [1, 1], which: 'middle' }, 400, /body\/which/],
    [{ model: { kind: 'mlp', sizes: [32, 512, 512, 10], activation: 'relu', loss: 'cross-entropy', inputs: [new Array(32).fill(0)], targets: [0] }, w: ASSIGNMENT_W, method: 'exact' }, 413, /method 'exact' forms the 284682 × 284682 Hessian; above 400 parameters use method 'lanczos'/],
    [{ model: { kind: 'mlp', sizes: [32, 512, 512, 10], activation: 'relu', loss: 'cross-entropy', inputs: [new Array(32).fill(0)], targets: [0] }, w: ASSIGNMENT_W, top: 20, vectors: true }, 413, /vectors: 20 eigenvectors of 284682 entries are 5693640 numbers, over the limit of 5000000 in an answer; ask for top ≤ 17 here, or for the eigenvalues alone/],
    [{ model: { kind: 'mlp', sizes: [32, 512, 512, 10], activation: 'relu', loss: 'cross-entropy', inputs: [new Array(32).fill(0)], targets: [0] }, w: ASSIGNMENT_W, steps: 100 }, 413, /Lanczos keeps 100 \+ 1 basis vectors of 284682 entries, \(steps \+ 1\) × n = 28752882, over the limit of 25000000 \(200 MB\); ask for fewer steps or densitySteps \(at most 86 here\)/],
    [{ model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [800] }, 422, /∇²f\(w\)·v\[0\] is (Infinity|NaN): the Hessian-vector product overflows at this w/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/hessian-spectrum', body)
    t.equal(response.statusCode, status, JSON.stringify(body).slice(0, 120))
    t.match(response.json().message, message)
  }
  // More work than the time budget: refused before it starts, saying what to shrink.
  const slow = await build(t, { runtime: { computeTimeoutMs: 50 } })
  const refused = await post(slow, '/hessian-spectrum', { model: big.model, w: pointOf(big), trace: true, traceSamples: 1000, density: true, densityRuns: 20, densitySteps: 300 })
  t.equal(refused.statusCode, 413)
  t.match(refused.json().message, /COMPUTE_TIMEOUT_MS/)
})
