import t from 'tap'
import { SvgTooLargeError } from '../../src/svg/document.js'
import { RECEPTIVE_FIELD_SVG_MAX_LAYERS, receptiveFieldSvg } from '../../src/svg/receptive-field.js'
import { HOSTILE, HOSTILE_AS_READ, receptiveField, RF_41, RF_53, RF_HOSTILE, RF_NO_INPUT, RF_PIXEL } from './samples.js'
import { allText, checkPicture, select, type XmlElement } from './xml.js'

/** The drawn rectangles, first layer first: [data-layers, x, y, width, height]. */
const fields = (root: XmlElement) => select(root, 'rect', 'field').reverse().map((e) => [e.attributes['data-layers'], ...['x', 'y', 'width', 'height'].map((k) => Number(e.attributes[k]))])
const rows = (root: XmlElement) => select(root, 'text', 'layer-name').map((e) => e.text)

t.test('question 4.1: nested rectangles over the 32 × 32 input, elementwise layers merged', async (t) => {
  const root = checkPicture(receptiveFieldSvg(RF_41(), 32))
  // 440 / 32 = 13.75 px a pixel; the top-left feature's regions all start at pixel 0.
  t.strictSame(fields(root), [['1 2', 48, 92, 41.25, 41.25], ['3', 48, 92, 68.75, 68.75], ['4', 48, 92, 82.5, 82.5], ['5 6', 48, 92, 137.5, 137.5]])
  t.strictSame(rows(root), ['1–2. Conv-3x3, ReLU', '3. Conv-3x3', '4. MaxPool-2x2', '5–6. Conv-3x3, ReLU'])
  const text = allText(root)
  for (const cell of ['3 × 3', '10 × 10', '30 × 30', '12 × 12', '2 × 2']) t.match(text, cell)
  t.equal(root.children[0].text, 'Receptive field layer by layer: receptive field 10 × 10, jump 2 × 2')
  t.match(root.children[1].text, 'input 32 × 32 (grey: padding) · region of the top-left feature [0, 0] of each layer')
  t.match(root.children[1].text, '4: after layer 5–6 (Conv-3x3, ReLU), receptive field 10 × 10, rows 0–9, columns 0–9.')
  t.equal(select(root, 'g', 'badge').length, 4)
  t.equal(select(root, 'rect', 'image').length, 1)
  t.equal(select(root, 'path').length, 1, 'the pixel grid')
})

t.test('question 5.3: regions reach into the padding; the region of feature [0, 0]', async (t) => {
  const result = RF_53()
  const root = checkPicture(receptiveFieldSvg(result, [32, 32]))
  t.equal(fields(root).length, 4)
  t.match(root.children[1].text, 'region of output feature [0, 0]')
  t.match(root.children[1].text, 'rows −4–4'.replace('−', '-'), 'the last region is the answer\'s region')
  t.match(root.children[1].text, 'Clipped to the image: rows 0–4, columns 0–4.')
  t.equal(select(root, 'rect', 'padding').length, 1)
})

t.test('a chosen pixel: each layer\'s feature nearest its centre, the last one exactly', async (t) => {
  const result = RF_PIXEL()
  const root = checkPicture(receptiveFieldSvg(result, 32))
  const { region } = result
  t.match(root.children[1].text, `rows ${region!.top}–${region!.bottom}, columns ${region!.left}–${region!.right}.`)
  t.match(allText(root), 'region of output feature [5, 9]')
  t.match(root.children[1].text, 'after layer 1–2 (Conv-3x3, ReLU), receptive field 3 × 3, rows 11–13, columns 19–21', 'centre 11.5: the tie goes to the later feature')
  const badges = select(root, 'g', 'badge').map((g) => [Number(g.children[0].attributes.cx), Number(g.children[0].attributes.cy)])
  for (let i = 0; i < badges.length; i++) for (let j = 0; j < i; j++) t.ok(Math.hypot(badges[i][0] - badges[j][0], badges[i][1] - badges[j][1]) >= 15, `badges ${j + 1} and ${i + 1} apart`)

  const edge = receptiveField({ input: 8, architecture: 'Conv-3x3(padding=1) -> MaxPool-2x2 -> Conv-3x3(padding=1)', pixel: [3, 3] })
  const last = checkPicture(receptiveFieldSvg(edge, 8))
  t.match(last.children[1].text, 'after layer 1 (Conv-3x3(padding=1)), receptive field 3 × 3, rows 6–8, columns 6–8', 'the nearest layer-1 feature is clamped to its 8 × 8 output')
})

