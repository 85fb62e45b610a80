/**
 * The playground's example queries: a custom scalar's value in the query text, every other
 * field of the input in the variables, and the same answer as the example sent whole as one
 * variable `$input` (the REST body, as it is).
 */
import { buildSchema, getNamedType, type GraphQLObjectType } from 'graphql'
import t from 'tap'
import { schemaText } from '../../src/graphql/index.js'
import { operations } from '../../src/operations/index.js'
import type { Operation } from '../../src/operations/operation.js'
import { exampleQueries, fullSelection } from '../../src/playgrounds/examples.js'
import { build, post } from '../helpers/app.js'

t.test('every example answers as its input sent whole in a variable does', { timeout: 120_000 }, async (t) => {
  const app = await build(t)
  const sdl = schemaText(operations)
  const fields = buildSchema(sdl).getQueryType()!.getFields()
  const examples = exampleQueries(sdl, operations)
  t.equal(examples.length, operations.length)
  for (const example of examples) {
    const field = fields[example.name]
    const whole = `query ($input: ${String(field.args[0].type)}) { ${example.name}(input: $input) ${fullSelection(getNamedType(field.type) as GraphQLObjectType, '  ', ['svg'])} }`
    // As the page sends it, and as the REST body in one variable.
    const asShown = (await post(app, '/graphql', { query: example.query, variables: JSON.parse(example.variables) })).json()
    const operationExample = operations.find((candidate) => candidate.name === example.name)!.examples.find((candidate) => candidate.summary === example.title)!
    const asWhole = (await post(app, '/graphql', { query: whole, variables: { input: operationExample.value } })).json()
    t.notOk(asShown.errors, `${example.name}: no error`)
    t.strictSame(asShown, asWhole, `${example.name}: the same answer`)
  }
})

t.test('custom scalars\' values in the query, the rest in the variables', async (t) => {
  const sdl = `
    scalar Blob
    enum Kind { a b }
    input Inner { kind: Kind!, blob: Blob, n: Float }
    input ProbeInput { blob: Blob!, inner: Inner, plainItems: [Inner!], blobItems: [Inner], one: [Inner!], numbers: [Float!], none: Blob, odd: Blob, deep: [Inner!] }
    input EmptyInput { n: Float }
    type Answer { ok: Boolean, nested: Inside }
    type Inside { n: Float }
    type Query { probe(input: ProbeInput!): Answer!, empty(input: EmptyInput!): Answer! }
  `
  const value = {
    blob: [[0, -40], [1, 2]],
    inner: { kind: 'a', blob: { x: 'y' }, n: 1 },
    plainItems: [{ kind: 'b', n: 3 }],
    blobItems: [{ kind: 'b', blob: true }, null],
    one: { kind: 'a', blob: [1] },
    numbers: [1, 2],
    none: null,
    odd: { 'not a name': 1 },
    deep: [{ kind: 'a', blob: { 'w-1': 0 } }]
  }
  const operation = (name: string, example: unknown) => ({ name, summary: `${name}'s summary`, examples: [{ summary: 'the example', value: example }], cost: () => 0 }) as unknown as Operation
  const [probe, empty] = exampleQueries(sdl, [operation('probe', value), operation('empty', {})])
  t.equal(probe.query, `# probe's summary: the example
query Probe($plainItems: [Inner!], $numbers: [Float!], $none: Blob, $odd: Blob, $deep: [Inner!]) {
  probe(input: {
    blob: [[0, -40], [1, 2]]
    inner: {kind: a, blob: {x: "y"}, n: 1}
    plainItems: $plainItems
    blobItems: [{kind: b, blob: true}, null]
    one: {kind: a, blob: [1]}
    numbers: $numbers
    none: $none
    odd: $odd
    deep: $deep
  }) {
    ok
    nested {
      n
    }
  }
}
`, 'a custom scalar\'s value written, at any depth; no custom scalar\'s value (nor null), or no literal for it: a variable')
  t.strictSame(JSON.parse(probe.variables), { plainItems: value.plainItems, numbers: value.numbers, none: null, odd: value.odd, deep: value.deep })
  t.equal(empty.query, '# empty\'s summary: the example\nquery Empty {\n  empty(input: {}) {\n    ok\n    nested {\n      n\n    }\n  }\n}\n', 'an empty input: no variables')
  t.equal(empty.variables, '{}')
})
