/**
 * The GraphQL schema, generated from the same TypeBox schemas REST validates with: one field
 * per operation of the table (`name(input: NameInput!): NameResult!`) and the grading fields.
 * `npm run generate` writes it to schema/schema.graphql for clients; the app builds it the
 * same way at start, so the two cannot differ (test/generate.test.ts checks the file).
 *
 * How JSON Schema becomes GraphQL (GraphQL has no unions of inputs or of scalars):
 * - string, boolean, number → String, Boolean, Float; an integer → Int when its bounds fit
 *   GraphQL's 32-bit Int (GraphQL spec §3.5.1), else Float (counts, sizes of Hessians);
 * - `anyOf [X, null]` → a nullable X; an `anyOf` of string constants that are GraphQL names →
 *   an enum named by the schema's `title` (else String: "cross-entropy" is not a name);
 * - any other `anyOf` (a pair `n` or `[h, w]`, a vector or one per row) → the scalar named by
 *   its `title`, one of SCALARS: a JSON value passed through, checked by the operation's
 *   schema, as REST checks it;
 * - a `oneOf` of objects told apart by a `discriminator` (an HVP's model, a comparison) → one
 *   object with every branch's fields, the discriminator an enum; the schema says which
 *   fields go with which branch;
 * - an object → a type named by its `title` (an input's name ends in "Input"), or else by
 *   its place (`ParamCountResult.hessian` → `ParamCountHessian`); an object without
 *   properties, or no type at all → the scalar JSON;
 * - a property is non-null when the schema requires it and it is not nullable.
 */
import {
  GraphQLBoolean, GraphQLEnumType, GraphQLFloat, GraphQLInputObjectType, GraphQLInt, GraphQLList, GraphQLNonNull,
  GraphQLObjectType, GraphQLScalarType, GraphQLSchema, GraphQLString, printSchema, valueFromASTUntyped,
  type GraphQLFieldConfigMap, type GraphQLInputFieldConfigMap, type GraphQLInputType, type GraphQLNamedType, type GraphQLOutputType, type GraphQLType
} from 'graphql'
import type { TSchema } from '@sinclair/typebox'
import type { Operation } from '../operations/operation.js'
import { PARAMETER_VECTOR } from '../operations/parameter-vector.js'
import { RENDERING_DESCRIPTIONS, renderingsOf, RENDERING_TYPES, type Rendering } from '../renderings.js'

const fieldDescription = (rendering: Rendering): string => `What REST sends for Accept: ${RENDERING_TYPES[rendering]}, ${RENDERING_DESCRIPTIONS[rendering]}.`

/**
 * An operation's result with its renderings as fields (src/renderings.ts), drawn only when
 * selected. A result whose JSON already has a field of that name (/conv-matrix's \`latex\` of
 * format "latex", a bmatrix of A) gets the rendering instead: it holds that bmatrix too.
 */
function resultSchema (operation: Operation): Json {
  const response = operation.response as Json
  const renderings = renderingsOf(operation)
  const properties = { ...(response.properties as Record<string, Json>), ...Object.fromEntries(renderings.map((rendering) => [rendering, { type: 'string', description: fieldDescription(rendering) }])) }
  // Every result has a required field, so `required` is there (TypeBox leaves it out when none is).
  const required = [...new Set([...(response.required as string[]), ...renderings])]
  return { ...response, properties, required }
}

/** A JSON value passed through as it is, to be checked by the operation's JSON schema. */
function jsonScalar (name: string, description: string): GraphQLScalarType {
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables)
  })
}

