/**
 * JSON values as GraphQL literals: each one printed, parsed back by graphql-js (`parseValue`)
 * and read as the JSON scalars' parseLiteral reads it (`valueFromASTUntyped`), to the same value.
 */
import { buildSchema, parseValue, print, valueFromASTUntyped, type GraphQLInputObjectType } from 'graphql'
import t from 'tap'
import { inputValueNode, jsonValueNode } from '../../src/playgrounds/literal.js'

/** The literal's text, and what the server reads from it. */
function roundTrip (value: unknown): { text: string, back: unknown } {
  const node = jsonValueNode(value)
  if (node === undefined) throw new Error(`no literal for ${JSON.stringify(value)}`)
  const text = print(node)
  // structuredClone: valueFromASTUntyped builds its objects without a prototype
  // (graphql/jsutils/keyValMap.js), which strictSame tells from a JSON object.
  return { text, back: structuredClone(valueFromASTUntyped(parseValue(text))) }
}

t.test('JSON values round-trip through their GraphQL literal', async (t) => {
  const values: unknown[] = [
    null, true, false,
    0, -0, 7, -40, 0.1, -2.5, 1e21, -1e21, 1.5e300, 1e-7, -3e-9, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, Number.MAX_VALUE,
    '', 'plain', 'say "hi"', 'back\\slash \\" \\u0041', 'line\nbreak\ttab\r\b\f', '\u0000\u0001\u001f\u007f\u0085', 'é ∑ w_{i,j} σ(βx) 😀',
    [], [1, -2, 3.5], [[0, -40], [1e-300, 2]], [[['w_{0,0}', '0'], [null, true]], []],
    {}, { a: 1, _b: [{ c: 'd', e: null }], F9: { g: { h: [[1, 2]] } } }
  ]
  for (const value of values) {
    const { text, back } = roundTrip(value)
    t.strictSame(back, value, `${JSON.stringify(value)} as ${text}`)
  }
  // Apart, since TAP would take these in a test's name for line breaks (JSON leaves them as they are).
  t.equal(roundTrip('a\u2028b\u2029c').back, 'a\u2028b\u2029c', 'U+2028 and U+2029 (line and paragraph separators)')
  // Object.is tells what strictSame does not: the exact double, and the sign of zero.
  for (const number of [0.1 + 0.2, 1 / 3, -Math.PI, 123456789.12345679, 2 ** -1074]) t.ok(Object.is(roundTrip(number).back, number), `${number} exactly`)
  t.ok(Object.is(roundTrip(-0).back, 0), '-0 as JSON writes it, 0')
})

t.test('the literals are GraphQL\'s own forms', async (t) => {
  t.equal(roundTrip([[0, -40], [1, 2]]).text, '[[0, -40], [1, 2]]')
  t.equal(roundTrip({ a: [1, 'x'], b: { c: null } }).text, '{a: [1, "x"], b: {c: null}}')
  t.equal(roundTrip(1e21).text, '1e+21', 'an integer written with an exponent')
  t.equal(jsonValueNode(1e21)?.kind, 'FloatValue', 'is a Float: valueFromASTUntyped reads an Int with parseInt, 1e+21 as 1')
  t.equal(jsonValueNode(-40)?.kind, 'IntValue')
  t.equal(jsonValueNode(2.5)?.kind, 'FloatValue')
  t.equal(roundTrip('say "hi" \\ \n').text, '"say \\"hi\\" \\\\ \\n"', 'quotes, backslashes and line breaks escaped')
  t.equal(roundTrip('é😀').text, '"é😀"', 'other characters as they are')
})

t.test('what no literal can say', async (t) => {
  const unwritable: Array<[unknown, string]> = [
    [{ 'not a name': 1 }, 'a key that is not a GraphQL name'],
    [{ 3.2: 1 }, 'a key that starts with a digit'],
    [[1, { a: { 'w-1': 0 } }], 'such a key deep inside'],
    [[1, Number.NaN], 'NaN'],
    [{ a: Infinity }, 'Infinity'],
    ['\ud800', 'a lone surrogate (graphql-js refuses it)'],
    [['x\udc00'], 'a lone trailing surrogate in a list'],
    [undefined, 'undefined'],
    [() => 1, 'a function'],
    [10n, 'a BigInt']
  ]
  for (const [value, why] of unwritable) t.equal(jsonValueNode(value), undefined, why)
  t.throws(() => parseValue('"\ud800"'), /Invalid character within String/, 'graphql-js refuses a lone surrogate')
})

t.test('a value of an input type, by its type', async (t) => {
  const schema = buildSchema(`
    scalar Blob
    enum Kind { a b }
    input Inner { kind: Kind!, blob: Blob, n: Float, tags: [String!] }
    input Outer { inner: Inner!, list: [Inner], one: [Inner!], blob: Blob }
    type Query { probe(input: Outer!): Boolean }
  `)
  const outer = schema.getType('Outer') as GraphQLInputObjectType
  const write = (value: unknown) => {
    const node = inputValueNode(value, outer)
    return node && print(node)
  }
  t.equal(
    write({ inner: { kind: 'a', blob: { x: [1, 'y'] }, n: 2.5, tags: 'solo' }, list: [{ kind: 'b' }, null], one: { kind: 'a' }, blob: null }),
    '{inner: {kind: a, blob: {x: [1, "y"]}, n: 2.5, tags: "solo"}, list: [{kind: b}, null], one: {kind: a}, blob: null}',
    'an enum bare, a custom scalar as JSON, a single value where a list is expected as it is, null'
  )
  t.equal(write({ inner: { kind: 'a', blob: { 'x-y': 1 } } }), undefined, 'nothing when a value inside has no literal')
  t.equal(write({ inner: { kind: 'a' }, list: [{ kind: 'a', blob: [Number.NaN] }] }), undefined, 'nor when an item of a list has none')
})
