/**
 * The SDL generator on small schemas: each rule of src/graphql/sdl.ts, and the mistakes a new
 * operation's schema can make, refused with a message that says what to change.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { buildSchema, getNamedType, isEnumType, isInputObjectType, isNonNullType, isObjectType, type GraphQLField, type GraphQLInputField } from 'graphql'
import t from 'tap'
import { graphqlSdl } from '../../src/graphql/sdl.js'
import type { Operation } from '../../src/operations/operation.js'

const operation = (body: TSchema, response: TSchema = Type.Object({ ok: Type.Boolean() })): Operation => ({
  name: 'toy',
  path: '/toy',
  summary: 'A toy',
  description: '',
  questions: ['9.9'],
  body,
  response,
  examples: [],
  cost: () => 1,
  costLadder: () => [],
  run: () => ({ ok: true })
})
const schemaOf = (body: TSchema, response?: TSchema) => buildSchema(graphqlSdl([operation(body, response)], []))
const inputField = (body: TSchema, name: string): GraphQLInputField => {
  const type = schemaOf(body).getType('ToyInput')
  if (!isInputObjectType(type)) throw new Error('no ToyInput')
  return type.getFields()[name]
}
const outputField = (response: TSchema, name: string): GraphQLField<unknown, unknown> => {
  const type = schemaOf(Type.Object({}), response).getType('ToyResult')
  if (!isObjectType(type)) throw new Error('no ToyResult')
  return type.getFields()[name]
}

t.test('an operation is a Query field taking input, described by its summary, questions and route', async (t) => {
  const sdl = graphqlSdl([operation(Type.Object({ n: Type.Integer({ minimum: 0, maximum: 10 }) }))], [])
  t.match(sdl, '"""A toy (question 9.9; REST: POST /toy)."""\n  toy(input: ToyInput!): ToyResult!')
  t.notMatch(sdl, 'type Mutation', 'no mutation field, no Mutation type')
  const two = graphqlSdl([{ ...operation(Type.Object({})), questions: ['1.1', '1.2'] }], [{ root: 'mutation', name: 'grade', description: 'Grades', args: { input: Type.Object({ a: Type.String() }, { title: 'Grade' }) }, result: Type.Object({ b: Type.String() }, { title: 'GradeResult' }) }])
  t.match(two, '(questions 1.1, 1.2; REST: POST /toy)')
  t.match(two, 'grade(input: GradeInput!): GradeResult!')
})

t.test('scalars, integers and nullability', async (t) => {
  t.equal(String(inputField(Type.Object({ n: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }) }), 'n').type), 'Int!', 'an integer within 32 bits is an Int, required is non-null')
  t.equal(String(inputField(Type.Object({ n: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })) }), 'n').type), 'Float', 'past 32 bits, a Float; optional is nullable')
  t.equal(String(inputField(Type.Object({ n: Type.Integer({ minimum: 0 }) }), 'n').type), 'Float!', 'unbounded: a Float')
  t.equal(String(outputField(Type.Object({ x: Type.Array(Type.Union([Type.Number(), Type.Null()])) }), 'x').type), '[Float]!', 'nullable items')
  t.equal(String(outputField(Type.Object({ x: Type.Union([Type.String(), Type.Null()]) }), 'x').type), 'String', 'a nullable field is nullable even when required')
  t.equal(String(outputField(Type.Object({ x: Type.Unknown(), y: Type.Object({}) }), 'x').type), 'JSON!', 'anything: JSON')
  t.equal(String(outputField(Type.Object({ y: Type.Object({}, { additionalProperties: true }) }), 'y').type), 'JSON!', 'an object without properties: JSON')
  t.equal(String(outputField(Type.Object({ p: Type.Union([Type.Integer(), Type.Array(Type.Integer())], { title: 'Pair' }) }), 'p').type), 'Pair!', 'a titled union: its scalar')
  t.equal(String(outputField(Type.Object({ p: Type.Union([Type.Union([Type.Number(), Type.Null()]), Type.Array(Type.Number())], { title: 'PerRow' }) }), 'p').type), 'PerRow', 'a scalar whose value may be null is nullable')
})

t.test('enums and strings from constants', async (t) => {
  const mode = inputField(Type.Object({ mode: Type.Union([Type.Literal('a'), Type.Literal('b')], { title: 'Mode', description: 'which' }) }), 'mode')
  const named = getNamedType(mode.type)
  t.ok(isEnumType(named) && named.name === 'Mode' && named.getValues().map((value) => value.name).join() === 'a,b', 'an enum named by its title')
  t.equal(String(inputField(Type.Object({ loss: Type.Union([Type.Literal('cross-entropy'), Type.Literal('mse')]) }), 'loss').type), 'String!', 'values that are not GraphQL names: String')
  t.equal(String(outputField(Type.Object({ units: Type.Literal('sigmoid') }), 'units').type), 'String!', 'one constant: its type')
})

t.test('objects: named by title (Input on the input side) or by their place', async (t) => {
  const body = Type.Object({
    point: Type.Object({ x: Type.Number() }, { title: 'Point' }),
    inner: Type.Object({ y: Type.Number() })
  })
  const schema = schemaOf(body, Type.Object({ point: Type.Object({ x: Type.Number() }, { title: 'Point' }) }))
  t.ok(isInputObjectType(schema.getType('PointInput')), 'an input object: its title + Input')
  t.ok(isObjectType(schema.getType('Point')), 'an output object: its title')
  t.ok(isInputObjectType(schema.getType('ToyInnerInput')), 'an untitled object: named by its place')
})

t.test('a discriminated oneOf becomes one object, the discriminator an enum', async (t) => {
  const branches = [
    Type.Object({ kind: Type.Literal('circle'), radius: Type.Number({ description: 'r' }), size: Type.Number({ description: 'diameter' }), label: Type.String({ description: 'name' }) }),
    Type.Object({ kind: Type.Literal('square'), side: Type.Number(), radius: Type.Number({ description: 'r' }), size: Type.Number({ description: 'side length' }), label: Type.String() })
  ]
  const shape = inputField(Type.Object({ shape: Type.Unsafe({ type: 'object', oneOf: branches, discriminator: { propertyName: 'kind' }, title: 'Shape' }) }), 'shape')
  const type = getNamedType(shape.type)
  t.ok(isInputObjectType(type) && type.name === 'ShapeInput')
  const fields = (type as ReturnType<typeof getNamedType> & { getFields: () => Record<string, GraphQLInputField> }).getFields()
  t.ok(isNonNullType(fields.kind.type) && String(fields.kind.type) === 'ShapeKind!', 'the discriminator: required, an enum')
  t.equal(fields.radius.description, 'circle, square: r', 'a field says which branches it belongs to')
  t.equal(fields.side.description, 'square only')
  t.equal(fields.size.description, 'circle: diameter; square: side length', 'and what it means in each, where they differ')
  t.equal(fields.label.description, 'circle: name; square: no description')
  t.equal(String(fields.side.type), 'Float', 'every other field optional')
})

t.test('mistakes in a schema stop generation with what to change', async (t) => {
  t.throws(() => schemaOf(Type.Object({ x: Type.Union([Type.Number(), Type.String()]) })), /ToyX: a union needs a title, the GraphQL enum or scalar it becomes/)
  t.throws(() => schemaOf(Type.Object({ x: Type.Union([Type.Number(), Type.String()], { title: 'NumberOrString' }) })), /the union titled NumberOrString is not one of the GraphQL scalars \(Pair, .*\); add it to SCALARS/)
  t.throws(() => schemaOf(Type.Object({ a: Type.Object({ x: Type.Number() }, { title: 'Same' }), b: Type.Object({ y: Type.Number() }, { title: 'Same' }) })), /two different schemas become the GraphQL type SameInput: give one of them another title/)
  t.throws(() => schemaOf(Type.Object({ a: Type.Unsafe({ type: 'object', oneOf: [Type.Object({ k: Type.Literal('a') })], title: 'A' }) })), /ToyA: a oneOf needs a discriminator/)
  t.throws(() => schemaOf(Type.Object({ 'not-a-name': Type.Number() })), /ToyInput.not-a-name is not a GraphQL name/)
  t.throws(() => schemaOf(Type.Object({ x: Type.Null() })), /ToyX: no GraphQL type for the schema \{"type":"null"\}/)
})
