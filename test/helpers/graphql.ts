/** GraphQL helpers shared by the parity, grading and fuzz tests. */
import { getNamedType, isObjectType, type GraphQLObjectType } from 'graphql'

/** Every field of a result type, recursively: `{ a b { c } }`. */
export function selection (type: GraphQLObjectType): string {
  return `{ ${Object.values(type.getFields()).map((field) => {
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
