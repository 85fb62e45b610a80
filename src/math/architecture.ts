/**
 * The assignment's architecture notation, parsed verbatim (questions 4.1, 4.2, 5.1):
 *
 *   Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output
 *   Image → Conv-5x5 → ReLU → Conv-5x5 → ReLU → Global Avg. Pool → FC-128 → FC-1 (Output)
 *
 * Grammar (whitespace allowed between tokens, names case-insensitive):
 *
 *   architecture := element (arrow element)*          arrow := "→" | "->" | "\to" | "\rightarrow"
 *   element      := name ["-" size] group*
 *   name         := word (space word)*                e.g. "Global Avg. Pool"
 *   size         := integer [("x" | "×" | "\times") integer]     "3x3", "5", "128"
 *   group        := "(" setting ("," setting)* ")"
 *   setting      := key "=" value | "Output"          value := size | "true" | "false"
 *
 * As the assignment writes it in LaTeX too: `\to`, `\rightarrow` and `\longrightarrow` are
 * arrows, `\times` is ×, LaTeX's spaces (`\ `, `~`) are spaces (`Global \ Avg. \ Pool`), and
 * `$` delimiters are ignored (`$Image \rightarrow Conv\text{-}3x3 \to \dots$` is not: `\text`
 * and the rest of LaTeX are not notation).
 * `Image`/`Input` may open the chain and `Output` close it; they are markers, not layers.
 * Conv settings: stride, padding, dilation, out (channels), bias; pools: stride, padding
 * (and dilation for max pooling, as torch.nn.MaxPool2d); FC: bias. "Conv-3x3" without
 * padding means padding 0, and pooling stride equals its window (the assignment's conventions).
 */
import { NotationSyntaxError } from './errors.js'
import { ELEMENTWISE_TYPES, type LayerSpec, type LayerType } from './layers.js'
import type { Pair } from './pair.js'

type Marker = 'input' | 'output'

/** An arrow between two elements: Unicode, ASCII or LaTeX. */
const ARROW = /^(?:→|->|\\(?:long)?rightarrow(?![A-Za-z])|\\to(?![A-Za-z]))/

/** How many arrows `text` has: its elements less one, without parsing it (for cost estimates). */
export function arrowCount (text: string): number {
  return text.match(/→|->|\\(?:long)?rightarrow(?![A-Za-z])|\\to(?![A-Za-z])/g)?.length ?? 0
}

/** Normalised name (lower case, no spaces, dots, hyphens or underscores) → layer type. */
const NAMES: Record<string, LayerType | Marker> = {
  image: 'input',
  input: 'input',
  output: 'output',
  conv: 'conv',
  conv2d: 'conv',
  convolution: 'conv',
  maxpool: 'maxpool',
  maxpooling: 'maxpool',
  maxpool2d: 'maxpool',
  avgpool: 'avgpool',
  averagepool: 'avgpool',
  avgpooling: 'avgpool',
  avgpool2d: 'avgpool',
  globalavgpool: 'globalavgpool',
  globalaveragepool: 'globalavgpool',
  globalavgpooling: 'globalavgpool',
  globalaveragepooling: 'globalavgpool',
  gap: 'globalavgpool',
  globalmaxpool: 'globalmaxpool',
  globalmaxpooling: 'globalmaxpool',
  fc: 'fc',
  linear: 'fc',
  dense: 'fc',
  flatten: 'flatten',
  bn: 'batchnorm',
  batchnorm2d: 'batchnorm',
  ...Object.fromEntries(ELEMENTWISE_TYPES.map((type) => [type, type]))
}

/** Which settings each layer type takes; a size after "-" is required for these types. */
const SETTINGS: Partial<Record<LayerType, readonly string[]>> = {
  conv: ['stride', 'padding', 'dilation', 'out', 'bias'],
  maxpool: ['stride', 'padding', 'dilation'],
  avgpool: ['stride', 'padding'],
  fc: ['bias']
}
const SIZED_TYPES: readonly LayerType[] = ['conv', 'maxpool', 'avgpool', 'fc']
const KEY_ALIASES: Record<string, string> = { pad: 'padding', channels: 'out', out_channels: 'out', outchannels: 'out' }
/** Largest integer accepted in the notation: sizes beyond it are typos, not networks. */
const MAX_NOTATION_INTEGER = 1_000_000

