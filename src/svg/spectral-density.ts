/**
 * The Hessian's spectral density as a picture, from `POST /hessian-spectrum` with
 * `density: true`: the smoothed density against λ on linear axes, a tick under the curve for
 * every quadrature node (the Ritz values, a rug plot), and a labelled vertical line at each
 * eigenvalue the answer reports. Negative eigenvalues are what saddle points look like, and
 * the largest one bounds the stable gradient step (2/λ_max), so both ends are marked.
 */
import type { Static } from '@sinclair/typebox'
import { InvalidRequestError } from '../math/errors.js'
import type { hessianSpectrumOperation } from '../operations/hessian-spectrum.js'
import { element, formatValue, HALO, svgDocument, text, type Markup } from './document.js'

export type HessianSpectrumResponse = Static<typeof hessianSpectrumOperation.response>

const WIDTH = 640
const LEFT = 70
const RIGHT = 612
const TOP = 48
const BOTTOM = 338
const CURVE = '#1f5fa8'
const EIGENVALUE = '#c2500a'

/** About `count` round tick values covering [low, high] (1, 2 or 5 times a power of ten apart). */
export function niceTicks (low: number, high: number, count = 6): number[] {
  const raw = (high - low) / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw)!
  const ticks: number[] = []
  // + 0: the tick at zero is 0, not −0. At most 2·count + 1 ticks, whatever the rounding of
  // k·step (a step below the spacing of float64 near `low` would never pass `high`).
  for (let k = Math.ceil(low / step); k * step <= high && ticks.length <= 2 * count; k++) ticks.push(k * step + 0)
  return ticks
}

/**
 * [low, high], widened around its middle to at least 10⁻⁹ of its magnitude (1 around 0): a
 * narrower axis (a density of nodes a few ulps apart, or a tiny sigma) could not be labelled.
 */
export function drawableRange (low: number, high: number): [number, number] {
  const minimum = 1e-9 * Math.max(Math.abs(low), Math.abs(high)) || 1
  if (high - low >= minimum) return [low, high]
  const middle = low / 2 + high / 2
  return [middle - minimum / 2, middle + minimum / 2]
}

/**
 * @throws {InvalidRequestError} (400) when the answer has no density (ask with density: true)
 *   or its grid or values are not all finite
 */
export function spectralDensitySvg (result: HessianSpectrumResponse): string {
  const density = result.density
  if (density === undefined) throw new InvalidRequestError('hessian-spectrum picture: the answer has no density to draw; ask with density: true')
  const points = density.grid.map((x, i) => [x, density.values[i]] as const)
  const sigma = density.sigma
  if (sigma === null || points.some(([x, y]) => x === null || y === null)) throw new InvalidRequestError('hessian-spectrum picture: the density has non-finite values (see the JSON answer\'s warnings); rescale the model or give sigma')
  const grid = points as ReadonlyArray<readonly [number, number]>
  const [low, high] = drawableRange(grid[0][0], grid[grid.length - 1][0])
  const peak = Math.max(...grid.map(([, y]) => y))
  const x = (value: number): number => LEFT + (value - low) / (high - low) * (RIGHT - LEFT)
  const y = (value: number): number => BOTTOM - (peak > 0 ? value / peak : 0) * (BOTTOM - TOP)
  const parts: Markup[] = []
  for (const tick of niceTicks(low, high)) {
    parts.push(element('line', { x1: x(tick), y1: TOP, x2: x(tick), y2: BOTTOM, stroke: '#e3e3e3' }))
    parts.push(text(x(tick), BOTTOM + 18, formatValue(tick, 3), { 'text-anchor': 'middle' }))
  }
  parts.push(element('rect', { x: LEFT, y: TOP, width: RIGHT - LEFT, height: BOTTOM - TOP, fill: 'none', stroke: '#1a1a1a' }))
  parts.push(text((LEFT + RIGHT) / 2, BOTTOM + 40, 'eigenvalue λ of ∇²f(w)', { 'text-anchor': 'middle', 'font-size': 13 }))
  parts.push(text(22, (TOP + BOTTOM) / 2, 'density', { 'text-anchor': 'middle', 'font-size': 13, transform: `rotate(-90 22 ${(TOP + BOTTOM) / 2})` }))
  parts.push(element('polyline', {
    class: 'density',
    points: grid.map(([gx, gy]) => `${x(gx).toFixed(2)},${y(gy).toFixed(2)}`).join(' '),
    fill: 'none',
    stroke: CURVE,
    'stroke-width': 2,
    'stroke-linejoin': 'round'
  }))
  const nodes = density.nodes.filter((node): node is number => node !== null)
  parts.push(element('g', { class: 'nodes' }, ...nodes.map((node) => element('line', { x1: x(node), y1: BOTTOM, x2: x(node), y2: BOTTOM - 8, stroke: CURVE }))))
  const shown = result.eigenvalues.filter((value): value is number => value !== null && value >= low && value <= high)
  shown.forEach((value, k) => {
    const right = x(value) < (LEFT + RIGHT) / 2
    parts.push(element('g', { class: 'eigenvalue' },
      element('line', { x1: x(value), y1: TOP, x2: x(value), y2: BOTTOM, stroke: EIGENVALUE, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' }),
      text(right ? x(value) + 6 : x(value) - 6, TOP + 16 + 16 * (k % 4), `λ = ${formatValue(value, 4)}`, { 'text-anchor': right ? 'start' : 'end', fill: EIGENVALUE, 'font-weight': 600, ...HALO })))
  })
  const description = `The spectral density of the Hessian by stochastic Lanczos quadrature: ${nodes.length} nodes smoothed with σ = ${formatValue(sigma, 3)}, ` +
    `on λ from ${formatValue(low, 3)} to ${formatValue(high, 3)}, highest at λ = ${formatValue(grid.find(([, gy]) => gy === peak)![0], 3)}. ` +
    (shown.length > 0 ? `Marked: the eigenvalue${shown.length === 1 ? '' : 's'} ${shown.map((value) => formatValue(value, 4)).join(', ')}.` : 'No eigenvalue of the answer falls on the grid.')
  return svgDocument({ width: WIDTH, height: BOTTOM + 56, title: 'Spectral density of the Hessian', description },
    text(LEFT, 28, `Spectral density of ∇²f(w) (${result.method === 'exact' ? 'exact eigenvalues' : 'Lanczos eigenvalues'} marked)`, { 'font-size': 15, 'font-weight': 600 }),
    ...parts)
}
