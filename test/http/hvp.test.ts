import t from 'tap'
import { loadFixture } from '../helpers/fixtures.js'
import { build, post } from '../helpers/app.js'

interface InvalidCase { name: string, model: unknown, w: unknown, v: unknown, reason: string }
const fixture = loadFixture<{ name: string, model: unknown, w: number[], v: number[], expected: { hv: number[] } }>('hvp') as ReturnType<typeof loadFixture<{ name: string, model: unknown, w: number[], v: number[], expected: { hv: number[] } }>> & { invalid: InvalidCase[] }

t.test('/hvp answers the reference cases through REST', async (t) => {
  const app = await build(t)
  for (const name of ['mlp-medium', 'quadratic-n1-scalar', 'expr-x2y-plus-sin-xy']) {
    const c = fixture.cases.find((c) => c.name === name)!
    const response = await post(app, '/hvp', { model: c.model, w: c.w, v: c.v })
    t.equal(response.statusCode, 200, c.name)
    const hv: number[] = response.json().hv
    t.ok(hv.every((x, i) => Math.abs(x - c.expected.hv[i]) <= 1e-14 * Math.max(1, ...c.expected.hv.map(Math.abs))), `${c.name}: hv`)
  }
})

t.test('/hvp rejects what PyTorch would reject, with 400 or 422', async (t) => {
  const app = await build(t)
  t.ok(fixture.invalid.length >= 10)
  for (const c of fixture.invalid) {
    const response = await post(app, '/hvp', { model: c.model, w: c.w, v: c.v })
    t.ok([400, 422].includes(response.statusCode), `${c.name} (${c.reason}): ${response.statusCode} ${response.json().message}`)
  }
})

t.test('/hvp rules and limits', async (t) => {
  const app = await build(t, { limits: { hvpMaxWork: 100, hvpMaxActivations: 50, hvpBodyLimit: 2000 } })
  const quadratic = { kind: 'quadratic', A: [[1, 0], [0, 1]] }
  const cases: Array<[unknown, number, RegExp]> = [
    [{ model: quadratic, w: [1, 2], v: [1, 0], r: 0.1 }, 400, /r is the finite-difference step: it goes with method "forward" or "central"/],
    [{ model: quadratic, w: [1, 2], v: [1, 0], method: 'central', r: 0 }, 400, /body\/r must be > 0/],
    [{ model: { kind: 'expression', expression: 'x +* y', variables: ['x', 'y'] }, w: [1, 2], v: [1, 0] }, 400, /model.expression: syntax error at position 4 near '\*'/],
    [{ model: { kind: 'expression', expression: 'log(x)', variables: ['x'] }, w: [0], v: [1] }, 422, /not twice differentiable at w: log of 0 at position 1/],
    [{ model: { kind: 'mlp', sizes: [3, 20, 3], activation: 'relu', loss: 'mse', inputs: [[1, 2, 3], [1, 2, 3]], targets: [[1, 2, 3], [1, 2, 3]] }, w: [1], v: [1] }, 413, /batch × parameters = 286, over the limit of 100 \(HVP_MAX_WORK\)/],
    [{ model: { kind: 'mlp', sizes: [3, 20, 3], activation: 'relu', loss: 'mse', inputs: [[1, 2, 3], [1, 2, 3]], targets: [[1, 2, 3], [1, 2, 3]] }, w: [1], v: [1] }, 413, /HVP_MAX_WORK/],
    [{ model: { kind: 'mlp', sizes: [1, 1], activation: 'relu', loss: 'cross-entropy', inputs: Array.from({ length: 30 }, () => [1]), targets: Array.from({ length: 30 }, () => 0) }, w: [1, 2], v: [1, 0] }, 413, /batch × Σ widths = 30 × 2 = 60 activations, over the limit of 50 \(HVP_MAX_ACTIVATIONS\)/],
    [{ model: quadratic, w: Array.from({ length: 600 }, () => 1.5), v: [1] }, 413, /over the limit of 2000 bytes \(HVP_BODY_LIMIT\)/],
    [{ model: { kind: 'mlp', sizes: [2, 2], activation: 'relu', loss: 'cross-entropy', inputs: [[1, 2]], targets: [2] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0] }, 422, /model.targets\[0\] must be a class index, an integer in \[0, 2\)/],
    [{ model: { kind: 'mlp', sizes: [2, 2], activation: 'relu', loss: 'mse', inputs: [[1, 2]], targets: [[1]] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0] }, 422, /model.targets\[0\] must be a row of 2 values/],
    [{ model: { kind: 'mlp', sizes: [2, 2], activation: 'relu', loss: 'mse', inputs: [[1, 2], [3]], targets: [[1, 1]] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0] }, 422, /model.inputs\[1\] has 1 entries; sizes\[0\] is 2/],
    [{ model: { kind: 'mlp', sizes: [2, 2], activation: 'relu', loss: 'mse', inputs: [[1, 2]], targets: [[1, 1], [2, 2]] }, w: [1, 2, 3, 4, 5, 6], v: [1, 0, 0, 0, 0, 0] }, 422, /model.targets has 2 entries; there are 1 inputs/]
  ]
  for (const [body, status, message] of cases) {
    const response = await post(app, '/hvp', body)
    t.equal(response.statusCode, status, JSON.stringify(body).slice(0, 100))
    t.match(response.json().message, message)
  }
})

