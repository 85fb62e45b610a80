/**
 * Schema error messages that name the field, the rule and the value received.
 *
 * Ajv stops at the first error (allErrors: false, Fastify's default, a DoS guard) but an
 * `anyOf` (e.g. a pair: `n` or `[height, width]`) reports one error per branch plus
 * "must match a schema in anyOf". We keep the branch error that got deepest into the data
 * (the one the client most likely meant) and add the union's description.
 */
import type { FastifySchemaValidationError } from 'fastify'

/**
 * The validator's options, shared by REST (Fastify's Ajv) and GraphQL (src/graphql), so both
 * doors accept and reject the same inputs with the same messages.
 */
export const AJV_OPTIONS = {
  // Fastify's defaults coerce "Infinity" and "0x10" into numbers and drop unknown fields
  // silently; the contract (openapi.yaml) wants both rejected with 400.
  coerceTypes: false,
  removeAdditional: false,
  // Defaults are applied by each operation's run; the schema's `default` documents them.
  // Inserting them here would also make "bias" look given when it was not.
  useDefaults: false,
  // Ajv rejects NaN and ±Infinity (JSON.parse turns 1e999 into Infinity).
  strictNumbers: true,
  // Errors carry the data and parent schema, so messages can quote both.
  verbose: true,
  // `model` is a oneOf discriminated by `kind` (src/operations/models.ts).
  discriminator: true,
  allErrors: false
} as const

/** An Ajv error with `verbose: true`: it carries the failing data and the parent schema. */
interface VerboseError extends FastifySchemaValidationError {
  data?: unknown
  parentSchema?: {
    description?: string
    properties?: Record<string, unknown>
    anyOf?: Array<{ const?: unknown }>
    oneOf?: Array<{ properties: Record<string, { const: unknown }> }>
  }
}

/** A received value, briefly: `the string "abc"`, `an array`, `Infinity (a number outside float64, e.g. 1e999)`. */
export function describeValue (value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value} (a number outside float64, e.g. 1e999)`
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  return typeof value === 'object' ? 'an object' : String(value)
}

function describeError (error: VerboseError, dataVar: string): string {
  const path = dataVar + error.instancePath
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys(error.parentSchema!.properties!)
      return `${path} has an unknown property '${String(error.params.additionalProperty)}'; allowed: ${allowed.join(', ')}`
    }
    case 'discriminator': {
      // A oneOf keyed by a tag (e.g. model.kind): name the tag and its allowed values.
      const tag = String(error.params.tag)
      const allowed = error.parentSchema!.oneOf!.map((branch) => JSON.stringify(branch.properties[tag].const))
      return `${path}/${tag} must be one of ${allowed.join(', ')}, got ${describeValue(error.params.tagValue)}`
    }
    case 'required':
      return `${path} must have the property '${String(error.params.missingProperty)}'`
    case 'type':
      if (error.params.type === 'number') return `${path} must be a finite number, got ${describeValue(error.data)}`
      if (error.params.type === 'integer') return `${path} must be an integer, got ${describeValue(error.data)}`
      return `${path} must be ${String(error.params.type)}, got ${describeValue(error.data)}`
    default:
      // Ajv's own wording for the rest: "must be >= 1", "must NOT have more than 2 items", …
      return `${path} ${error.message!}${typeof error.data === 'object' ? '' : `, got ${describeValue(error.data)}`}`
  }
}

export function schemaErrorFormatter (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const verbose = errors as VerboseError[]
  const union = verbose.findLast((error) => error.keyword === 'anyOf')
  const specific = verbose.filter((error) => error.keyword !== 'anyOf')
  if (union !== undefined) {
    const choices = union.parentSchema?.anyOf
    if (choices?.every((choice) => choice.const !== undefined) === true) {
      return new Error(`${dataVar}${union.instancePath} must be one of ${choices.map((choice) => JSON.stringify(choice.const)).join(', ')}, got ${describeValue(union.data)}`)
    }
  }
  // At equal depth, a branch whose type matched but broke a constraint (e.g. a 3-entry pair)
  // says more than a branch of the wrong type.
  const score = (error: VerboseError): number => 2 * error.instancePath.split('/').length + (error.keyword === 'type' ? 0 : 1)
  // Ajv reports at least one branch error with every anyOf error, so `specific` is never empty.
  const deepest = specific.reduce((best, error) => score(error) > score(best) ? error : best)
  const text = describeError(deepest, dataVar)
  // Every request union carries a description (test/validation.test.ts checks it).
  const description = union?.parentSchema?.description
  return new Error(union === undefined ? text : `${text} (${dataVar}${union.instancePath}: ${description})`)
}