t.test('without the input size: a grid just large enough, and a pixel without input', async (t) => {
  const root = checkPicture(receptiveFieldSvg(RF_NO_INPUT()))
  t.equal(select(root, 'rect', 'image').length, 0)
  t.equal(select(root, 'rect', 'padding').length, 0)
  t.match(allText(root), 'input size not given: grid just large enough')
  t.strictSame(fields(root).at(-1), ['3', 48, 92, 336, 336], 'the last region fills the grid: 12 × 12 pixels of 28 px')
  t.match(allText(root), '–', 'output shapes unknown')
  const pixel = receptiveField({ architecture: 'Conv-3x3 -> MaxPool-2x2', pixel: [2, 1] })
  const withPixel = checkPicture(receptiveFieldSvg(pixel))
  t.match(withPixel.children[1].text, 'region of output feature [2, 1]')
  t.notMatch(withPixel.children[1].text, 'Clipped')
})

t.test('a single layer, no layers, and a huge input (no grid lines, badges anywhere)', async (t) => {
  const one = checkPicture(receptiveFieldSvg(receptiveField({ layers: [{ type: 'conv', kernel: 5 }] })))
  t.equal(select(one, 'circle', 'centre').length, 1)
  t.equal(fields(one).length, 1)
  const none = checkPicture(receptiveFieldSvg({ ...RF_NO_INPUT(), layers: [] }))
  t.match(allText(none), 'no layers')
  t.equal(select(none, 'circle', 'centre').length, 0)
  const huge = receptiveFieldSvg(receptiveField({ input: 60_000, architecture: 'Conv-3x3 -> Conv-3x3 -> Conv-3x3 -> Conv-3x3 -> Conv-3x3' }), 60_000)
  const hugeRoot = checkPicture(huge)
  t.equal(select(hugeRoot, 'path').length, 0, 'pixels under 5 px: no grid lines')
  t.match(allText(hugeRoot), '50000', 'coordinates every 10⁴ pixels')
  t.equal(select(hugeRoot, 'g', 'badge').length, 5, 'five badges on four corners: the fifth overlaps, as nothing is free')
  t.ok(huge.length < 20_000, `${huge.length} bytes`)
})

t.test('hostile layer names are escaped exactly', async (t) => {
  const svg = receptiveFieldSvg(RF_HOSTILE(), [16, 16])
  const root = checkPicture(svg)
  t.equal(select(root, 'script').length, 0)
  const described = root.children[1].text
  for (const [k, hostile] of HOSTILE_AS_READ.entries()) t.match(described, `after layer ${k + 1} (${hostile})`, `name ${k + 1} round-trips in <desc>`)
  t.equal(rows(root).length, HOSTILE.length)
  t.ok(rows(root).every((row, k) => HOSTILE_AS_READ[k].startsWith(row.replace(/^\d+\. /, '').replace(/…$/, ''))), 'and in the table, truncated')
})

t.test('size limit: refused (413) over 64 layers', async (t) => {
  t.equal(RECEPTIVE_FIELD_SVG_MAX_LAYERS, 64)
  const layers = (n: number) => Array.from({ length: n }, () => ({ type: 'relu' }))
  t.ok(receptiveFieldSvg(receptiveField({ layers: layers(64) })).length < 20_000, '64 elementwise layers: one rectangle')
  t.throws(() => receptiveFieldSvg(receptiveField({ layers: layers(65) })), {
    constructor: SvgTooLargeError,
    statusCode: 413,
    message: 'receptive-field picture: 65 layers, over the picture\'s limit of 64; ask for JSON instead'
  })
})
