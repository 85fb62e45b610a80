/**
 * The V-shaped trade-off of question 3.5 as a picture: the relative error of the forward and
 * central finite-difference Hessian-vector products against the step r, both axes
 * logarithmic, from `POST /hvp` with `sweep: true`. Truncation error falls as r (forward) or
 * r² (central) while rounding error grows as ε/r, so each curve has a best step; the picture
 * marks the best step of each series found in the sweep, and the step the answer used (`r`)
 * when there was one.
 */
import type { Static } from '@sinclair/typebox'
import { InvalidRequestError } from '../math/errors.js'
import type { hvpOperation } from '../operations/hvp.js'
import { element, formatValue, HALO, powerOfTen, svgDocument, text, truncate, type Child, type Markup } from './document.js'

export type HvpResponse = Static<typeof hvpOperation.response>
type SweepRow = NonNullable<HvpResponse['sweep']>[number]
type ErrorKey = 'forwardError' | 'centralError'

const WIDTH = 640
const LEFT = 84
const RIGHT = 612
const PLOT_HEIGHT = 300
/** Room above the plot for one marker label per row, so that labels never cover the data. */
const LABEL_ROW = 17
const SERIES = [
  { key: 'forwardError', name: 'forward', formula: '(g(w+rv) − g(w))/r', colour: '#c2500a', dash: '7 4' },
  { key: 'centralError', name: 'central', formula: '(g(w+rv) − g(w−rv))/2r', colour: '#12806a', dash: undefined }
] as const
const USED_COLOUR = '#555555'

interface Axis { min: number, max: number, from: number, to: number }
interface Plot { left: number, right: number, top: number, bottom: number }

/** The decades [⌊log₁₀ min⌋, ⌈log₁₀ max⌉] of positive values, one more each side when that is a single decade. */
function decades (values: readonly number[]): [number, number] {
  const low = Math.floor(Math.log10(Math.min(...values)))
  const high = Math.ceil(Math.log10(Math.max(...values)))
  return low === high ? [low - 1, high + 1] : [low, high]
}

function position (axis: Axis, value: number): number {
  return axis.from + (Math.log10(value) - axis.min) / (axis.max - axis.min) * (axis.to - axis.from)
}

/** Every decade gets a grid line; labels every `step` decades so that they stay `spacing` px apart. */
function labelStep (axis: Axis, spacing: number): number {
  return Math.max(1, Math.ceil(spacing * (axis.max - axis.min) / Math.abs(axis.to - axis.from)))
}

