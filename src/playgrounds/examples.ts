/**
 * Example GraphQL queries, one per computation, generated from the operations' documented
 * examples (the cheapest of each) and the SDL (every field of the result selected but the picture), for the
 * playground.
 */
import { buildSchema, getNamedType, isObjectType, type GraphQLObjectType } from 'graphql'
import type { Operation } from '../operations/operation.js'

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

export function exampleQueries (sdl: string, operations: readonly Operation[]): ExampleQuery[] {
  const schema = buildSchema(sdl)
  const fields = schema.getQueryType()!.getFields()
  return operations.map((operation) => {
    const field = fields[operation.name]
    const inputType = getNamedType(field.args[0].type).name
    // The first documented example that answers at once (the assignment's question, as a
    // rule), else the cheapest: the corner experiment's first one trains two networks for
    // seconds.
    const example = operation.examples.find((candidate) => operation.cost(candidate.value) < QUICK_NS) ??
      [...operation.examples].sort((a, b) => operation.cost(a.value) - operation.cost(b.value))[0]
    return {
      name: operation.name,
      title: example.summary,
      query: `# ${operation.summary}: ${example.summary}\nquery ${operation.name[0].toUpperCase()}${operation.name.slice(1)}($input: ${inputType}!) {\n  ${operation.name}(input: $input) ${fullSelection(getNamedType(field.type) as GraphQLObjectType, '  ', PICTURE_FIELDS)}\n}\n`,
      variables: JSON.stringify({ input: example.value }, null, 2)
    }
  })
}
