import t from 'tap'
import { InvalidRequestError } from '../../src/math/errors.js'
import { CONV_MATRIX_SVG_MAX_CELLS, CONV_MATRIX_SVG_MAX_SIDE, convMatrixSvg, divergingColour, type ConvMatrixResponse } from '../../src/svg/conv-matrix.js'
import { SvgTooLargeError } from '../../src/svg/document.js'
import { CONV_HOSTILE, CONV_NUMERIC, CONV_SPARSE, CONV_SYMBOLIC, CONV_TRANSPOSED, convMatrix, HOSTILE_AS_READ } from './samples.js'
import { allText, checkPicture, select } from './xml.js'

const cells = (svg: string, kind?: 'numeric' | 'symbolic') => select(checkPicture(svg), 'rect', kind === undefined ? 'cell' : kind)

t.test('question 4.3: symbolic entries named on tints, zeros blank, indices, caption', async (t) => {
  const svg = convMatrixSvg(CONV_SYMBOLIC())
  const root = checkPicture(svg)
  t.equal(cells(svg, 'symbolic').length, 16, 'one cell per non-zero of the 4 × 9 matrix')
  t.equal(cells(svg, 'numeric').length, 0)
  const labels = select(root, 'text').filter((e) => e.attributes['font-style'] === 'italic')
  t.equal(labels.length, 16, 'every symbol drawn')
  t.strictSame([labels[0].text, labels[0].children[0].text], ['w', '1,1'], 'w_{1,1} as w with subscript 1,1')
  const tints = new Map<string, string>()
  for (const cell of cells(svg, 'symbolic')) {
    const symbol = cell.children[0].text.replace(/^A\[\d+, \d+\] = /, '')
    t.equal(tints.get(symbol) ?? cell.attributes.fill, cell.attributes.fill, `${symbol}: one tint for every copy`)
    tints.set(symbol, cell.attributes.fill)
  }
  t.equal(tints.size, 9, 'the nine kernel entries')
  const text = allText(root)
  for (const index of ['0', '3', '8']) t.match(text, index)
  t.match(text, 'A is 4 × 9: vec(y) = A · vec(x), vec row-major')
  t.match(text, 'y: 2 × 2 output · x: 9 input pixels · 16 non-zero')
  t.equal(root.children[0].text, 'Convolution matrix A, 4 × 9')
  t.match(root.children[1].text, '16 of 36 entries are non-zero; zeros are blank. Symbolic entries (9 distinct): w_{0,0}, w_{0,1}')
  t.equal(select(root, 'g', 'legend')[0].children.length, 0, 'no colour bar without numbers')
})

t.test('question 4.4: the transposed matrix, 16 × 4', async (t) => {
  t.equal(cells(convMatrixSvg(CONV_TRANSPOSED())).length, 16)
})

t.test('numeric entries: a diverging scale centred on 0, values in large cells, a colour bar', async (t) => {
  const svg = convMatrixSvg(CONV_NUMERIC())
  const root = checkPicture(svg)
  t.equal(cells(svg, 'numeric').length, 88)
  const fills = new Map(cells(svg).map((cell) => [cell.children[0].text.replace(/^.* = /, ''), cell.attributes.fill]))
  t.equal(fills.get('3'), '#b2182b', 'the largest positive entry: darkest red')
  t.equal(fills.get('-3'), '#2166ac', 'its negative: darkest blue')
  const values = select(root, 'text').map((e) => e.text)
  t.ok(values.includes('−2') && values.includes('0.5'), 'values written in the cells')
  t.ok(select(root, 'text').some((e) => e.text === '3' && e.attributes.fill === '#ffffff'), 'white on dark cells')
  t.match(allText(root), 'entry value (0: blank)')
  t.match(root.children[1].text, 'Numeric entries from −3 to 3: blue negative, red positive, white near 0.')
})

