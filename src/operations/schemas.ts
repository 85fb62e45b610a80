/**
 * Schema pieces shared by the operations. Numbers are plain JSON numbers: the validator runs
 * with coercion off and `strictNumbers` on (see src/app.ts), so "Infinity", "NaN", "0x10"
 * and 1e999 (which JSON.parse turns into Infinity) are 400, never coerced.
 */
import { Type, type TSchema } from '@sinclair/typebox'

/** Largest integer accepted in a size field (input side, kernel, stride, …). */
export const MAX_DIMENSION = 65_536

/** `n` or `[height, width]`, as PyTorch's `_pair`. */
export function PairInput (minimum: number, maximum: number, description: string) {
  const integer = Type.Integer({ minimum, maximum })
  return Type.Union([integer, Type.Array(integer, { minItems: 2, maxItems: 2 })], {
    title: 'Pair',
    description: `${description} — an integer n (meaning [n, n]) or [height, width], each in ${minimum}…${maximum}`
  })
}

/** A pair in a response: always `[height, width]`. */
export function PairOutput (description: string, item: TSchema = Type.Integer()) {
  return Type.Array(item, { minItems: 2, maxItems: 2, description })
}

/** A float64 result that is sent as null where it is not finite (see `warnings`). */
export const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const Warnings = Type.Array(Type.String(), {
  description: 'Present when a result was not finite in float64 and was sent as null: which field and why.'
})

/** Fastify's error shape. */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ description: 'the HTTP status' }),
  code: Type.String({ description: 'stable machine-readable code, e.g. FST_ERR_VALIDATION, DLCHECK_IMPOSSIBLE, DLCHECK_LIMIT' }),
  error: Type.String({ description: 'the HTTP status text' }),
  message: Type.String({ description: 'what is wrong: the field path and the rule, or the limit and the way around it' })
}, { $id: 'ErrorResponse', title: 'Error' })
