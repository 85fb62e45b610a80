/**
 * A tiny, safe SVG builder for the pictures of src/svg/. Text in a picture comes from the
 * request (layer names, symbolic kernel entries), so nothing is concatenated by hand: text
 * and attribute values go through `escapeXml`, and only `Markup` made by `element` is
 * inserted unescaped. The output is self-contained: no scripts, no fonts, no `href`, no
 * `url(…)` (so no patterns, gradients or markers), a generic `font-family`, and a `<title>`
 * and `<desc>` for screen readers (WAI-ARIA Graphics, role="img" + aria-labelledby).
 */
import { LimitExceededError } from '../math/errors.js'

/** The font stack of every picture: generic families only, nothing to fetch. */
export const FONT_FAMILY = 'system-ui, sans-serif'

/**
 * (413, code DLCHECK_LIMIT) The picture would be over one of the documented size limits
 * (`CONV_MATRIX_SVG_MAX_*`, `RECEPTIVE_FIELD_SVG_MAX_LAYERS`); the JSON answer has no such
 * limit, and the message says so. A `LimitExceededError`, so both doors already map it.
 */
export class SvgTooLargeError extends LimitExceededError {}

/** Escaped, well-formed markup: the only thing `element` inserts as is. */
export class Markup {
  constructor (readonly xml: string) {}
  toString (): string {
    return this.xml
  }
}

export type AttributeValue = string | number | undefined
export type Child = Markup | string | undefined | false

// XML 1.0 § 2.2 Char: tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and the
// astral planes as surrogate pairs. Anything else (C0 controls, lone surrogates, U+FFFE/FFFF)
// makes the document ill-formed even when escaped, so it becomes U+FFFD.
// eslint-disable-next-line no-misleading-character-class -- UTF-16 code units on purpose: lone surrogates are what it finds
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\uD800-\uDBFF\uDC00-\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/**
 * Text or an attribute value as XML character data: `& < > " '` as entities (so `]]>` and
 * quotes are harmless anywhere), characters XML cannot carry replaced by U+FFFD, and tab,
 * newline and carriage return as character references in attributes (attribute-value
 * normalisation would otherwise turn them into spaces).
 * @example escapeXml('<b title="x">&</b>') // '&lt;b title=&quot;x&quot;&gt;&amp;&lt;/b&gt;'
 */
export function escapeXml (text: string): string {
  return text
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITY[c])
    .replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * A coordinate or length: at most two decimals, no exponent, no "-0".
 * @throws {RangeError} for NaN, ±Infinity or |x| ≥ 10¹⁵ — a bug in the caller, never drawn
 * @example formatNumber(1 / 3) // '0.33'
 */
export function formatNumber (x: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e15) throw new RangeError(`SVG coordinate must be finite and below 1e15; got ${x}`)
  const rounded = Math.round(x * 100) / 100
  return String(rounded === 0 ? 0 : rounded)
}

const NAME = /^[A-Za-z][A-Za-z0-9:-]*$/

/**
 * `<name attr="…">children</name>`, or `<name attr="…"/>` without children. Numbers are
 * formatted with `formatNumber`, strings escaped; undefined attributes and children are left out.
 * @throws {Error} for an element or attribute name that is not a plain XML name (the names are
 *   the caller's constants, never user input)
 */
export function element (name: string, attributes: Record<string, AttributeValue> = {}, ...children: Child[]): Markup {
  if (!NAME.test(name)) throw new Error(`not an element name: ${name}`)
  let xml = `<${name}`
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue
    if (!NAME.test(key)) throw new Error(`not an attribute name: ${key}`)
    xml += ` ${key}="${typeof value === 'number' ? formatNumber(value) : escapeXml(value)}"`
  }
  const content = children.map((child) => child instanceof Markup ? child.xml : typeof child === 'string' ? escapeXml(child) : '').join('')
  return new Markup(content === '' ? `${xml}/>` : `${xml}>${content}</${name}>`)
}

/** Several pieces of markup as one. */
export function fragment (children: readonly Child[]): Markup {
  return element('g', {}, ...children)
}

export interface SvgDocumentOptions {
  width: number
  height: number
  /** short name of the picture: the `<title>`, read first by screen readers */
  title: string
  /** what the picture shows, in words: the `<desc>` */
  description: string
}

/**
 * The root `<svg>`: namespace, viewBox and width/height in user units, role="img" labelled by
 * its `<title>` and `<desc>`, a white background and the generic font.
 */
export function svgDocument (options: SvgDocumentOptions, ...children: Child[]): string {
  const { width, height } = options
  return element('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${formatNumber(width)} ${formatNumber(height)}`,
    role: 'img',
    'aria-labelledby': 'svg-title svg-desc',
    'font-family': FONT_FAMILY,
    'font-size': 12,
    fill: '#1a1a1a'
  },
  element('title', { id: 'svg-title' }, options.title),
  element('desc', { id: 'svg-desc' }, options.description),
  element('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
  ...children).xml + '\n'
}

/** A white outline under the glyphs, so that a label stays legible where a line crosses it. */
export const HALO = { stroke: '#ffffff', 'stroke-width': 4, 'stroke-linejoin': 'round', 'paint-order': 'stroke' } as const

/** `text` anchored at (x, y); `attributes` override the defaults. */
export function text (x: number, y: number, content: Child, attributes: Record<string, AttributeValue> = {}): Markup {
  return element('text', { x, y, ...attributes }, content)
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' }

/** 10 to an integer power, as text: `10⁻⁸`. */
export function powerOfTen (exponent: number): string {
  return '10' + String(exponent).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])
}

/**
 * A value for a label, `digits` significant digits: plain between 10⁻³ and 10⁴, else
 * `4.6×10⁻⁸`; minus signs as U+2212.
 * @example formatValue(4.634634165484767e-8) // '4.6×10⁻⁸'
 */
export function formatValue (x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x)
  const magnitude = Math.abs(x)
  let result: string
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e4)) {
    result = String(Number(x.toPrecision(digits)))
  } else {
    const [mantissa, exponent] = x.toExponential(digits - 1).split('e')
    const m = Number(mantissa)
    result = `${m === 1 ? '' : m === -1 ? '-' : `${m}×`}${powerOfTen(Number(exponent))}`
  }
  return result.replace(/^-/, '−')
}

/**
 * At most `length` characters (code points, so no surrogate pair is split), with "…" when cut.
 * @example truncate('Conv-3x3(padding=1, out=16)', 10) // 'Conv-3x3(…'
 */
export function truncate (label: string, length: number): string {
  const points = Array.from(label)
  return points.length <= length ? label : points.slice(0, length - 1).join('') + '…'
}
