/**
 * The matrix A of a convolution (questions 4.3–4.4, `POST /conv-matrix`) as a heat map: one
 * cell per entry, numeric entries on a diverging scale centred on 0 (ColorBrewer RdBu: blue
 * negative, red positive), symbolic entries ("w_{i,j}") as their name on a tint shared by
 * every copy of the same kernel entry — so the band structure of A (each row the kernel,
 * shifted by the stride) is visible — and zeros blank.
 *
 * Size: the picture is refused, not downsampled, above CONV_MATRIX_SVG_MAX_CELLS entries or
 * CONV_MATRIX_SVG_MAX_SIDE rows or columns. Averaging blocks of A would blur exactly the
 * structure the picture is for, and a block of symbols has no average; the JSON answer
 * (format "dense" or "sparse") has no such limit.
 */
import type { Static } from '@sinclair/typebox'
import { InvalidRequestError } from '../math/errors.js'
import type { convMatrixOperation } from '../operations/conv-matrix.js'
import { element, formatValue, svgDocument, SvgTooLargeError, text, truncate, type Child, type Markup } from './document.js'

export type ConvMatrixResponse = Static<typeof convMatrixOperation.response>

/** Largest number of entries (rows · cols) drawn: 64 × 64. */
export const CONV_MATRIX_SVG_MAX_CELLS = 4096
/** Largest number of rows, and of columns, drawn (a 16 × 256 matrix is a strip, not a picture). */
export const CONV_MATRIX_SVG_MAX_SIDE = 128

type Entry = number | string
interface Cell { row: number, col: number, value: Entry }

// ColorBrewer RdBu (7 classes), from −1 to 1.
const DIVERGING = ['#2166ac', '#67a9cf', '#d1e5f0', '#f7f7f7', '#fddbc7', '#ef8a62', '#b2182b']
// Pastel tints for symbolic entries, one per distinct symbol (cycled beyond nine).
const TINTS = ['#fde0c5', '#d4e8f7', '#dcedc8', '#f3d9ec', '#fff3b0', '#d7d3f0', '#c8ece6', '#f7d6d0', '#e8e8e8']
const MARGIN = { left: 64, top: 74, right: 24 }

function hex (colour: string): number[] {
  return [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16))
}

/** The RdBu colour of t ∈ [−1, 1], linear between the seven classes. */
export function divergingColour (t: number): string {
  const position = (Math.max(-1, Math.min(1, t)) + 1) / 2 * (DIVERGING.length - 1)
  const k = Math.min(Math.floor(position), DIVERGING.length - 2)
  const [from, to] = [hex(DIVERGING[k]), hex(DIVERGING[k + 1])]
  return '#' + from.map((c, i) => Math.round(c + (to[i] - c) * (position - k)).toString(16).padStart(2, '0')).join('')
}

/** The non-zero entries of the answer, from `matrix` (format dense) or `sparse`. */
function nonZeros (result: ConvMatrixResponse): Cell[] {
  const cells: Cell[] = []
  if (result.matrix !== undefined) {
    result.matrix.forEach((entries: Entry[], row) => entries.forEach((value, col) => {
      if (value !== 0 && value !== '0') cells.push({ row, col, value })
    }))
  } else {
    const { row, col, value } = result.sparse!
    value.forEach((entry, k) => {
      if (entry !== 0 && entry !== '0') cells.push({ row: row[k], col: col[k], value: entry })
    })
  }
  return cells
}

/** "w_{1,2}" as w with the subscript 1,2 (a smaller, lowered tspan); anything else as is. */
function symbolLabel (label: string, x: number, y: number, size: number): Markup {
  const parts = /^([^_{}]+)_\{([^{}]+)\}$/.exec(label)
  const attributes = { 'text-anchor': 'middle', 'font-size': size, 'font-style': parts ? 'italic' : undefined }
  if (!parts) return text(x, y, label, attributes)
  return element('text', { x, y, ...attributes },
    parts[1],
    element('tspan', { 'font-size': size * 0.72, dy: size * 0.3, 'font-style': 'normal' }, parts[2]))
}

