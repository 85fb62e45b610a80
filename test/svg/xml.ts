/**
 * A strict, small XML checker for the pictures of src/svg/: it accepts only what those
 * pictures may contain — elements, double-quoted attributes, text, the five predefined
 * entities and numeric character references — and throws, naming the offset, on anything
 * else (a raw `<` or `&`, a comment, CDATA, a processing instruction, a DOCTYPE, a duplicate
 * attribute, a character XML 1.0 forbids, a tag left open). It returns the tree with entities
 * decoded, so tests can count elements and compare text with what went in.
 */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  /** the element's own character data, children's excluded */
  text: string
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y
// eslint-disable-next-line no-misleading-character-class -- UTF-16 code units on purpose: lone surrogates are what it finds
const FORBIDDEN_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\uD800-\uDBFF\uDC00-\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function parseXml (source: string): XmlElement {
  const bad = FORBIDDEN_CHAR.exec(source)
  if (bad) throw new Error(`character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index} is not allowed in XML`)
  let at = 0
  const fail = (message: string): never => { throw new Error(`${message} at offset ${at}: ${JSON.stringify(source.slice(at, at + 40))}`) }
  const decode = (raw: string, where: string): string => raw.replace(/&([^;]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) fail(`bare & in ${where}`)
    if (body in PREDEFINED) return PREDEFINED[body]
    const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body) ?? fail(`unknown entity &${body}; in ${where}`)
    return String.fromCodePoint(numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]))
  })
  const name = (): string => {
    NAME.lastIndex = at
    const match = NAME.exec(source) ?? fail('expected a name')
    at = NAME.lastIndex
    return match[0]
  }
  const skipSpace = () => { while (/\s/.test(source[at] ?? '')) at++ }

  const parseElement = (): XmlElement => {
    if (source[at] !== '<') fail('expected <')
    at++
    if (source[at] === '!' || source[at] === '?' || source[at] === '/') fail('expected an element')
    const element: XmlElement = { name: name(), attributes: {}, children: [], text: '' }
    for (;;) {
      const before = at
      skipSpace()
      if (source.startsWith('/>', at)) { at += 2; return element }
      if (source[at] === '>') { at++; break }
      if (at === before) fail('expected space before an attribute')
      const key = name()
      if (key in element.attributes) fail(`duplicate attribute ${key}`)
      if (source[at] !== '=' || source[at + 1] !== '"') fail('expected ="')
      const end = source.indexOf('"', at + 2)
      if (end < 0) fail('unterminated attribute')
      const raw = source.slice(at + 2, end)
      if (raw.includes('<')) fail('< in an attribute value')
      element.attributes[key] = decode(raw, `attribute ${key}`)
      at = end + 1
    }
    for (;;) {
      const next = source.indexOf('<', at)
      if (next < 0) fail(`<${element.name}> is not closed`)
      element.text += decode(source.slice(at, next), `<${element.name}>`)
      at = next
      if (source.startsWith('</', at)) {
        at += 2
        if (name() !== element.name) fail(`</…> does not close <${element.name}>`)
        skipSpace()
        if (source[at] !== '>') fail('expected >')
        at++
        return element
      }
      element.children.push(parseElement())
    }
  }

  skipSpace()
  const root = parseElement()
  skipSpace()
  if (at !== source.length) fail('content after the root element')
  return root
}

/** Every element of the tree, depth first, the root included. */
export function descendants (root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(descendants)]
}

/** The elements named `name`, optionally with a class containing `className`. */
export function select (root: XmlElement, name: string, className?: string): XmlElement[] {
  return descendants(root).filter((e) => e.name === name && (className === undefined || (e.attributes.class ?? '').split(' ').includes(className)))
}

/** All character data of the tree, concatenated with spaces between elements. */
export function allText (root: XmlElement): string {
  return [root.text, ...root.children.map(allText)].join(' ')
}

/**
 * The checks every picture must pass: well-formed, an <svg> root with namespace, viewBox,
 * width and height, <title> and <desc> first, a generic font, and nothing that loads or runs
 * anything. Returns the parsed tree.
 */
export function checkPicture (svg: string): XmlElement {
  const root = parseXml(svg)
  const problems: string[] = []
  if (root.name !== 'svg') problems.push(`root is <${root.name}>`)
  if (root.attributes.xmlns !== 'http://www.w3.org/2000/svg') problems.push('no SVG namespace')
  if (!/^0 0 \d+(\.\d+)? \d+(\.\d+)?$/.test(root.attributes.viewBox ?? '')) problems.push(`viewBox ${root.attributes.viewBox}`)
  if (!(Number(root.attributes.width) > 0 && Number(root.attributes.height) > 0)) problems.push('no width/height')
  if (root.children[0]?.name !== 'title' || root.children[1]?.name !== 'desc') problems.push('<title> and <desc> are not the first children')
  if (root.children[0]?.text.trim() === '' || root.children[1]?.text.trim() === '') problems.push('empty <title> or <desc>')
  if (root.attributes['font-family'] !== 'system-ui, sans-serif') problems.push(`font-family ${root.attributes['font-family']}`)
  for (const forbidden of [/href/i, /url\(/i, /<script/i, /@import/i, /<style/i, /<foreignObject/i, /<image/i, /javascript:/i]) {
    if (forbidden.test(svg)) problems.push(`contains ${forbidden}`)
  }
  for (const element of descendants(root)) {
    for (const key of Object.keys(element.attributes)) if (/^on/i.test(key)) problems.push(`event handler ${key} on <${element.name}>`)
    if (/nan|infinity|undefined/i.test(Object.values(element.attributes).join(' ').replace(/sans-serif|system-ui/g, ''))) problems.push(`NaN/Infinity/undefined in <${element.name}> ${JSON.stringify(element.attributes)}`)
  }
  if (problems.length > 0) throw new Error(problems.join('; '))
  return root
}
