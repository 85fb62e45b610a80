/**
 * Example GraphQL queries, one per computation, generated from the operations' documented
 * examples (the cheapest of each) and the SDL (every field of the result selected but the picture), for the
 * playground: the input's fields as variables, but custom scalars' values in the query text.
 */
import {
  buildSchema, getNamedType, isInputObjectType, isListType, isNonNullType, isObjectType, isScalarType, isSpecifiedScalarType, print,
  type GraphQLInputObjectType, type GraphQLInputType, type GraphQLObjectType
} from 'graphql'
import type { Operation } from '../operations/operation.js'
import { inputValueNode } from './literal.js'

/**
 * Left out of the tabs: a picture is pages of SVG markup in the result pane (and some answers
 * have none to draw: an HVP without its sweep); the landing page shows the pictures. The tabs
 * keep `latex`, the answer a student pastes.
 */
const PICTURE_FIELDS = ['svg']

/** Every field of a result type, recursively, one per line, but the top-level ones in `omit`. */
export function fullSelection (type: GraphQLObjectType, indent = '  ', omit: readonly string[] = []): string {
  const lines = Object.values(type.getFields()).filter((field) => !omit.includes(field.name)).map((field) => {
    const named = getNamedType(field.type)
    return isObjectType(named) ? `${indent}  ${field.name} ${fullSelection(named, `${indent}  `)}` : `${indent}  ${field.name}`
  })
  return `{\n${lines.join('\n')}\n${indent}}`
}

/** An example estimated under this (50 ms of CPU) answers at once. */
const QUICK_NS = 50e6

export interface ExampleQuery { name: string, title: string, query: string, variables: string }

/**
 * Whether this value of this input type holds a value of a custom scalar (one of SCALARS,
 * src/graphql/sdl.ts, or any added later: every scalar but GraphQL's own), at any depth.
 */
function holdsCustomScalar (value: unknown, type: GraphQLInputType): boolean {
  if (isNonNullType(type)) return holdsCustomScalar(value, type.ofType)
  if (value === null) return false
  if (isListType(type)) return Array.isArray(value) ? value.some((item) => holdsCustomScalar(item, type.ofType)) : holdsCustomScalar(value, type.ofType)
  if (isInputObjectType(type)) return Object.entries(value as object).some(([key, item]) => holdsCustomScalar(item, type.getFields()[key].type))
  return isScalarType(type) && !isSpecifiedScalarType(type)
}

export function exampleQueries (sdl: string, operations: readonly Operation[]): ExampleQuery[] {
  const schema = buildSchema(sdl)
  const fields = schema.getQueryType()!.getFields()
  return operations.map((operation) => {
    const field = fields[operation.name]
    const inputFields = (getNamedType(field.args[0].type) as GraphQLInputObjectType).getFields()
    // The first documented example that answers at once (the assignment's question, as a
    // rule), else the cheapest: the corner experiment's first one trains two networks for
    // seconds.
    const example = operation.examples.find((candidate) => operation.cost(candidate.value) < QUICK_NS) ??
      [...operation.examples].sort((a, b) => operation.cost(a.value) - operation.cost(b.value))[0]
    // One variable per field of the input, but a field that holds a custom scalar's value is
    // written in the query instead. GraphiQL 3's variables editor marks a list or an object
    // given to any custom scalar as an error ("Expected value of type "Logits"."), valid as it
    // is: its lint (codemirror-graphql 2.2, src/variables/lint.ts, validateValue's check of
    // "enums and custom scalars") takes only a string, number, boolean or null for a scalar,
    // and GraphiQL has no option to change it. The query editor checks a literal with the
    // scalar's parseLiteral, graphql-js' valueFromASTUntyped for a scalar known from
    // introspection, which takes any literal, as the server's does (src/graphql/sdl.ts).
    // A value no literal can say stays a variable: marked, but it runs.
    const written: string[] = []
    const declared: string[] = []
    const variables: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(example.value as Record<string, unknown>)) {
      const type = inputFields[name].type
      const literal = holdsCustomScalar(value, type) ? inputValueNode(value, type) : undefined
      if (literal !== undefined) {
        written.push(`${name}: ${print(literal)}`)
      } else {
        declared.push(`$${name}: ${String(type)}`)
        written.push(`${name}: $${name}`)
        variables[name] = value
      }
    }
    const queryName = `${operation.name[0].toUpperCase()}${operation.name.slice(1)}`
    const input = written.length === 0 ? '{}' : `{\n${written.map((line) => `    ${line}\n`).join('')}  }`
    return {
      name: operation.name,
      title: example.summary,
      query: `# ${operation.summary}: ${example.summary}\nquery ${queryName}${declared.length === 0 ? '' : `(${declared.join(', ')})`} {\n  ${operation.name}(input: ${input}) ${fullSelection(getNamedType(field.type) as GraphQLObjectType, '  ', PICTURE_FIELDS)}\n}\n`,
      variables: JSON.stringify(variables, null, 2)
    }
  })
}