t.test('the sparse format, small cells (no values written), a mix of numbers and symbols', async (t) => {
  const svg = convMatrixSvg(CONV_SPARSE())
  t.equal(cells(svg).length, 100, '25 × 36 with 4 non-zeros a row')
  t.equal(select(checkPicture(svg), 'text').filter((e) => /^[−0-9.]+$/.test(e.text) && e.attributes['font-size'] === '11').length, 3, 'only the colour bar\'s three labels')
  const mixed: ConvMatrixResponse = { outputShape: [1, 3], shape: [1, 4], sparse: { row: [0, 0, 0], col: [0, 1, 3], value: [2, 'w_{0,0}', 0] } }
  t.equal(cells(convMatrixSvg(mixed), 'numeric').length, 1)
  t.equal(cells(convMatrixSvg(mixed), 'symbolic').length, 1, 'an explicit 0 is blank')
})

t.test('colours', async (t) => {
  t.equal(divergingColour(0), '#f7f7f7')
  t.equal(divergingColour(-1), '#2166ac')
  t.equal(divergingColour(5), '#b2182b', 'clamped')
  t.equal(divergingColour(1 / 6), '#fae9df', 'half-way between the middle classes')
})

t.test('hostile symbols are escaped exactly; long ones in small cells are left to the tooltip', async (t) => {
  const root = checkPicture(convMatrixSvg(CONV_HOSTILE()))
  const tooltips = select(root, 'title').slice(1).map((e) => e.text)
  t.strictSame(tooltips, HOSTILE_AS_READ.map((s, k) => `A[0, ${k}] = ${s}`), 'every hostile symbol round-trips in its tooltip')
  const short = checkPicture(convMatrixSvg({ outputShape: [1, 2], shape: [1, 2], matrix: [['<&">', "]]>'"]] }))
  t.strictSame(select(short, 'text').filter((e) => e.attributes['text-anchor'] === 'middle' && e.attributes['font-size'] !== '10').map((e) => e.text), ['<&">', "]]>'"], 'short ones are drawn in their cells, escaped')
  t.equal(select(root, 'script').length, 0)
  const wide = convMatrixSvg({ outputShape: [1, 40], shape: [1, 40], matrix: [Array.from({ length: 40 }, (_, k) => `w_{${k},${k}}`)] })
  t.equal(cells(wide).length, 40)
  t.equal(select(checkPicture(wide), 'text').filter((e) => e.attributes['font-style'] === 'italic').length, 0, 'symbols too long for 18 px cells: tooltips only')
})

t.test('size limits: refused (413) over 64 × 64 entries or 128 a side; latex has nothing to draw (400)', async (t) => {
  t.equal(CONV_MATRIX_SVG_MAX_CELLS, 4096)
  t.equal(CONV_MATRIX_SVG_MAX_SIDE, 128)
  const largest = convMatrixSvg(convMatrix({ input: 8, kernel: [[1]] }))
  t.equal(cells(largest).length, 64, 'a 64 × 64 identity is drawn')
  t.ok(largest.length < 200_000, `and stays small: ${largest.length} bytes`)
  const full = convMatrixSvg({ outputShape: [64, 64], shape: [64, 64], matrix: Array.from({ length: 64 }, (_, i) => Array.from({ length: 64 }, (_, j) => i - j)) })
  t.ok(full.length < 1_000_000, `a full 64 × 64 matrix: ${full.length} bytes`)
  t.throws(() => convMatrixSvg(convMatrix({ input: [9, 8], kernel: [[1]] })), {
    constructor: SvgTooLargeError,
    statusCode: 413,
    message: 'conv-matrix picture: A is 72 × 72 = 5184 entries, over the picture\'s limit of 4096 entries (64 × 64) and 128 rows or columns; ask for JSON (format "dense" or "sparse") instead'
  })
  t.throws(() => convMatrixSvg({ outputShape: [1, 129], shape: [1, 129], sparse: { row: [], col: [], value: [] } }), SvgTooLargeError, 'one row of 129')
  t.throws(() => convMatrixSvg({ outputShape: [129, 1], shape: [129, 1], sparse: { row: [], col: [], value: [] } }), SvgTooLargeError, 'one column of 129')
  t.throws(() => convMatrixSvg(convMatrix({ input: 3, kernelSize: 2, format: 'latex' })), InvalidRequestError)
})
