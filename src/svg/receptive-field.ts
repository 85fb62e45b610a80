/**
 * The receptive field growing layer by layer (questions 4.1, 5.1, 5.3, `POST /receptive-field`)
 * as nested rectangles over the input pixel grid: after layer l, the input region one
 * layer-l feature sees, centre start_l + q·j_l and size r_l (Distill's conventions, pixel
 * centres at integers, see src/math/receptive-field.ts).
 *
 * Which feature q: the top-left one ([0, 0]) of every layer, or — when the answer carries
 * `region` (the request gave `pixel`) — at every layer the middle feature of the chosen
 * output feature's backward cone, i.e. the layer-l feature whose region is centred nearest
 * the chosen feature's centre. At the last layer that is the chosen feature itself, so the
 * last rectangle is `region`.
 */
import type { Static } from '@sinclair/typebox'
import type { Pair } from '../math/pair.js'
import type { receptiveFieldOperation } from '../operations/receptive-field.js'
import { element, formatNumber, HALO, svgDocument, SvgTooLargeError, text, truncate, type Markup } from './document.js'

export type ReceptiveFieldResponse = Static<typeof receptiveFieldOperation.response>
/** The request's `input`: n (meaning n × n) or [H, W]. */
export type ReceptiveFieldInput = Static<typeof receptiveFieldOperation.body>['input']

/** Most layers drawn: one rectangle and one legend row each (the JSON answer takes up to MAX_LAYERS). */
export const RECEPTIVE_FIELD_SVG_MAX_LAYERS = 64

interface Rectangle { top: number, left: number, bottom: number, right: number }
interface Step {
  /** 1-based numbers of the layers with this same rectangle (an elementwise layer changes nothing) */
  layers: number[]
  names: string[]
  field: Pair
  jump: Pair
  outputShape?: Pair
  feature: Pair
  region: Rectangle
}

const GRID = 440
const MARGIN = { left: 48, top: 92 }
// Light to dark along the network (viridis, sampled), so deeper layers read as "more".
const DEPTH = ['#6ece58', '#35b779', '#1f9e89', '#26828e', '#31688e', '#3e4989', '#482878', '#440154']

function depthColour (k: number, count: number): string {
  return DEPTH[count <= 1 ? DEPTH.length - 1 : Math.round(k * (DEPTH.length - 1) / (count - 1))]
}

/** A tick step from 1, 2, 5, 10, 20, 50, … that keeps labels `spacing` px apart. */
function tickStep (cell: number, spacing: number): number {
  let step = 1
  // × 2, × 2.5, × 2: 1 → 2 → 5 → 10 → 20 → 50 …
  for (let k = 0; step * cell < spacing; k++) step *= k % 3 === 1 ? 2.5 : 2
  return step
}

function pairText (pair: Pair): string {
  return `${pair[0]} × ${pair[1]}`
}

function span (from: number, to: number): string {
  return from === to ? String(from) : `${from}–${to}`
}

/** One step per run of layers with the same region, each with its feature and region. */
function steps (result: ReceptiveFieldResponse): Step[] {
  const region = result.region
  // The chosen feature's centre in input coordinates (pixel centres are integers).
  const centre: Pair | undefined = region && [(region.top + region.bottom) / 2, (region.left + region.right) / 2]
  const out: Step[] = []
  result.layers.forEach((layer, k) => {
    const field = layer.receptiveField as Pair
    const jump = layer.jump as Pair
    const start = layer.start as Pair
    const outputShape = layer.outputShape as Pair | undefined
    const feature = [0, 1].map((d) => {
      if (centre === undefined) return 0
      const nearest = Math.max(0, Math.round((centre[d] - start[d]) / jump[d]))
      return outputShape === undefined ? nearest : Math.min(nearest, outputShape[d] - 1)
    }) as Pair
    const [top, left] = [0, 1].map((d) => start[d] + feature[d] * jump[d] - (field[d] - 1) / 2)
    const [bottom, right] = [0, 1].map((d) => start[d] + feature[d] * jump[d] + (field[d] - 1) / 2)
    const previous = out[out.length - 1]
    const same = previous !== undefined && previous.region.top === top && previous.region.left === left && previous.region.bottom === bottom && previous.region.right === right
    if (same) {
      previous.layers.push(k + 1)
      previous.names.push(layer.name)
      previous.outputShape = outputShape
      previous.feature = feature
    } else {
      out.push({ layers: [k + 1], names: [layer.name], field, jump, outputShape, feature, region: { top, left, bottom, right } })
    }
  })
  return out
}

/**
 * A `receptiveField` answer as an SVG: the input pixel grid (padding shaded, when the input
 * size is known), one rectangle per layer — consecutive layers that do not change the region
 * share one — numbered at its bottom-right corner, and a table of the layers with their
 * receptive field, jump and output shape. Without `input` the grid is just large enough for
 * the regions.
 * @param input - the request's input size (the answer does not repeat it)
 * @throws {SvgTooLargeError} (413) above RECEPTIVE_FIELD_SVG_MAX_LAYERS layers
 * @example receptiveFieldSvg(receptiveFieldOperation.run({ input: 32, architecture: 'Conv-3x3 → Conv-3x3' }, limits), 32) // '<svg xmlns=…'
 */