/** The scalars for what GraphQL's types cannot say; a schema names one with its `title`. */
export const SCALARS: readonly GraphQLScalarType[] = [
  jsonScalar('Pair', 'An integer n (meaning [n, n]) or a list [height, width].'),
  jsonScalar('Logits', 'A vector [Float] or a matrix [[Float]] whose rows are independent vectors.'),
  jsonScalar('PerRow', 'A value (number, boolean or null) when the input was a vector; a list of them, one per row, when it was a matrix. Non-finite numbers are null (see warnings).'),
  jsonScalar('MatrixEntries', 'A dense matrix: [[Float]] for a numeric kernel, [[String]] ("0" or "w_{i,j}") for a symbolic one.'),
  jsonScalar('Entry', 'A matrix entry: a number, or a string "w_{i,j}" for a symbolic kernel.'),
  jsonScalar('NumberOrSymbol', 'A number, or a symbol: an optional sign (- or +) then a Greek letter\'s name (alpha … omega) or one Latin letter other than x, e.g. "beta", "-b".'),
  jsonScalar('NumberOrLinearForm', 'A number, or with symbolic inputs a linear form in plain text, e.g. "a", "−b", "a − c", "−β".'),
  jsonScalar('Targets', 'Class indices [Int] for cross-entropy, or a matrix [[Float]] (batch × sizes[L]) for mse.'),
  jsonScalar('JSON', 'Any JSON value: a question\'s params and their JSON Schema, an answer, a request body.')
]
const JSON_SCALAR = SCALARS.find((scalar) => scalar.name === 'JSON')!

/** A field of Query or Mutation that is not an operation of the table (the grading fields). */
export interface ExtraField {
  root: 'query' | 'mutation'
  name: string
  description: string
  /** argument name → its schema, all required */
  args: Record<string, TSchema>
  result: TSchema
}

const SCHEMA_DESCRIPTION = `dlcheck's GraphQL mirror of its REST API, generated from the same schemas: every
computation is a Query field named after its REST path in camelCase, taking one argument
\`input\` whose fields are the REST body's, and returning the REST response's fields. Inputs
are validated by the same schemas as REST, with the same messages (paths start with \`input/\`
instead of \`body/\`).

Where GraphQL's type system cannot say what JSON says, this schema uses:
- the scalars Pair, Logits, PerRow, MatrixEntries, Entry and Targets (described below) for
  "n or [height, width]" and for fields that are a vector or one vector per row,
  NumberOrSymbol and NumberOrLinearForm for a number or a symbol (question 1.2), and JSON;
- Float instead of Int for integers that can pass GraphQL's 32-bit Int (parameter counts,
  receptive fields, Hessian sizes), exact below 2^53; Hessian entries also come as exact
  decimal strings (entriesExact, uniqueExact);
- String for enumerations whose values are not GraphQL names (the loss "cross-entropy");
- one input object with every variant's fields where JSON has a choice of objects (an HVP's
  model, a comparison): its kind or mode says which fields apply.
Errors carry extensions { code, statusCode } with the REST status (400, 413, 422); internal
errors are masked.`

type Side = 'input' | 'output'
type Json = Record<string, unknown> & { description?: string, title?: string }

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/
const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1
/** Whether a value of this schema may be null itself (not an item inside it). */
const mayBeNull = (schema: Json): boolean => schema.type === 'null' || ((schema.anyOf as Json[] | undefined)?.some(mayBeNull) ?? false)
const pascal = (name: string): string => `${name[0].toUpperCase()}${name.slice(1)}`

/** Builds GraphQL types from JSON schemas, one named type per name (checked to agree). */
class TypeBuilder {
  private readonly named = new Map<string, { type: GraphQLNamedType, source: string }>()

