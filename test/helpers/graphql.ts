/** GraphQL helpers shared by the parity, grading and fuzz tests. */
import { getNamedType, isObjectType, type GraphQLObjectType } from 'graphql'
import { RENDERING_TYPES } from '../../src/renderings.js'

/**
 * The renderings of an operation's result (src/renderings.ts): compared with REST's negotiated
 * answers by their own tests (test/latex/answers.test.ts, test/http/pictures.test.ts), not with
 * its JSON, where /conv-matrix's `latex` is the bmatrix of format "latex".
 */
export const RENDERING_FIELDS: readonly string[] = Object.keys(RENDERING_TYPES)

/** Every field of a result type, recursively (`{ a b { c } }`), but the top-level ones in `omit`. */
export function selection (type: GraphQLObjectType, omit: readonly string[] = []): string {
  return `{ ${Object.values(type.getFields()).filter((field) => !omit.includes(field.name)).map((field) => {
    const named = getNamedType(field.type)
    return isObjectType(named) ? `${field.name} ${selection(named)}` : field.name
  }).join(' ')} }`
}

/** GraphQL answers null where REST leaves an optional field out. */
export function withoutAbsentNulls (graphql: unknown, rest: unknown): unknown {
  if (Array.isArray(graphql) && Array.isArray(rest)) return graphql.map((item, i) => withoutAbsentNulls(item, rest[i]))
  if (graphql !== null && typeof graphql === 'object' && rest !== null && typeof rest === 'object' && !Array.isArray(rest)) {
    return Object.fromEntries(Object.entries(graphql)
      .filter(([key, value]) => value !== null || key in rest)
      .map(([key, value]) => [key, withoutAbsentNulls(value, (rest as Record<string, unknown>)[key])]))
  }
  return graphql
}

/** A JSON object without the top-level fields named. */
export function withoutFields (value: unknown, fields: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([key]) => !fields.includes(key)))
}