function axes (plot: Plot, x: Axis, y: Axis): Markup[] {
  const parts: Markup[] = []
  const xStep = labelStep(x, 44)
  for (let k = x.min; k <= x.max; k++) {
    const at = position(x, 10 ** k)
    parts.push(element('line', { x1: at, y1: plot.top, x2: at, y2: plot.bottom, stroke: '#e3e3e3', 'stroke-width': 1 }))
    parts.push(element('line', { x1: at, y1: plot.bottom, x2: at, y2: plot.bottom + 5, stroke: '#1a1a1a' }))
    if ((k - x.min) % xStep === 0) parts.push(text(at, plot.bottom + 19, powerOfTen(k), { 'text-anchor': 'middle' }))
  }
  const yStep = labelStep(y, 22)
  for (let k = y.min; k <= y.max; k++) {
    const at = position(y, 10 ** k)
    parts.push(element('line', { x1: plot.left, y1: at, x2: plot.right, y2: at, stroke: '#e3e3e3', 'stroke-width': 1 }))
    parts.push(element('line', { x1: plot.left - 5, y1: at, x2: plot.left, y2: at, stroke: '#1a1a1a' }))
    if ((k - y.min) % yStep === 0) parts.push(text(plot.left - 8, at + 4, powerOfTen(k), { 'text-anchor': 'end' }))
  }
  parts.push(element('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: 'none', stroke: '#1a1a1a' }))
  parts.push(text((plot.left + plot.right) / 2, plot.bottom + 40, 'step r (log scale)', { 'text-anchor': 'middle', 'font-size': 13 }))
  const middle = (plot.top + plot.bottom) / 2
  parts.push(text(22, middle, 'relative error ‖Hv_fd − Hv‖ / ‖Hv‖', { 'text-anchor': 'middle', 'font-size': 13, transform: `rotate(-90 22 ${middle})` }))
  return parts
}

/** One polyline per run of drawable points (a zero or null error breaks the line), and a marker per point. */
function seriesMarkup (rows: readonly SweepRow[], series: typeof SERIES[number], x: Axis, y: Axis): Markup {
  const runs: Array<Array<[number, number]>> = [[]]
  const markers: Markup[] = []
  for (const row of rows) {
    const error = row[series.key]
    if (error === null || error <= 0) {
      runs.push([])
      continue
    }
    const point: [number, number] = [position(x, row.r), position(y, error)]
    runs[runs.length - 1].push(point)
    const label = element('title', {}, `${series.name}: r = ${formatValue(row.r)}, error ${formatValue(error)}`)
    markers.push(series.key === 'forwardError'
      ? element('circle', { cx: point[0], cy: point[1], r: 3.5, fill: series.colour }, label)
      : element('rect', { x: point[0] - 3.5, y: point[1] - 3.5, width: 7, height: 7, fill: series.colour }, label))
  }
  const lines = runs.filter((run) => run.length > 1).map((run) => element('polyline', {
    points: run.map(([px, py]) => `${px.toFixed(2)},${py.toFixed(2)}`).join(' '),
    fill: 'none',
    stroke: series.colour,
    'stroke-width': 2,
    'stroke-dasharray': series.dash,
    'stroke-linejoin': 'round'
  }))
  return element('g', { class: `series ${series.name}`, 'data-series': series.name }, ...lines, ...markers)
}

/** The smallest error of a series and its step (the largest such step on a tie), or undefined if it has none. */
function optimum (rows: readonly SweepRow[], key: ErrorKey): { r: number, error: number } | undefined {
  let best: { r: number, error: number } | undefined
  for (const row of rows) {
    const error = row[key]
    if (error !== null && (best === undefined || error < best.error || (error === best.error && row.r > best.r))) best = { r: row.r, error }
  }
  return best
}

/** A vertical marker at step r with its label on row `slot` of the plot's top, on the side with room. */
function stepMarker (plot: Plot, x: Axis, r: number, slot: number, label: string, colour: string, kind: string): Markup {
  const at = position(x, r)
  const right = at < (plot.left + plot.right) / 2
  const labelY = 50 + slot * LABEL_ROW
  return element('g', { class: `marker ${kind}`, 'data-marker': kind },
    element('line', { x1: at, y1: labelY - 12, x2: at, y2: plot.bottom, stroke: colour, 'stroke-width': 1.5, 'stroke-dasharray': '2 3' }),
    text(right ? at + 7 : at - 7, labelY, label, { 'text-anchor': right ? 'start' : 'end', fill: colour, 'font-weight': 600, ...HALO }))
}

function legend (y: number, showUsed: boolean): Markup {
  const items: Child[] = []
  let x = LEFT
  for (const series of SERIES) {
    items.push(element('line', { x1: x, y1: y - 4, x2: x + 28, y2: y - 4, stroke: series.colour, 'stroke-width': 2, 'stroke-dasharray': series.dash }))
    items.push(series.key === 'forwardError'
      ? element('circle', { cx: x + 14, cy: y - 4, r: 3.5, fill: series.colour })
      : element('rect', { x: x + 10.5, y: y - 7.5, width: 7, height: 7, fill: series.colour }))
    items.push(text(x + 34, y, `${series.name} ${series.formula}`))
    x += 236
  }
  if (showUsed) {
    items.push(element('line', { x1: x - 8, y1: y - 4, x2: x + 20, y2: y - 4, stroke: USED_COLOUR, 'stroke-width': 1.5, 'stroke-dasharray': '2 3' }))
    items.push(text(x + 26, y, 'r used'))
  }
  return element('g', { class: 'legend' }, ...items)
}

/**
 * The sweep of an `hvp` answer as a log-log SVG: forward and central relative error against
 * r, decade ticks, the best step of each series (vertical markers with labels), the step used
 * (`r`, when the method was forward or central), a legend. Errors of exactly 0 (the
 * difference was exact, e.g. a quadratic at r = 1) and null errors (Hv = 0) cannot sit on a
 * log axis: they are left out, the line breaks there, and `<desc>` and a footnote say which.
 * @throws {InvalidRequestError} (400) when the answer has no sweep (ask with sweep: true)
 * @example hvpSweepSvg(hvpOperation.run({ …, sweep: true }, limits)) // '<svg xmlns=…'
 */
export function hvpSweepSvg (result: HvpResponse): string {
  const rows = (result.sweep ?? []).filter((row) => Number.isFinite(row.r) && row.r > 0)
  if (rows.length === 0) throw new InvalidRequestError('hvp picture: the answer has no sweep to draw; ask with sweep: true')
  const [xMin, xMax] = decades(rows.map((row) => row.r))
  const errors = rows.flatMap((row) => [row.forwardError, row.centralError]).filter((e): e is number => e !== null && e > 0)
  const [yMin, yMax] = errors.length > 0 ? decades(errors) : [-16, 0]

  const sentences: string[] = [`Log-log plot of the relative error of the forward and central finite-difference Hessian-vector products against the step r, ${rows.length} step${rows.length === 1 ? '' : 's'} from ${formatValue(rows[0].r)} to ${formatValue(rows[rows.length - 1].r)}.`]
  const notes: string[] = []
  const markers: Array<{ r: number, label: string, colour: string, kind: string }> = []
  for (const series of SERIES) {
    const best = optimum(rows, series.key)
    if (best === undefined) {
      sentences.push(`The ${series.name} error is null at every step (not computable: Hv is 0), so it is not drawn.`)
      continue
    }
    sentences.push(`The ${series.name} error is smallest, ${formatValue(best.error, 3)}, at r = ${formatValue(best.r, 3)}.`)
    markers.push({ r: best.r, label: `best ${series.name}: r = ${formatValue(best.r)}, error ${formatValue(best.error)}`, colour: series.colour, kind: `optimum-${series.name}` })
    const omitted = rows.filter((row) => row[series.key] === null || row[series.key]! <= 0)
    if (omitted.length > 0) notes.push(`${series.name} at ${omitted.map((row) => `r = ${formatValue(row.r)} (${row[series.key] === null ? 'null' : '0'})`).join(', ')}`)
  }
  const used = result.r !== undefined && result.r > 0 ? result.r : undefined
  if (used !== undefined) {
    sentences.push(`The answer used r = ${formatValue(used, 3)}.`)
    if (used >= 10 ** xMin && used <= 10 ** xMax) markers.push({ r: used, label: `r used: ${formatValue(used)}`, colour: USED_COLOUR, kind: 'used' })
  }
  if (notes.length > 0) sentences.push(`Not drawn, as a log axis has no 0 and null is not computable: ${notes.join('; ')}.`)

  const top = 44 + markers.length * LABEL_ROW
  const plot: Plot = { left: LEFT, right: RIGHT, top, bottom: top + PLOT_HEIGHT }
  const x: Axis = { min: xMin, max: xMax, from: plot.left, to: plot.right }
  const y: Axis = { min: yMin, max: yMax, from: plot.bottom, to: plot.top }
  const legendY = plot.bottom + 70
  const footnotes = notes.map((note) => truncate(`Not drawn (0: exact difference; null: Hv is 0): ${note}`, 100))
  return svgDocument({
    width: WIDTH,
    height: legendY + 18 + footnotes.length * 16,
    title: 'Finite-difference error of the Hessian-vector product against the step r',
    description: sentences.join(' ')
  },
  text(plot.left, 26, 'Finite-difference error of Hv against the step r', { 'font-size': 15, 'font-weight': 600 }),
  ...axes(plot, x, y),
  ...SERIES.map((series) => seriesMarkup(rows, series, x, y)),
  ...markers.map((marker, slot) => stepMarker(plot, x, marker.r, slot, marker.label, marker.colour, marker.kind)),
  legend(legendY, used !== undefined),
  ...footnotes.map((note, k) => text(plot.left, legendY + 24 + k * 16, note, { 'font-size': 11, fill: '#555555', class: 'footnote' })))
}