/** Parsed element, with its 1-based position in the text. */
export interface ArchitectureLayer extends LayerSpec { position: number }

class Scanner {
  position = 0
  constructor (readonly text: string, readonly field: string) {}

  /** White space, LaTeX's spaces (`\ `, `~`) and math delimiters (`$`). */
  skipSpaces (): void {
    this.take(/^(?:\s|~|\$|\\ )+/)
  }

  atEnd (): boolean { return this.position >= this.text.length }

  /** The token at the current position, for error messages. */
  token (): string {
    const rest = this.text.slice(this.position).trimStart()
    if (rest === '') return 'end of input'
    // The last alternative matches any non-space character, so there is always a match.
    return /^(→|->|\\[A-Za-z]+|[A-Za-z_][\w.]*|\d+|\S)/.exec(rest)![0]
  }

  fail (detail: string, position = this.position, token = this.token()): never {
    throw new NotationSyntaxError(this.field, position + 1, token, detail)
  }

  /** Consumes `pattern` (anchored) if it matches here. */
  take (pattern: RegExp): string | undefined {
    const match = pattern.exec(this.text.slice(this.position))
    if (match === null || match.index !== 0) return undefined
    this.position += match[0].length
    return match[0]
  }
}

function parseInteger (scanner: Scanner, text: string, start: number): number {
  const value = Number(text)
  if (value > MAX_NOTATION_INTEGER) scanner.fail(`${text} is larger than ${MAX_NOTATION_INTEGER}`, start, text)
  return value
}

/** size := integer [("x" | "×") integer]; a single integer n means n×n. */
function parseSize (scanner: Scanner): Pair | undefined {
  const start = scanner.position
  const first = scanner.take(/^\d+/)
  if (first === undefined) return undefined
  const height = parseInteger(scanner, first, start)
  if (scanner.take(/^\s*(?:[x×X]|\\times(?![A-Za-z]))\s*/) === undefined) return [height, height]
  const secondStart = scanner.position
  const second = scanner.take(/^\d+/) ?? scanner.fail('expected an integer after "x", as in 3x3')
  return [height, parseInteger(scanner, second, secondStart)]
}

function parseGroup (scanner: Scanner, layer: ArchitectureLayer, allowed: readonly string[]): boolean {
  let output = false
  scanner.take(/^\(/)
  for (;;) {
    scanner.skipSpaces()
    const keyStart = scanner.position
    const word = scanner.take(/^[A-Za-z_]\w*/) ?? scanner.fail('expected a setting such as stride=2')
    scanner.skipSpaces()
    if (scanner.take(/^=/) === undefined) {
      if (word.toLowerCase() !== 'output') scanner.fail(`expected "=" after '${word}' (settings are key=value; the only bare word is Output)`)
      output = true
    } else {
      const key = KEY_ALIASES[word.toLowerCase()] ?? word.toLowerCase()
      if (!allowed.includes(key)) {
        scanner.fail(allowed.length === 0 ? `${layer.name} takes no settings` : `unknown setting '${word}' for ${layer.name}; known: ${allowed.join(', ')}`, keyStart, word)
      }
      scanner.skipSpaces()
      if (key === 'bias') {
        const value = scanner.take(/^(true|false)\b/i) ?? scanner.fail('bias must be true or false')
        layer.bias = value.toLowerCase() === 'true'
      } else {
        const valueStart = scanner.position
        const size = parseSize(scanner) ?? scanner.fail(`${key} must be an integer or AxB`)
        if (key === 'out') {
          if (size[0] !== size[1]) scanner.fail('out is a channel count, a single integer', valueStart, scanner.text.slice(valueStart, scanner.position))
          layer.out = size[0]
        } else {
          // As PyTorch's Conv2d and pools: a stride or dilation of 0 has no meaning (the JSON
          // `layers` form's schema says the same).
          if (key !== 'padding' && Math.min(...size) < 1) scanner.fail(`${key} must be at least 1`, valueStart, scanner.text.slice(valueStart, scanner.position))
          layer[key as 'stride' | 'padding' | 'dilation'] = size
        }
      }
    }
    scanner.skipSpaces()
    if (scanner.take(/^\)/) !== undefined) return output
    if (scanner.take(/^,/) === undefined) scanner.fail('expected "," or ")"')
  }
}

