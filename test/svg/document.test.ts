import t from 'tap'
import { LimitExceededError } from '../../src/math/errors.js'
import {
  element, escapeXml, formatNumber, formatValue, fragment, HALO, Markup, powerOfTen, svgDocument, SvgTooLargeError, text, truncate
} from '../../src/svg/document.js'
import { HOSTILE, HOSTILE_AS_READ } from './samples.js'
import { checkPicture, parseXml, select } from './xml.js'

t.test('escapeXml: the five specials, whitespace in attributes, characters XML cannot carry', async (t) => {
  t.equal(escapeXml('<b title="x">&</b>'), '&lt;b title=&quot;x&quot;&gt;&amp;&lt;/b&gt;', 'the @example')
  t.equal(escapeXml("]]> 'a'"), ']]&gt; &apos;a&apos;')
  t.equal(escapeXml('a\tb\nc\rd'), 'a&#9;b&#10;c&#13;d')
  t.equal(escapeXml('\u0000\u0008\u000B\u001F\uFFFE\uFFFF'), '\uFFFD'.repeat(6), 'C0 controls, U+FFFE and U+FFFF')
  t.equal(escapeXml('a\uD800b\uDC00c'), 'a\uFFFDb\uFFFDc', 'lone surrogates')
  t.equal(escapeXml('😀 é ∇²'), '😀 é ∇²', 'a surrogate pair and other characters unchanged')
  for (const [k, hostile] of HOSTILE.entries()) {
    const parsed = parseXml(element('text', { 'data-label': hostile }, hostile).xml)
    t.equal(parsed.text, HOSTILE_AS_READ[k], `text round-trips: ${JSON.stringify(hostile)}`)
    t.equal(parsed.attributes['data-label'], HOSTILE_AS_READ[k], 'and so does an attribute value')
  }
})

t.test('formatNumber: two decimals, no exponent, no -0, finite only', async (t) => {
  t.equal(formatNumber(1 / 3), '0.33', 'the @example')
  t.equal(formatNumber(-0.001), '0')
  t.equal(formatNumber(-0), '0')
  t.equal(formatNumber(12.5), '12.5')
  t.equal(formatNumber(1e14), '100000000000000')
  for (const bad of [NaN, Infinity, -Infinity, 1e15, -2e20]) t.throws(() => formatNumber(bad), RangeError, String(bad))
})

t.test('element, fragment, text', async (t) => {
  t.equal(element('rect', { x: 1.005, y: undefined, fill: 'red' }).xml, '<rect x="1" fill="red"/>', 'undefined attributes left out; self-closing')
  t.equal(element('g', {}, undefined, false, '', element('circle')).xml, '<g><circle/></g>', 'absent children left out')
  t.equal(element('text', {}, 'a<b').toString(), '<text>a&lt;b</text>', 'text children escaped; toString is the markup')
  t.equal(element('g', {}, new Markup('<raw/>')).xml, '<g><raw/></g>', 'Markup inserted as is')
  t.equal(fragment([text(1, 2, 'x')]).xml, '<g><text x="1" y="2">x</text></g>')
  t.equal(text(0, 0, 'x', { ...HALO }).xml, '<text x="0" y="0" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">x</text>')
  t.throws(() => element('script><x', {}), /not an element name/)
  t.throws(() => element('g', { 'on load': 'x' }), /not an attribute name/)
})

t.test('svgDocument: a self-contained, accessible root', async (t) => {
  const svg = svgDocument({ width: 100, height: 50.5, title: HOSTILE[0], description: HOSTILE[1] }, text(1, 2, 'hi'))
  const root = checkPicture(svg)
  t.strictSame(root.attributes, {
    xmlns: 'http://www.w3.org/2000/svg',
    width: '100',
    height: '50.5',
    viewBox: '0 0 100 50.5',
    role: 'img',
    'aria-labelledby': 'svg-title svg-desc',
    'font-family': 'system-ui, sans-serif',
    'font-size': '12',
    fill: '#1a1a1a'
  })
  t.equal(root.children[0].text, HOSTILE[0], 'the title, escaped')
  t.equal(root.children[1].text, HOSTILE[1], 'the description, escaped')
  t.equal(select(root, 'text')[0].text, 'hi')
  t.ok(svg.endsWith('</svg>\n'))
})

t.test('labels: powers of ten, values, truncation', async (t) => {
  t.equal(powerOfTen(-16), '10⁻¹⁶')
  t.equal(powerOfTen(0), '10⁰')
  t.equal(formatValue(4.634634165484767e-8), '4.6×10⁻⁸', 'the @example')
  t.equal(formatValue(1e-8), '10⁻⁸', 'a mantissa of 1 is left out')
  t.equal(formatValue(-1e-8), '−10⁻⁸')
  t.equal(formatValue(-0.5), '−0.5', 'U+2212 for minus')
  t.equal(formatValue(0), '0')
  t.equal(formatValue(12345, 3), '1.23×10⁴')
  t.equal(formatValue(0.000013540407790205272), '1.4×10⁻⁵')
  t.equal(formatValue(NaN), 'NaN', 'never drawn, but not a crash either')
  t.equal(truncate('Conv-3x3(padding=1, out=16)', 10), 'Conv-3x3(…', 'the @example')
  t.equal(truncate('short', 10), 'short')
  t.equal(truncate('😀😀😀😀', 3), '😀😀…', 'surrogate pairs are not split')
})

t.test('SvgTooLargeError is a 413 limit error', async (t) => {
  const error = new SvgTooLargeError('too big')
  t.ok(error instanceof LimitExceededError)
  t.equal(error.statusCode, 413)
  t.equal(error.code, 'DLCHECK_LIMIT')
  t.equal(error.name, 'SvgTooLargeError')
})

t.test('the checker itself refuses what it should', async (t) => {
  const bad = ['<svg>', '<svg></g>', '<svg a="1" a="2"/>', '<svg a=1/>', '<svg>&nope;</svg>', '<svg>a & b</svg>', '<!-- c --><svg/>', '<svg/><svg/>',
    '<svg><![CDATA[x]]></svg>', '<svg a="<"/>', '<svg a="x/>', '<svg>\u0001</svg>', '<svg a="1"b="2"/>', '<svg></svg >x', '<svg></svg x>', 'x']
  for (const source of bad) t.throws(() => parseXml(source), JSON.stringify(source))
  t.strictSame(parseXml('<a x="&#60;&#x3e;"><b/>t&amp;</a>'), { name: 'a', attributes: { x: '<>' }, children: [{ name: 'b', attributes: {}, children: [], text: '' }], text: 't&' })
  t.throws(() => checkPicture('<g><title>x</title></g>'), /root is <g>/)
  t.throws(() => checkPicture('<svg xmlns="http://www.w3.org/2000/svg" onload="x" href="y"/>'), /href.*event handler onload/s)
})