export function receptiveFieldSvg (result: ReceptiveFieldResponse, input?: ReceptiveFieldInput): string {
  if (result.layers.length > RECEPTIVE_FIELD_SVG_MAX_LAYERS) {
    throw new SvgTooLargeError(`receptive-field picture: ${result.layers.length} layers, over the picture's limit of ${RECEPTIVE_FIELD_SVG_MAX_LAYERS}; ask for JSON instead`)
  }
  const image: Pair | undefined = input === undefined ? undefined : typeof input === 'number' ? [input, input] : [input[0], input[1]]
  const drawn = steps(result)
  const last = drawn[drawn.length - 1]
  const chosen = result.region !== undefined
  // The grid: the image and every region (which may reach into the padding), pixel 0 always.
  const rectangles = drawn.map((step) => step.region)
  if (image !== undefined) rectangles.push({ top: 0, left: 0, bottom: image[0] - 1, right: image[1] - 1 })
  const rowFrom = Math.min(0, ...rectangles.map((r) => r.top))
  const rowTo = Math.max(0, ...rectangles.map((r) => r.bottom))
  const colFrom = Math.min(0, ...rectangles.map((r) => r.left))
  const colTo = Math.max(0, ...rectangles.map((r) => r.right))
  const rows = rowTo - rowFrom + 1
  const cols = colTo - colFrom + 1
  const cell = Math.min(28, GRID / Math.max(rows, cols))
  const x = (col: number) => MARGIN.left + (col - colFrom) * cell
  const y = (row: number) => MARGIN.top + (row - rowFrom) * cell
  const gridWidth = cols * cell
  const gridHeight = rows * cell

  const parts: Markup[] = []
  // Padding (outside the image) shaded; without an input size, nothing is known to be padding.
  parts.push(element('rect', { x: x(colFrom), y: y(rowFrom), width: gridWidth, height: gridHeight, fill: image === undefined ? '#ffffff' : '#ececec', class: image === undefined ? 'grid' : 'grid padding' }))
  if (image !== undefined) parts.push(element('rect', { x: x(0), y: y(0), width: image[1] * cell, height: image[0] * cell, fill: '#ffffff', class: 'image' }))
  if (cell >= 5) {
    let d = ''
    for (let k = 0; k <= rows; k++) d += `M${formatNumber(x(colFrom))} ${formatNumber(y(rowFrom + k))}h${formatNumber(gridWidth)}`
    for (let k = 0; k <= cols; k++) d += `M${formatNumber(x(colFrom + k))} ${formatNumber(y(rowFrom))}v${formatNumber(gridHeight)}`
    parts.push(element('path', { d, fill: 'none', stroke: '#d4d4d4', 'stroke-width': 0.6 }))
  }
  if (image !== undefined) parts.push(element('rect', { x: x(0), y: y(0), width: image[1] * cell, height: image[0] * cell, fill: 'none', stroke: '#1a1a1a', 'stroke-width': 1.5 }))

  // Deepest (largest) first, so that the smaller rectangles stay visible on top.
  for (let k = drawn.length - 1; k >= 0; k--) {
    const { region, layers } = drawn[k]
    const colour = depthColour(k, drawn.length)
    // Pixel p is the cell [x(p), x(p) + cell): its centre, the integer p of Distill's coordinates, is mid-cell.
    parts.push(element('rect', {
      x: x(region.left),
      y: y(region.top),
      width: (region.right - region.left + 1) * cell,
      height: (region.bottom - region.top + 1) * cell,
      fill: colour,
      'fill-opacity': 0.07,
      stroke: colour,
      'stroke-width': k === drawn.length - 1 ? 3 : 2,
      class: 'field',
      'data-layers': layers.join(' ')
    }, element('title', {}, `after layer ${span(layers[0], layers[layers.length - 1])}: rows ${span(region.top, region.bottom)}, columns ${span(region.left, region.right)}`)))
  }
  // Badges at a corner of their rectangle: bottom-right, or the next corner free of earlier badges.
  const placed: Array<[number, number]> = []
  for (let k = 0; k < drawn.length; k++) {
    const { region } = drawn[k]
    const corners: Array<[number, number]> = [
      [x(region.right + 1) - 8, y(region.bottom + 1) - 8], [x(region.left) + 8, y(region.bottom + 1) - 8],
      [x(region.right + 1) - 8, y(region.top) + 8], [x(region.left) + 8, y(region.top) + 8]
    ]
    const [badgeX, badgeY] = corners.find(([cx, cy]) => placed.every(([px, py]) => Math.hypot(cx - px, cy - py) >= 15)) ?? corners[0]
    placed.push([badgeX, badgeY])
    parts.push(element('g', { class: 'badge' },
      element('circle', { cx: badgeX, cy: badgeY, r: 7.5, fill: depthColour(k, drawn.length), stroke: '#ffffff', 'stroke-width': 1 }),
      text(badgeX, badgeY + 3.5, String(k + 1), { 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 600, fill: '#ffffff' })))
  }
  // The feature itself: its centre, start + q·jump.
  if (last !== undefined) {
    const cy = (last.region.top + last.region.bottom) / 2
    const cx = (last.region.left + last.region.right) / 2
    parts.push(element('circle', { cx: x(cx) + cell / 2, cy: y(cy) + cell / 2, r: Math.max(2.5, Math.min(5, cell / 4)), fill: '#d62728', stroke: '#ffffff', 'stroke-width': 1, class: 'centre' },
      element('title', {}, `centre of the feature's region: row ${cy}, column ${cx}`)))
  }

  // Coordinates along the top and the left.
  const step = tickStep(cell, 28)
  for (let col = Math.ceil(colFrom / step) * step; col <= colTo; col += step) parts.push(text(x(col) + cell / 2, MARGIN.top - 6, String(col), { 'text-anchor': 'middle', 'font-size': 10, fill: '#555555' }))
  for (let row = Math.ceil(rowFrom / step) * step; row <= rowTo; row += step) parts.push(text(MARGIN.left - 6, y(row) + cell / 2 + 3.5, String(row), { 'text-anchor': 'end', 'font-size': 10, fill: '#555555' }))

  // The table of layers, right of the grid.
  const tableX = MARGIN.left + gridWidth + 28
  const columns = [0, 26, 250, 316, 368] as const
  const rowHeight = 19
  const table: Markup[] = [element('g', { 'font-weight': 600, fill: '#555555', 'font-size': 11 },
    ...['#', 'layer', 'field', 'jump', 'output'].map((heading, k) => text(tableX + columns[k], MARGIN.top - 6, heading)))]
  drawn.forEach((s, k) => {
    const rowY = MARGIN.top + 12 + k * rowHeight
    const colour = depthColour(k, drawn.length)
    table.push(element('g', { class: 'layer-row' },
      element('circle', { cx: tableX + 7, cy: rowY - 4, r: 7.5, fill: colour }),
      text(tableX + 7, rowY - 0.5, String(k + 1), { 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 600, fill: '#ffffff' }),
      text(tableX + columns[1], rowY, truncate(`${span(s.layers[0], s.layers[s.layers.length - 1])}. ${s.names.join(', ')}`, 31), { class: 'layer-name' }),
      text(tableX + columns[2], rowY, pairText(s.field)),
      text(tableX + columns[3], rowY, pairText(s.jump)),
      text(tableX + columns[4], rowY, s.outputShape === undefined ? '–' : pairText(s.outputShape))))
  })
  const tableWidth = columns[4] + 64

  const feature = last === undefined ? undefined : chosen ? `output feature [${last.feature.join(', ')}]` : 'the top-left feature [0, 0] of each layer'
  const subtitle = [
    image === undefined ? 'input size not given: grid just large enough' : `input ${pairText(image)} (grey: padding)`,
    feature === undefined ? 'no layers' : `region of ${feature}`
  ].join(' · ')
  const fieldText = `receptive field ${pairText(result.receptiveField as Pair)}, jump ${pairText(result.jump as Pair)}`
  const described = drawn.map((s, k) => `${k + 1}: after layer ${span(s.layers[0], s.layers[s.layers.length - 1])} (${s.names.join(', ')}), receptive field ${pairText(s.field)}, ` +
    `rows ${span(s.region.top, s.region.bottom)}, columns ${span(s.region.left, s.region.right)}`)
  const width = tableX + tableWidth + 16
  const height = Math.max(MARGIN.top + gridHeight, MARGIN.top + 12 + drawn.length * rowHeight) + 24
  return svgDocument({
    width,
    height,
    title: `Receptive field layer by layer: ${fieldText}`,
    description: `Nested rectangles over the input pixel grid (${subtitle}), one per layer whose region differs from the previous one. ${described.join('; ')}.` +
      (result.region?.clipped !== undefined && chosen ? ` Clipped to the image: rows ${span(result.region.clipped.top, result.region.clipped.bottom)}, columns ${span(result.region.clipped.left, result.region.clipped.right)}.` : '')
  },
  text(MARGIN.left, 24, `Receptive field layer by layer: ${fieldText}`, { 'font-size': 15, 'font-weight': 600 }),
  text(MARGIN.left, 44, truncate(subtitle, 110), { 'font-size': 12, fill: '#555555' }),
  text(MARGIN.left, 62, 'rectangle k: the input pixels the feature sees after row k of the table', { 'font-size': 11, fill: '#555555', ...HALO }),
  ...parts,
  element('g', { class: 'layers' }, ...table))
}