  /** The type of `schema`, and whether it may be null before any requiredness is applied. */
  typeOf (schema: Json, side: Side, place: string): { type: GraphQLType, nullable: boolean } {
    const anyOf = schema.anyOf as Json[] | undefined
    // A parameter vector's list form only: its doubles in base64 are for REST's large bodies
    // (GraphQL is sized for exploration), and [Float!] stays the type clients declare.
    if (anyOf !== undefined && schema.title === PARAMETER_VECTOR) return this.typeOf(anyOf[0], side, place)
    if (anyOf !== undefined) {
      const values = anyOf.filter((branch) => branch.type !== 'null')
      if (values.length === 1 && values.length < anyOf.length) return { type: this.typeOf(values[0], side, place).type, nullable: true }
      if (anyOf.every((branch) => typeof branch.const === 'string')) {
        const constants = anyOf.map((branch) => branch.const as string)
        if (!constants.every((value) => NAME.test(value))) return { type: GraphQLString, nullable: false }
        return { type: this.enumType(this.title(schema, place), constants, schema.description), nullable: false }
      }
      // A JSON value that may be null as a whole (a per-row log-sum-exp of a vector that overflowed).
      return { type: this.scalar(this.title(schema, place)), nullable: anyOf.some(mayBeNull) }
    }
    if (schema.oneOf !== undefined) return { type: this.flattened(schema, side, place), nullable: false }
    switch (schema.type) {
      case 'string': return { type: GraphQLString, nullable: false }
      case 'boolean': return { type: GraphQLBoolean, nullable: false }
      case 'number': return { type: GraphQLFloat, nullable: false }
      case 'integer': {
        const fits = typeof schema.minimum === 'number' && schema.minimum >= INT_MIN && typeof schema.maximum === 'number' && schema.maximum <= INT_MAX
        return { type: fits ? GraphQLInt : GraphQLFloat, nullable: false }
      }
      case 'array': {
        const item = this.typeOf(schema.items as Json, side, place)
        return { type: new GraphQLList(item.nullable ? item.type : new GraphQLNonNull(item.type)), nullable: false }
      }
      case 'object': {
        const properties = schema.properties as Record<string, Json> | undefined
        if (properties === undefined || Object.keys(properties).length === 0) return { type: JSON_SCALAR, nullable: false }
        return { type: this.objectType(schema, side, place), nullable: false }
      }
    }
    // No type and no constant: any JSON value (TypeBox's Unknown).
    if (schema.type === undefined && schema.const === undefined) return { type: JSON_SCALAR, nullable: false }
    throw new Error(`${place}: no GraphQL type for the schema ${JSON.stringify(schema).slice(0, 200)}`)
  }

  /** A property's type: non-null when required and not nullable. */
  fieldType (schema: Json, required: boolean, side: Side, place: string): GraphQLType {
    const { type, nullable } = this.typeOf(schema, side, place)
    return required && !nullable ? new GraphQLNonNull(type) : type
  }

  private title (schema: Json, place: string): string {
    if (typeof schema.title !== 'string') throw new Error(`${place}: a union needs a title, the GraphQL enum or scalar it becomes`)
    return schema.title
  }

  private scalar (name: string): GraphQLScalarType {
    const scalar = SCALARS.find((candidate) => candidate.name === name)
    if (scalar === undefined) throw new Error(`the union titled ${name} is not one of the GraphQL scalars (${SCALARS.map((s) => s.name).join(', ')}); add it to SCALARS in src/graphql/sdl.ts`)
    return scalar
  }

  /** One type per name: the same name must come from the same definition. */
  private once<T extends GraphQLNamedType> (name: string, source: string, make: () => T): T {
    const known = this.named.get(name)
    if (known !== undefined) {
      if (known.source !== source) throw new Error(`two different schemas become the GraphQL type ${name}: give one of them another title`)
      return known.type as T
    }
    const type = make()
    this.named.set(name, { type, source })
    return type
  }

  private enumType (name: string, values: readonly string[], description?: string): GraphQLEnumType {
    return this.once(name, `enum ${values.join(' ')}`, () => new GraphQLEnumType({
      name,
      description,
      values: Object.fromEntries(values.map((value) => [value, { value }]))
    }))
  }

  private objectType (schema: Json, side: Side, place: string): GraphQLObjectType | GraphQLInputObjectType {
    const base = typeof schema.title === 'string' ? schema.title : place
    const name = side === 'input' && !base.endsWith('Input') ? `${base}Input` : base
    const properties = schema.properties as Record<string, Json>
    const required = new Set(schema.required as string[] | undefined)
    return this.once(name, JSON.stringify(schema), () => {
      const fields = (): Record<string, { type: GraphQLType, description?: string }> => Object.fromEntries(Object.entries(properties).map(([key, property]) => {
        if (!NAME.test(key)) throw new Error(`${name}.${key} is not a GraphQL name`)
        const inner = `${base.replace(/(Input|Result)$/, '')}${pascal(key)}`
        return [key, { type: this.fieldType(property, required.has(key), side, inner), description: property.description }]
      }))
      return side === 'input'
        ? new GraphQLInputObjectType({ name, description: schema.description, fields: fields as () => GraphQLInputFieldConfigMap })
        : new GraphQLObjectType({ name, description: schema.description, fields: fields as () => GraphQLFieldConfigMap<unknown, unknown> })
    })
  }