/** Width in px of a symbol label at `size`, estimated at 0.62 em per character. */
function symbolWidth (label: string, size: number): number {
  const parts = /^([^_{}]+)_\{([^{}]+)\}$/.exec(label)
  return parts ? 0.62 * size * (Array.from(parts[1]).length + 0.72 * Array.from(parts[2]).length) : 0.62 * size * Array.from(label).length
}

/** Index labels every `step` so that they stay about `spacing` px apart. */
function indexStep (cell: number, spacing: number): number {
  return Math.max(1, Math.ceil(spacing / cell))
}

/**
 * The matrix of a `convMatrix` answer (format "dense" or "sparse") as an SVG heat map: row
 * and column indices, numeric entries coloured (with their value when the cells are large
 * enough) and a colour bar, symbolic entries named, every non-zero cell with a tooltip, a
 * caption with the shape.
 * @throws {SvgTooLargeError} (413) above CONV_MATRIX_SVG_MAX_CELLS entries or
 *   CONV_MATRIX_SVG_MAX_SIDE rows or columns
 * @throws {InvalidRequestError} (400) for an answer without matrix or sparse (format "latex")
 * @example convMatrixSvg(convMatrixOperation.run({ input: 3, kernelSize: 3, stride: 2, padding: 1 }, limits)) // '<svg xmlns=…'
 */