t.test('/hvp: overflow becomes null with a warning; the sweep has 17 rows', async (t) => {
  const app = await build(t)
  const body = (await post(app, '/hvp', { model: { kind: 'expression', expression: 'exp(x)', variables: ['x'] }, w: [710], v: [1], sweep: true })).json()
  t.strictSame([body.value, body.gradient, body.hv], [null, [null], [null]])
  t.match(body.warnings, [/^hv: 1 entry is not finite/, /^value is \+∞/, /^gradient: 1 entry/])
  t.equal(body.sweep.length, 17)
  const sweep = (await post(app, '/hvp', { model: { kind: 'expression', expression: 'sin(x)*y', variables: ['x', 'y'] }, w: [0.3, 2], v: [1, 1], method: 'forward', sweep: true })).json()
  t.equal(sweep.r, Math.sqrt(Number.EPSILON) * Math.hypot(0.3, 2) / Math.SQRT2, 'SciPy\'s step √ε·max(1, ‖w‖)/‖v‖')
  t.ok(sweep.sweep[7].forwardError < 1e-6 && sweep.sweep[16].forwardError > 1e-3, 'small near √ε, large at 1e-16')
})

t.test('/newton-step', async (t) => {
  const app = await build(t)
  const quadratic = (await post(app, '/newton-step', { model: { kind: 'quadratic', A: [[4, 1], [1, 3]], b: [1, 2] }, w: [0, 0] })).json()
  t.ok(Math.abs(quadratic.w[0] - -1 / 11) < 1e-15 && Math.abs(quadratic.w[1] - -7 / 11) < 1e-15, 'lands on −A⁻¹b = (−1/11, −7/11)')
  t.equal(quadratic.converged, true)
  t.equal(quadratic.iterations, 2)
  const negative = (await post(app, '/newton-step', { model: { kind: 'expression', expression: 'x^4 - x^2', variables: ['x'] }, w: [0.1] })).json()
  t.match(negative, { converged: false, iterations: 0, negativeCurvature: { iteration: 1 } })
  const tooMany = await post(app, '/newton-step', { model: { kind: 'quadratic', A: [[1]] }, w: [0], maxIterations: 1001 })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json().message, /body\/maxIterations must be <= 1000, got 1001/)
  const wrong = await post(app, '/newton-step', { model: { kind: 'quadratic', A: [[1]] }, w: [0, 1] })
  t.match(wrong.json(), { statusCode: 422, message: 'w has 2 entries; the model has 1 parameters' })
})
