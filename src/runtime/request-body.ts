/**
 * JSON request bodies, parsed the same way on the main thread (small bodies) and in a worker
 * (large ones, src/runtime/worker.ts), with the same errors.
 *
 * Keys that would reach an object's prototype are refused, as Fastify's default parser does
 * (secure-json-parse's protoAction and constructorAction 'error'), but the 400 names the key
 * and where it is instead of calling the body invalid JSON: it is valid JSON.
 */
import { ComputationError } from '../math/errors.js'

/**
 * (400) A body that does not parse: not JSON, empty (Fastify's codes and wording, kept for
 * clients that match on them), or holding a key that could pollute a prototype.
 */
export class BodyParseError extends ComputationError {
  readonly statusCode = 400
  constructor (readonly code: 'FST_ERR_CTP_INVALID_JSON_BODY' | 'FST_ERR_CTP_EMPTY_JSON_BODY' | 'DLCHECK_FORBIDDEN_KEY', message: string) {
    super(message)
  }
}

/**
 * Where a key that could pollute a prototype is, as a JSON pointer, or undefined. Iterative
 * (bodies nest as deep as their size allows) and stops at the first one.
 */
export function forbiddenKey (value: unknown): { pointer: string, key: string } | undefined {
  // Each object or list remembers its parent and key; a pointer is built only for the one
  // found, so the walk allocates nothing per value.
  interface Frame { value: object, parent: Frame | undefined, key: string }
  const pointer = (frame: Frame | undefined, tail: string): string => {
    let path = tail
    for (let at = frame; at?.parent !== undefined; at = at.parent) path = `/${at.key.replaceAll('~', '~0').replaceAll('/', '~1')}${path}`
    return path
  }
  if (value === null || typeof value !== 'object') return undefined
  const stack: Frame[] = [{ value, parent: undefined, key: '' }]
  while (stack.length > 0) {
    const frame = stack.pop()!
    if (Array.isArray(frame.value)) {
      const list = frame.value as unknown[]
      for (let i = list.length - 1; i >= 0; i--) {
        const item = list[i]
        if (item !== null && typeof item === 'object') stack.push({ value: item, parent: frame, key: String(i) })
      }
      continue
    }
    const record = frame.value as Record<string, unknown>
    if (Object.prototype.hasOwnProperty.call(record, '__proto__')) return { pointer: pointer(frame, ''), key: '__proto__' }
    const constructor = Object.prototype.hasOwnProperty.call(record, 'constructor') ? record.constructor : undefined
    if (constructor !== null && typeof constructor === 'object' && Object.prototype.hasOwnProperty.call(constructor, 'prototype')) {
      return { pointer: pointer(frame, '/constructor'), key: 'prototype' }
    }
    const keys = Object.keys(record)
    for (let i = keys.length - 1; i >= 0; i--) {
      const inner = record[keys[i]]
      if (inner !== null && typeof inner === 'object') stack.push({ value: inner, parent: frame, key: keys[i] })
    }
  }
  return undefined
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d

/**
 * Where a text stops being JSON (RFC 8259): the offset of the first character that cannot
 * continue it (the text's length when it ends too soon), or -1 when it is JSON. JSON.parse's
 * own messages give a position for some errors only, so a failed body is scanned again here:
 * iterative, one pass, only on failure.
 */
export function jsonErrorOffset (text: string): number {
  let i = 0
  const n = text.length
  const skipSpace = (): void => { while (i < n && isSpace(text.charCodeAt(i))) i++ }
  const string = (): boolean => {
    if (text[i] !== '"') return false
    for (i++; i < n; i++) {
      const code = text.charCodeAt(i)
      if (code === 0x22) { i++; return true }
      if (code < 0x20) return false
      if (code === 0x5c) {
        const escape = text[i + 1]
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { i++; return false }
          i += 5
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) {
          i++
        } else {
          i++
          return false
        }
      }
    }
    return false
  }
  // After "{" or ",": a key, white space, a colon, white space.
  const key = (): boolean => {
    if (!string()) return false
    skipSpace()
    if (text[i] !== ':') return false
    i++
    skipSpace()
    return true
  }
  const open: string[] = []
  let expectValue = true
  skipSpace()
  for (;;) {
    if (expectValue) {
      const c = text[i]
      if (c === '{' || c === '[') {
        i++
        skipSpace()
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++
          expectValue = false
          continue
        }
        open.push(c)
        if (c === '{' && !key()) return i
        continue
      }
      if (c === '"') {
        if (!string()) return i
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4
      } else if (text.startsWith('false', i)) {
        i += 5
      } else {
        NUMBER.lastIndex = i
        if (!NUMBER.test(text)) return i
        i = NUMBER.lastIndex
      }
      expectValue = false
      continue
    }
    skipSpace()
    if (open.length === 0) return i < n ? i : -1
    const container = open[open.length - 1]
    const c = text[i]
    if (c === ',') {
      i++
      skipSpace()
      if (container === '{' && !key()) return i
      expectValue = true
    } else if (c === (container === '{' ? '}' : ']')) {
      i++
      open.pop()
    } else {
      return i
    }
  }
}

/** The 400's message for a body that is not JSON: where it stops, and a likely cause. */
function invalidJsonMessage (text: string): string {
  const offset = jsonErrorOffset(text)
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  const found = offset >= text.length ? 'the body ends too soon' : `unexpected ${JSON.stringify(String.fromCodePoint(text.codePointAt(offset)!))}`
  // {"beta": 0,5}: after "0," JSON expects a key, and meets the 5 of a decimal comma.
  const comma = /\d,$/.test(before) && /^\d/.test(text.slice(offset)) ? '; a decimal comma? JSON numbers take a point: 0.5, not 0,5' : ''
  return `Body is not valid JSON but content-type is set to 'application/json': ${found} at line ${line}, column ${column}${comma}`
}

/**
 * Parses a JSON body.
 *
 * @param where - the body's name in messages ("body")
 * @throws {BodyParseError} 400
 */
export function parseJsonBody (text: string, where = 'body'): unknown {
  // A leading byte order mark is dropped, as secure-json-parse (Fastify's parser) does:
  // RFC 8259 §8.1 lets a parser ignore it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.length === 0) throw new BodyParseError('FST_ERR_CTP_EMPTY_JSON_BODY', 'Body cannot be empty when content-type is set to \'application/json\'')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BodyParseError('FST_ERR_CTP_INVALID_JSON_BODY', invalidJsonMessage(text))
  }
  // JSON.parse makes "__proto__" an own key, harmless until something copies the object
  // with assignment (Object.assign, a spread into a literal's prototype); only a body that
  // spells it out, or escapes it, needs the walk.
  if (text.includes('proto') || text.includes('\\u')) {
    const found = forbiddenKey(value)
    if (found !== undefined) {
      throw new BodyParseError('DLCHECK_FORBIDDEN_KEY', `${where}${found.pointer} has the key "${found.key}", which is refused: it would set an object's prototype (prototype pollution); rename the key`)
    }
  }
  return value
}