export function convMatrixSvg (result: ConvMatrixResponse): string {
  // PairOutput's item is a plain TSchema, so its Static is unknown[]: the schema says integers.
  const [rows, cols] = result.shape as [number, number]
  if (rows * cols > CONV_MATRIX_SVG_MAX_CELLS || rows > CONV_MATRIX_SVG_MAX_SIDE || cols > CONV_MATRIX_SVG_MAX_SIDE) {
    throw new SvgTooLargeError(`conv-matrix picture: A is ${rows} × ${cols} = ${rows * cols} entries, over the picture's limit of ` +
      `${CONV_MATRIX_SVG_MAX_CELLS} entries (64 × 64) and ${CONV_MATRIX_SVG_MAX_SIDE} rows or columns; ask for JSON (format "dense" or "sparse") instead`)
  }
  if (result.matrix === undefined && result.sparse === undefined) {
    throw new InvalidRequestError('conv-matrix picture: the answer has no matrix to draw; ask with format "dense" or "sparse" (not "latex")')
  }
  const cells = nonZeros(result)
  const numbers = cells.map((cell) => cell.value).filter((value): value is number => typeof value === 'number')
  const scale = Math.max(0, ...numbers.map(Math.abs))
  const symbols = [...new Set(cells.map((cell) => cell.value).filter((value): value is string => typeof value === 'string'))].sort()
  const tint = new Map(symbols.map((symbol, k) => [symbol, TINTS[k % TINTS.length]]))

  const cell = Math.max(rows, cols) <= 12 ? 40 : Math.max(12, Math.min(40, Math.floor(720 / Math.max(rows, cols))))
  const gridWidth = cols * cell
  const gridHeight = rows * cell
  const width = Math.max(MARGIN.left + gridWidth + MARGIN.right, 480)
  const left = MARGIN.left
  const top = MARGIN.top

  const drawn: Markup[] = []
  for (const { row, col, value } of cells) {
    const x = left + col * cell
    const y = top + row * cell
    const numeric = typeof value === 'number'
    const fill = numeric ? divergingColour(value / scale) : tint.get(value)!
    const tooltip = element('title', {}, `A[${row}, ${col}] = ${numeric ? String(value) : value}`)
    drawn.push(element('rect', { x, y, width: cell, height: cell, fill, class: numeric ? 'cell numeric' : 'cell symbolic' }, tooltip))
    if (numeric) {
      if (cell >= 28) drawn.push(text(x + cell / 2, y + cell / 2 + 4, formatValue(value), { 'text-anchor': 'middle', 'font-size': 11, fill: Math.abs(value / scale) > 0.6 ? '#ffffff' : '#1a1a1a' }))
    } else {
      const size = Math.min(13, 13 * (cell - 6) / symbolWidth(value, 13))
      if (size >= 7) drawn.push(symbolLabel(value, x + cell / 2, y + cell / 2 + size * 0.3, size))
    }
  }

  // Grid lines as one path: cheaper than one element per line in a 64 × 64 picture.
  let grid = ''
  for (let k = 0; k <= rows; k++) grid += `M${left} ${top + k * cell}h${gridWidth}`
  for (let k = 0; k <= cols; k++) grid += `M${left + k * cell} ${top}v${gridHeight}`

  const labels: Markup[] = []
  const colStep = indexStep(cell, 26)
  for (let col = 0; col < cols; col += colStep) labels.push(text(left + (col + 0.5) * cell, top - 6, String(col), { 'text-anchor': 'middle', 'font-size': 10, fill: '#555555' }))
  const rowStep = indexStep(cell, 14)
  for (let row = 0; row < rows; row += rowStep) labels.push(text(left - 6, top + (row + 0.5) * cell + 3.5, String(row), { 'text-anchor': 'end', 'font-size': 10, fill: '#555555' }))

  const [outputHeight, outputWidth] = result.outputShape as [number, number]
  const caption = [
    `A is ${rows} × ${cols}: vec(y) = A · vec(x), vec row-major`,
    `y: ${outputHeight} × ${outputWidth} output · x: ${cols} input pixels · ${cells.length} non-zero`
  ]
  const below = top + gridHeight + 38
  const legend: Child[] = []
  let height = below + 14
  if (numbers.length > 0) {
    // A colour bar of small rects: a gradient would need url(#…), which these pictures never use.
    const steps = 40
    const barWidth = 240
    const barY = below + 16
    for (let k = 0; k < steps; k++) legend.push(element('rect', { x: left + k * barWidth / steps, y: barY, width: barWidth / steps + 0.5, height: 10, fill: divergingColour(-1 + 2 * (k + 0.5) / steps) }))
    legend.push(element('rect', { x: left, y: barY, width: barWidth, height: 10, fill: 'none', stroke: '#888888', 'stroke-width': 0.5 }))
    for (const [t, anchor] of [[-1, 'start'], [0, 'middle'], [1, 'end']] as const) legend.push(text(left + (t + 1) / 2 * barWidth, barY + 24, formatValue(t * scale, 3), { 'text-anchor': anchor, 'font-size': 11 }))
    legend.push(text(left + barWidth + 12, barY + 9, 'entry value (0: blank)', { 'font-size': 11, fill: '#555555' }))
    height = barY + 34
  }
  const symbolList = symbols.length > 0 ? ` Symbolic entries (${symbols.length} distinct): ${truncate(symbols.join(', '), 400)}, each on its own tint.` : ''
  const numberRange = numbers.length > 0 ? ` Numeric entries from ${formatValue(Math.min(...numbers), 3)} to ${formatValue(Math.max(...numbers), 3)}: blue negative, red positive, white near 0.` : ''

  return svgDocument({
    width,
    height: height + 10,
    title: `Convolution matrix A, ${rows} × ${cols}`,
    description: `Heat map of the ${rows} × ${cols} matrix A with vec(y) = A · vec(x), vec row-major: row i is output pixel i of the ${outputHeight} × ${outputWidth} output, ` +
      `column j is input pixel j. ${cells.length} of ${rows * cols} entries are non-zero; zeros are blank.${symbolList}${numberRange}`
  },
  text(left, 22, `Convolution matrix A (${rows} × ${cols})`, { 'font-size': 15, 'font-weight': 600 }),
  text(left, 44, 'columns: input pixel j of vec(x) · rows: output pixel i of vec(y)', { 'font-size': 11, fill: '#555555' }),
  element('g', { class: 'cells' }, ...drawn),
  element('path', { d: grid, fill: 'none', stroke: '#d0d0d0', 'stroke-width': 0.75 }),
  element('rect', { x: left, y: top, width: gridWidth, height: gridHeight, fill: 'none', stroke: '#1a1a1a' }),
  element('g', { class: 'indices' }, ...labels),
  element('g', { class: 'caption' }, ...caption.map((line, k) => text(left, below - 16 + k * 16, line))),
  element('g', { class: 'legend' }, ...legend))
}