  /**
   * A discriminated `oneOf` as one object: the discriminator (required) an enum of the
   * branches' constants, every other field optional and described with the branches it
   * belongs to.
   */
  private flattened (schema: Json, side: Side, place: string): GraphQLObjectType | GraphQLInputObjectType {
    const discriminator = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName
    const branches = schema.oneOf as Json[]
    if (discriminator === undefined) throw new Error(`${place}: a oneOf needs a discriminator to become one GraphQL object`)
    const base = this.title(schema, place)
    const tag = (branch: Json): string => ((branch.properties as Record<string, Json>)[discriminator]).const as string
    const properties: Record<string, Json> = {
      [discriminator]: { anyOf: branches.map((branch) => ({ const: tag(branch) })), title: `${base}${pascal(discriminator)}` }
    }
    for (const branch of branches) {
      for (const [key, property] of Object.entries(branch.properties as Record<string, Json>)) {
        if (key === discriminator || key in properties) continue
        // Per branch that has the field, its own description: `digits` means significant
        // digits for sigfig and decimal places for decdig.
        const owners = branches.filter((other) => key in (other.properties as object))
        const texts = owners.map((owner) => ((owner.properties as Record<string, Json>)[key]).description)
        const tags = owners.map(tag)
        let description: string
        if (texts.some((text) => text !== texts[0])) description = texts.map((text, i) => `${tags[i]}: ${text ?? 'no description'}`).join('; ')
        else description = texts[0] === undefined ? `${tags.join(', ')} only` : `${tags.join(', ')}: ${texts[0]}`
        properties[key] = { ...property, description }
      }
    }
    return this.objectType({ type: 'object', title: base, description: schema.description, properties, required: [discriminator] }, side, place)
  }
}

/** The schema's SDL: what Mercurius serves, and what schema/schema.graphql holds. */
export function graphqlSdl (operations: readonly Operation[], extra: readonly ExtraField[]): string {
  const types = new TypeBuilder()
  const rootFields = (root: ExtraField['root']): GraphQLFieldConfigMap<unknown, unknown> => {
    const fields: GraphQLFieldConfigMap<unknown, unknown> = {}
    if (root === 'query') {
      for (const operation of operations) {
        const type = pascal(operation.name)
        fields[operation.name] = {
          description: `${operation.summary} (${operation.questions.length === 1 ? 'question' : 'questions'} ${operation.questions.join(', ')}; REST: POST ${operation.path}).`,
          args: { input: { type: types.fieldType({ ...operation.body, title: `${type}Input` } as Json, true, 'input', `${type}Input`) as GraphQLInputType } },
          type: types.fieldType({ ...resultSchema(operation), title: `${type}Result` }, true, 'output', `${type}Result`) as GraphQLOutputType
        }
      }
    }
    for (const field of extra.filter((candidate) => candidate.root === root)) {
      fields[field.name] = {
        description: field.description,
        args: Object.fromEntries(Object.entries(field.args).map(([name, schema]) => [name, { type: types.fieldType(schema as Json, true, 'input', `${pascal(field.name)}${pascal(name)}`) as GraphQLInputType }])),
        type: types.fieldType(field.result as Json, true, 'output', `${pascal(field.name)}Result`) as GraphQLOutputType
      }
    }
    return fields
  }
  const mutation = rootFields('mutation')
  const schema = new GraphQLSchema({
    description: SCHEMA_DESCRIPTION,
    query: new GraphQLObjectType({ name: 'Query', fields: rootFields('query') }),
    mutation: Object.keys(mutation).length === 0 ? undefined : new GraphQLObjectType({ name: 'Mutation', fields: mutation })
  })
  return `${printSchema(schema)}\n`
}
