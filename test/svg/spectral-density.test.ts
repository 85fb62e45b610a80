import t from 'tap'
import { InvalidRequestError } from '../../src/math/errors.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { hessianSpectrumOperation } from '../../src/operations/hessian-spectrum.js'
import { drawableRange, niceTicks, spectralDensitySvg, type HessianSpectrumResponse } from '../../src/svg/spectral-density.js'
import { allText, checkPicture, select } from './xml.js'

const spectrum = (body: unknown): HessianSpectrumResponse => hessianSpectrumOperation.run(body as never, DEFAULT_LIMITS)
/** An indefinite quadratic: eigenvalues −1, 2 and 5 (the matrix is diagonal). */
const DIAGONAL = { model: { kind: 'quadratic', A: [[5, 0, 0], [0, 2, 0], [0, 0, -1]] }, w: [0, 0, 0], top: 3, density: true, points: 120 }

t.test('the density of an indefinite quadratic: a curve, a node tick per Ritz value, each eigenvalue marked', async (t) => {
  const answer = spectrum(DIAGONAL)
  t.strictSame(answer.eigenvalues, [5, 2, -1])
  const root = checkPicture(spectralDensitySvg(answer))
  t.equal(select(root, 'polyline', 'density').length, 1)
  t.equal(select(root, 'polyline', 'density')[0].attributes.points.split(' ').length, 120, 'one point per grid point')
  t.equal(select(root, 'g', 'nodes')[0].children.length, answer.density!.nodes.length, 'a tick per quadrature node')
  t.equal(select(root, 'g', 'eigenvalue').length, 3)
  const labels = allText(root)
  for (const label of ['λ = 5', 'λ = 2', 'λ = −1', 'eigenvalue λ of ∇²f(w)', 'density']) t.match(labels, label)
  t.match(root.children[1].text, /3 nodes smoothed with σ = 0.12, on λ from −1.6 to 5.6.*Marked: the eigenvalues 5, 2, −1\./)
})

t.test('a density without its eigenvalues on the grid, a flat one, and none', async (t) => {
  const answer = spectrum(DIAGONAL)
  const off = checkPicture(spectralDensitySvg({ ...answer, eigenvalues: [100] }))
  t.equal(select(off, 'g', 'eigenvalue').length, 0)
  t.match(off.children[1].text, 'No eigenvalue of the answer falls on the grid.')
  const one = checkPicture(spectralDensitySvg({ ...answer, eigenvalues: [2] }))
  t.match(one.children[1].text, 'Marked: the eigenvalue 2.')
  const flat = checkPicture(spectralDensitySvg({ ...answer, density: { ...answer.density!, values: answer.density!.values.map(() => 0) } }))
  t.equal(select(flat, 'polyline', 'density').length, 1, 'a zero density draws along the axis')
  t.throws(() => spectralDensitySvg({ ...answer, density: undefined }), new InvalidRequestError('hessian-spectrum picture: the answer has no density to draw; ask with density: true'))
  t.throws(() => spectralDensitySvg({ ...answer, density: { ...answer.density!, values: [null, ...answer.density!.values.slice(1)] } }), /the density has non-finite values/)
  t.throws(() => spectralDensitySvg({ ...answer, density: { ...answer.density!, sigma: null } }), /the density has non-finite values/)
  const lanczos = checkPicture(spectralDensitySvg(spectrum({ ...DIAGONAL, method: 'lanczos', sigma: 0.5 })))
  t.match(allText(lanczos), 'Lanczos eigenvalues marked')
  t.match(lanczos.children[1].text, 'σ = 0.5')
})

t.test('a density narrower than float64 can label: the axis is widened, the ticks bounded', async (t) => {
  // Nodes at 1 with σ = 3·10⁻¹⁷: the grid spans a few ulps of 1.
  const narrow = spectrum({ model: { kind: 'quadratic', A: [[1]] }, w: [0], density: true, sigma: 3e-17, points: 2 })
  const root = checkPicture(spectralDensitySvg(narrow))
  t.equal(select(root, 'polyline', 'density').length, 1)
  t.ok(select(root, 'text').length < 40, 'a bounded number of labels')
  checkPicture(spectralDensitySvg(spectrum({ model: { kind: 'quadratic', A: [[0]] }, w: [0], density: true, sigma: 1e-300, points: 3 })))
  // σ = 5·10⁻³²⁴: 1/(σ√2π) overflows, the JSON has nulls and a warning, and there is nothing to draw.
  t.throws(() => spectralDensitySvg(spectrum({ model: { kind: 'quadratic', A: [[0]] }, w: [0], density: true, sigma: 5e-324, points: 3 })), /non-finite values/)
  t.strictSame(drawableRange(1, 1), [1 - 5e-10, 1 + 5e-10])
  t.strictSame(drawableRange(0, 0), [-0.5, 0.5])
  t.strictSame(drawableRange(-2, 3), [-2, 3])
  t.ok(niceTicks(1, 1 + 4 * Number.EPSILON).length <= 13, 'a step below float64\'s spacing cannot loop for ever')
})

t.test('round ticks', async (t) => {
  t.strictSame(niceTicks(-1.6, 5.6), [0, 2, 4])
  t.strictSame(niceTicks(-1.6, 5.6, 10), [-1, 0, 1, 2, 3, 4, 5])
  t.strictSame(niceTicks(0, 1), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
  t.strictSame(niceTicks(-0.003, 0.012, 3), [0, 0.005, 0.01])
})
