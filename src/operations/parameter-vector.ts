/**
 * A parameter vector in a request (`w` and `v` of /hvp, /newton-step, /hessian-spectrum): a
 * JSON array of numbers, or, for the hundreds of thousands of parameters of an MLP, the
 * doubles themselves as `{"float64": "<base64>"}` — RFC 4648 §4 base64 of IEEE 754 binary64
 * values, little-endian, NumPy's `base64.b64encode(w.astype('<f8').tobytes())`. The binary
 * form is exact by construction (no decimal round trip), about half the size of the decimal
 * JSON, and much faster to decode than decimals are to parse (`npm run bench:spectrum` times
 * both).
 * TensorFlow Serving's REST API carries binary values the same way, as `{"b64": …}` objects.
 *
 * Both forms pass the operation's JSON Schema; `decodeParameterVectors` then replaces each
 * binary one by its numbers, before the operation's cost estimate and computation see the
 * input, so those see number arrays only (the schema's static type says so).
 */
import { endianness } from 'node:os'
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { InvalidRequestError } from '../math/errors.js'
import type { Operation } from './operation.js'

/** The schemas' title, by which decodeParameterVectors and the GraphQL schema (sdl.ts) know them. */
export const PARAMETER_VECTOR = 'ParameterVector'

/** The schema of a parameter vector: `description` says what the vector is. */
export function ParameterVector (description: string): TUnsafe<ArrayLike<number>> {
  return Type.Unsafe<ArrayLike<number>>({
    title: PARAMETER_VECTOR,
    description: `${description}: a list of numbers; REST also takes {"float64": "<base64>"}, the IEEE 754 doubles little-endian in base64 (RFC 4648 §4; NumPy: base64.b64encode(x.astype('<f8').tobytes())), exact and faster to read for large vectors`,
    anyOf: [
      Type.Array(Type.Number()),
      // No `pattern`: a regular expression over megabytes costs more than decoding them, and
      // decoding checks the text more strictly (float64Values).
      Type.Object({
        float64: Type.String({ description: 'base64 of the doubles, 8 bytes each, little-endian' })
      }, { additionalProperties: false, title: 'Float64Base64' })
    ]
  })
}

/** The properties of an operation's body that are parameter vectors. */
function vectorFields (operation: Operation): readonly string[] {
  let fields = FIELDS.get(operation)
  if (fields === undefined) {
    // Every operation's body is an object with properties (the table's bodies are Type.Object).
    const properties = (operation.body as TSchema & { properties: Record<string, TSchema> }).properties
    fields = Object.keys(properties).filter((key) => properties[key].title === PARAMETER_VECTOR)
    FIELDS.set(operation, fields)
  }
  return fields
}
const FIELDS = new WeakMap<Operation, readonly string[]>()

/**
 * The input with every parameter vector given as `{"float64": …}` replaced by its doubles (the
 * same object when there is none). Call it on an input its schema has accepted.
 * @throws {InvalidRequestError} when the text is not canonical base64, its bytes are not a
 *   whole number of doubles, or a double is not finite (JSON numbers cannot be NaN or ±∞ either)
 */
export function decodeParameterVectors (operation: Operation, input: unknown): unknown {
  let decoded = input
  for (const field of vectorFields(operation)) {
    const value = (input as Record<string, unknown>)[field]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    if (decoded === input) decoded = { ...input as object }
    ;(decoded as Record<string, unknown>)[field] = float64Values((value as { float64: string }).float64, field)
  }
  return decoded
}

/**
 * The doubles of a base64 text, read little-endian. Node's decoder skips what is not base64
 * and ignores bad padding, so the text must be what encoding its bytes gives back: exactly
 * RFC 4648 §4's alphabet and padding, nothing else.
 * @param littleEndian - this machine's byte order (os.endianness), where the bytes can be
 *   taken as they are
 */
export function float64Values (text: string, field: string, littleEndian = endianness() === 'LE'): Float64Array {
  const where = `${field}.float64`
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) {
    throw new InvalidRequestError(`${where} is not base64 (RFC 4648 §4: A–Z, a–z, 0–9, + and /, padded with = to a multiple of 4 characters, without spaces or line breaks)`)
  }
  if (bytes.length % 8 !== 0) {
    throw new InvalidRequestError(`${where} holds ${bytes.length} bytes, not a whole number of doubles (8 bytes each, IEEE 754 binary64, little-endian)`)
  }
  const values = new Float64Array(bytes.length / 8)
  if (littleEndian) {
    new Uint8Array(values.buffer).set(bytes)
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(8 * i, true)
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] - values[i] !== 0) throw new InvalidRequestError(`${where}: entry ${i} is ${values[i]}; every entry must be finite, as JSON numbers are`)
  }
  return values
}
