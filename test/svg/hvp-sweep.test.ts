import t from 'tap'
import { javascriptBackend, useMatrixBackend } from '../../src/math/backend.js'
import { InvalidRequestError } from '../../src/math/errors.js'
import { hvpSweepSvg, type HvpResponse } from '../../src/svg/hvp-sweep.js'
import { HVP_MLP, HVP_QUADRATIC } from './samples.js'
import { allText, checkPicture, select, type XmlElement } from './xml.js'

// The MLP's errors below are the scalar kernels' to the last digit (other kernels round the
// differences of nearly equal gradients differently).
useMatrixBackend(javascriptBackend)

const markers = (root: XmlElement) => select(root, 'g', 'marker').map((g) => g.attributes['data-marker'])
const points = (root: XmlElement, series: string) => {
  const [group] = select(root, 'g', series)
  return group.children.filter((e) => e.name === 'circle' || e.name === 'rect')
}
const base = { hv: [1], value: 0, gradient: [0], method: 'exact' as const }

t.test('the MLP example: two V-shaped series, decade axes, the best steps marked', async (t) => {
  const root = checkPicture(hvpSweepSvg(HVP_MLP()))
  t.equal(points(root, 'forward').length, 17, '17 forward points')
  t.equal(points(root, 'central').length, 17, '17 central points')
  t.equal(select(root, 'polyline').length, 2, 'one unbroken line per series')
  t.strictSame(markers(root), ['optimum-forward', 'optimum-central'], 'no step used: method exact')
  const labels = allText(root)
  t.match(labels, 'best forward: r = 10⁻⁸, error 3.7×10⁻⁸')
  t.match(labels, 'best central: r = 10⁻⁶, error 7.6×10⁻¹¹')
  for (const tick of ['10⁻¹⁶', '10⁻⁸', '10⁰', '10⁻¹⁰']) t.match(labels, tick, `tick ${tick}`)
  t.match(labels, 'step r (log scale)')
  t.match(labels, 'relative error')
  t.match(labels, 'forward (g(w+rv) − g(w))/r', 'legend')
  t.match(root.children[1].text, /17 steps from 1 to 10⁻¹⁶.*forward error is smallest, 3.69×10⁻⁸, at r = 10⁻⁸/)
  t.notMatch(root.children[1].text, 'Not drawn')
  t.equal(select(root, 'text', 'footnote').length, 0)
})

t.test('zero errors are left out (a log axis has no 0) and said so; the step used is marked', async (t) => {
  const root = checkPicture(hvpSweepSvg(HVP_QUADRATIC()))
  t.equal(points(root, 'forward').length, 16, 'r = 1 (error 0) is not drawn')
  t.equal(points(root, 'central').length, 16)
  t.strictSame(markers(root), ['optimum-forward', 'optimum-central', 'used'])
  t.match(allText(root), 'best forward: r = 1, error 0')
  t.match(allText(root), 'r used: 1.4×10⁻⁵')
  t.match(root.children[1].text, 'Not drawn, as a log axis has no 0 and null is not computable: forward at r = 1 (0); central at r = 1 (0).')
  t.equal(select(root, 'text', 'footnote').length, 2, 'a visible footnote per series')
})

t.test('null errors break the line; a series all null is not drawn', async (t) => {
  const sweep = [1, 0.1, 0.01, 0.001].map((r, k) => ({ r, forwardError: k === 1 ? null : r, centralError: null }))
  const root = checkPicture(hvpSweepSvg({ ...base, sweep }))
  t.equal(points(root, 'forward').length, 3)
  t.equal(select(select(root, 'g', 'forward')[0], 'polyline').length, 1, 'the run 10⁻², 10⁻³ is a line; 1 alone is a point')
  t.equal(points(root, 'central').length, 0)
  t.strictSame(markers(root), ['optimum-forward'])
  t.match(root.children[1].text, 'The central error is null at every step (not computable: Hv is 0), so it is not drawn.')
  t.match(root.children[1].text, 'forward at r = 0.1 (null)')
})

t.test('a single step, ties, and a step used outside the swept range', async (t) => {
  const single = checkPicture(hvpSweepSvg({ ...base, method: 'forward', r: 1e-30, sweep: [{ r: 1e-3, forwardError: 2e-5, centralError: 2e-5 }] }))
  t.match(single.children[1].text, '1 step from 0.001 to 0.001')
  t.equal(points(single, 'forward').length, 1)
  t.equal(select(single, 'polyline').length, 0, 'no line through one point')
  t.match(allText(single), '10⁻⁴', 'one decade added each side')
  t.strictSame(markers(single), ['optimum-forward', 'optimum-central'], 'r = 10⁻³⁰ is off the axis: not marked')
  t.match(single.children[1].text, 'The answer used r = 10⁻³⁰.', 'but said')

  const tie = [{ r: 1e-2, forwardError: 1e-3, centralError: 1e-3 }, { r: 1e-1, forwardError: 1e-3, centralError: 1e-4 }, { r: 1e-3, forwardError: 1e-3, centralError: 1e-5 }]
  const root = checkPicture(hvpSweepSvg({ ...base, sweep: tie }))
  t.match(allText(root), 'best forward: r = 0.1', 'on a tie, the largest step')

  const allZero = checkPicture(hvpSweepSvg({ ...base, sweep: [{ r: 1, forwardError: 0, centralError: 0 }, { r: 0.1, forwardError: 0, centralError: 0 }] }))
  t.match(allText(allZero), '10⁻¹⁶', 'no positive error: the y axis spans 10⁻¹⁶ … 10⁰')
})

t.test('no sweep to draw', async (t) => {
  const noSweep: HvpResponse = { ...base }
  t.throws(() => hvpSweepSvg(noSweep), InvalidRequestError)
  t.throws(() => hvpSweepSvg({ ...base, sweep: [] }), { message: 'hvp picture: the answer has no sweep to draw; ask with sweep: true', statusCode: 400 })
  t.throws(() => hvpSweepSvg({ ...base, sweep: [{ r: 0, forwardError: 1, centralError: 1 }] }), InvalidRequestError, 'r = 0 has no place on a log axis')
})