/**
 * Parses the notation into layers (markers dropped).
 * @param field - the request field, named in error messages
 * @throws {NotationSyntaxError} with the 1-based position and the token not understood
 * @example parseArchitecture('Image → Conv-3x3(stride=2) → ReLU → Output').map((l) => l.type) // ['conv', 'relu']
 */
export function parseArchitecture (text: string, field = 'architecture'): ArchitectureLayer[] {
  const scanner = new Scanner(text, field)
  const layers: ArchitectureLayer[] = []
  let index = 0
  let ended = false
  for (;;) {
    scanner.skipSpaces()
    if (ended) scanner.fail('Output must be the last element')
    const start = scanner.position
    const name = scanner.take(/^[A-Za-z][A-Za-z0-9_.]*(?:(?: |~|\\ )+[A-Za-z][A-Za-z0-9_.]*)*/) ??
      scanner.fail(scanner.atEnd() ? 'expected a layer such as Conv-3x3' : 'expected a layer name such as Conv-3x3, ReLU or FC-128')
    const normalised = name.toLowerCase().replace(/[\s._~\\-]/g, '')
    const type = NAMES[normalised] ?? scanner.fail(`unknown layer '${name}'; known: Image, Conv-KxK, MaxPool-KxK, AvgPool-KxK, Global Avg. Pool, Global Max Pool, FC-N, Flatten, ${ELEMENTWISE_TYPES.join(', ')}, Output`, start, name)
    if (type === 'input') {
      if (index > 0) scanner.fail(`${name} may only open the chain`, start, name)
    } else if (type === 'output') {
      ended = true
    } else {
      const layer: ArchitectureLayer = { type, name, position: start + 1 }
      // "-" introduces a size unless it starts an ASCII arrow ("ReLU->Conv-3x3").
      if (scanner.take(/^\s*-(?!>)\s*/) !== undefined) {
        const sizeStart = scanner.position
        const size = parseSize(scanner) ?? scanner.fail(`expected a size after "${name}-", such as 3x3`)
        if (!SIZED_TYPES.includes(type)) scanner.fail(`${name} takes no size`, start, name)
        if (Math.min(...size) < 1) scanner.fail(`${name}: a size must be at least 1`, sizeStart, scanner.text.slice(sizeStart, scanner.position))
        if (type === 'fc') {
          if (size[0] !== size[1]) scanner.fail('FC-N takes one integer, the number of features', start, name)
          layer.out = size[0]
        } else {
          layer.kernel = size
        }
      } else if (SIZED_TYPES.includes(type)) {
        scanner.fail(`${name} needs a size, as in ${type === 'fc' ? 'FC-128' : `${name}-3x3`}`)
      }
      // The element ends where its last part does, before the spaces (and LaTeX's) after it.
      let end = scanner.position
      for (;;) {
        scanner.skipSpaces()
        if (scanner.text[scanner.position] !== '(') break
        if (parseGroup(scanner, layer, SETTINGS[type] ?? [])) ended = true
        end = scanner.position
      }
      layer.name = text.slice(start, end)
      layers.push(layer)
    }
    index++
    scanner.skipSpaces()
    if (scanner.atEnd()) break
    if (scanner.take(ARROW) === undefined) scanner.fail('expected "→" or "->" between layers')
  }
  if (layers.length === 0) scanner.fail('the architecture has no layers', 0, text.trim().slice(0, 20))
  return layers
}
