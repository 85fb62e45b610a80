/**
 * JSON values written as GraphQL value literals (GraphQL spec, October 2021, §2.9 Input
 * Values), for the example queries: a custom scalar's value goes in the query text, where
 * GraphiQL's variables editor cannot flag it (src/playgrounds/examples.ts says why).
 * graphql-js' `astFromValue` writes no list or object for a scalar: it serializes the value
 * and takes only a boolean, number or string (graphql/utilities/astFromValue.js), so these
 * build the syntax tree themselves and leave the printing to graphql-js' `print`.
 */
import {
  isEnumType, isInputObjectType, isListType, isNonNullType, Kind,
  type ConstObjectFieldNode, type ConstValueNode, type GraphQLInputType
} from 'graphql'

/** A GraphQL Name (spec §2.1.9): what an object literal's keys must be. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/
/** Number.prototype.toString's integers without an exponent: GraphQL's IntValue (§2.9.1). */
const INTEGER = /^-?\d+$/
/**
 * A lone UTF-16 surrogate: a GraphQL string holds Unicode scalar values only (§2.9.4), and
 * graphql-js' lexer refuses one that is not half of a pair ("Invalid character within String").
 */
const LONE_SURROGATE = /\p{Cs}/u

/** The nodes if every one could be written, else undefined. */
function every<T> (nodes: ReadonlyArray<T | undefined>): T[] | undefined {
  return nodes.includes(undefined) ? undefined : nodes as T[]
}

/**
 * The literal that graphql-js' `valueFromASTUntyped` (which the JSON scalars' `parseLiteral`
 * use, src/graphql/sdl.ts) reads back as `value`; undefined for what no literal can say: a
 * key that is not a GraphQL name, a non-finite number, a lone surrogate, or no JSON value.
 */
export function jsonValueNode (value: unknown): ConstValueNode | undefined {
  if (value === null) return { kind: Kind.NULL }
  switch (typeof value) {
    case 'boolean': return { kind: Kind.BOOLEAN, value }
    case 'number': {
      if (!Number.isFinite(value)) return undefined
      // The shortest decimal that reads back as the same double (ECMA-262 Number::toString):
      // `1e+21` and `5e-324` are FloatValues as they are (§2.9.2 ExponentPart, with its sign),
      // and must be Floats, since valueFromASTUntyped reads an IntValue with parseInt.
      const text = String(value)
      return { kind: INTEGER.test(text) ? Kind.INT : Kind.FLOAT, value: text }
    }
    case 'string': return LONE_SURROGATE.test(value) ? undefined : { kind: Kind.STRING, value }
    case 'object': {
      if (Array.isArray(value)) {
        const values = every(value.map(jsonValueNode))
        return values && { kind: Kind.LIST, values }
      }
      const fields = every(Object.entries(value).map(([key, item]) => objectField(key, jsonValueNode(item))))
      return fields && { kind: Kind.OBJECT, fields }
    }
  }
  return undefined
}

function objectField (key: string, value: ConstValueNode | undefined): ConstObjectFieldNode | undefined {
  return NAME.test(key) && value !== undefined ? { kind: Kind.OBJECT_FIELD, name: { kind: Kind.NAME, value: key }, value } : undefined
}

/**
 * A value of an input type as a literal of that type: an enum's value bare (a string literal
 * is not an enum value, §5.6.1), an input object's fields by their own types, a scalar's value
 * as JSON says it (GraphQL's own scalars take the same literals, a custom one any). The value
 * is an operation's documented example, valid for the type; undefined as for jsonValueNode.
 */
export function inputValueNode (value: unknown, type: GraphQLInputType): ConstValueNode | undefined {
  if (isNonNullType(type)) return inputValueNode(value, type.ofType)
  if (value === null) return { kind: Kind.NULL }
  if (isListType(type)) {
    // A single value where a list is expected is a list of one (input coercion, §3.11).
    if (!Array.isArray(value)) return inputValueNode(value, type.ofType)
    const values = every(value.map((item) => inputValueNode(item, type.ofType)))
    return values && { kind: Kind.LIST, values }
  }
  if (isInputObjectType(type)) {
    const types = type.getFields()
    const fields = every(Object.entries(value as object).map(([key, item]) => objectField(key, inputValueNode(item, types[key].type))))
    return fields && { kind: Kind.OBJECT, fields }
  }
  if (isEnumType(type)) return { kind: Kind.ENUM, value: value as string }
  return jsonValueNode(value)
}
