/**
 * REST and GraphQL answer identically: each operation's cheap examples and edge cases
 * (test/helpers/bodies.ts) and reference cases from every fixture go through both doors,
 * and the GraphQL data (all fields selected) equals the REST JSON, with GraphQL's nulls for
 * absent optional fields; each rendering selected alone (`latex`, `svg`) equals what REST
 * sends for its Accept header, or fails with the same status.
 */
import t from 'tap'
import { RENDERING_FIELDS, selection, withoutAbsentNulls, withoutFields } from '../helpers/graphql.js'
import { buildSchema, getNamedType, type GraphQLObjectType } from 'graphql'
import { schemaText } from '../../src/graphql/index.js'
import { readProjectFile } from '../../src/project-file.js'
import { operations } from '../../src/operations/index.js'
import { RENDERING_TYPES, renderingsOf } from '../../src/renderings.js'
import { build, post } from '../helpers/app.js'
import { tableBodies } from '../helpers/bodies.js'
import { loadFixture } from '../helpers/fixtures.js'

const schema = buildSchema(schemaText(operations))

const fromFixture = (name: string, count: number, pick: (c: Record<string, unknown>) => unknown): unknown[] =>
  loadFixture<Record<string, unknown>>(name).cases.filter((_, i) => i % 13 === 0).slice(0, count).map(pick)

/** Reference cases from the fixtures, beside each operation's own bodies (test/helpers/bodies.ts). */
const FIXTURE_BODIES: Record<string, unknown[]> = {
  softmaxStable: fromFixture('softmax', 8, (c) => ({ x: c.x, temperature: c.temperature })),
  convMatrix: fromFixture('conv-matrix', 8, ({ input, kernel, stride, padding, dilation, transposed, outputPadding, x }) => ({ input, kernel, stride, padding, dilation, transposed, outputPadding, x, format: 'sparse' })),
  receptiveField: fromFixture('receptive-field', 8, ({ input, layers, pixel }) => ({ input, layers, pixel })),
  paramCount: fromFixture('param-count', 8, ({ sizes, bias, architecture, input }) => (sizes !== undefined ? { sizes, bias } : { architecture, input })),
  hvp: fromFixture('hvp', 12, ({ model, w, v }) => ({ model, w, v })),
  swish: fromFixture('swish', 8, ({ beta, interval }) => ({ beta, interval })),
  logisticMixture: fromFixture('logistic-mixture', 8, ({ pi, weights, x }) => ({ pi, weights, x }))
}

t.test('REST and GraphQL give the same answers', async (t) => {
  // Every operation sends one query with at least three inputs: the first through graphql-js,
  // the rest through the query graphql-jit compiled on the second run (jit: 1).
  const app = await build(t)
  for (const operation of operations) {
    const resultType = getNamedType(schema.getQueryType()!.getFields()[operation.name].type) as GraphQLObjectType
    const inputType = getNamedType(schema.getQueryType()!.getFields()[operation.name].args[0].type)
    const query = `query ($input: ${inputType.name}!) { ${operation.name}(input: $input) ${selection(resultType, RENDERING_FIELDS)} }`
    const bodies = [...tableBodies(operation), ...(FIXTURE_BODIES[operation.name] ?? [])]
    t.ok(bodies.length >= 3, `${operation.name}: ${bodies.length} bodies`)
    for (const body of bodies) {
      const rest = await post(app, operation.path, body)
      const graphql = await post(app, '/graphql', { query, variables: { input: body } })
      t.equal(rest.statusCode, 200, `REST ${operation.path}`)
      const { data, errors } = graphql.json()
      t.equal(errors, undefined, `GraphQL ${operation.name}: ${JSON.stringify(errors)}`)
      const expected = withoutFields(rest.json(), RENDERING_FIELDS)
      t.strictSame(withoutAbsentNulls(data[operation.name], expected), expected, `${operation.name} ${JSON.stringify(body).slice(0, 80)}`)
      for (const rendering of renderingsOf(operation)) {
        const negotiated = await post(app, operation.path, body, { accept: RENDERING_TYPES[rendering] })
        const selected = (await post(app, '/graphql', { query: `query ($input: ${inputType.name}!) { ${operation.name}(input: $input) { ${rendering} } }`, variables: { input: body } })).json()
        const what = `${operation.name} ${rendering} ${JSON.stringify(body).slice(0, 60)}`
        if (negotiated.statusCode === 200) t.equal(selected.data?.[operation.name]?.[rendering], negotiated.body, what)
        else t.equal(selected.errors?.[0]?.extensions?.statusCode, negotiated.statusCode, `${what}: ${negotiated.json().message as string}`)
      }
    }
  }
})

t.test('errors carry the REST status and the same message', async (t) => {
  const app = await build(t, { limits: { softmaxMaxEntries: 2, cornerMaxEpochs: 5 } })
  const cases: Array<[string, string, unknown, number, string]> = [
    ['/softmax-stable', 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { max } }', { x: ['NaN'] }, 400, 'FST_ERR_VALIDATION'],
    ['/softmax-stable', 'query ($input: SoftmaxStableInput!) { softmaxStable(input: $input) { max } }', { x: [1, 2, 3] }, 413, 'DLCHECK_LIMIT'],
    ['/conv-matrix', 'query ($input: ConvMatrixInput!) { convMatrix(input: $input) { shape } }', { input: 2, kernelSize: 5 }, 422, 'DLCHECK_IMPOSSIBLE'],
    ['/receptive-field', 'query ($input: ReceptiveFieldInput!) { receptiveField(input: $input) { jump } }', { architecture: 'Conv-3x3 → Rleu' }, 400, 'DLCHECK_SYNTAX'],
    ['/param-count', 'query ($input: ParamCountInput!) { paramCount(input: $input) { total } }', { sizes: [3, -1] }, 400, 'FST_ERR_VALIDATION'],
    ['/hvp', 'query ($input: HvpInput!) { hvp(input: $input) { hv } }', { model: { kind: 'quadratic', A: [[1]] }, w: [1, 2], v: [1] }, 422, 'DLCHECK_IMPOSSIBLE'],
    ['/swish', 'query ($input: SwishInput!) { swish(input: $input) { distanceToRelu } }', { beta: 0 }, 400, 'FST_ERR_VALIDATION'],
    ['/relu-decomposition', 'query ($input: ReluDecompositionInput!) { reluDecomposition(input: $input) { constant } }', { breakpoints: [1, 1], slopes: [0, 1, 2] }, 422, 'DLCHECK_IMPOSSIBLE'],
    ['/logistic-mixture', 'query ($input: LogisticMixtureInput!) { logisticMixture(input: $input) { probability } }', { pi: [0.5, 0.6], weights: [[1], [2]], x: [1] }, 422, 'DLCHECK_IMPOSSIBLE'],
    ['/corner-experiment', 'query ($input: CornerExperimentInput!) { cornerExperiment(input: $input) { summary } }', { residual: true, epochs: 6 }, 413, 'DLCHECK_LIMIT']
  ]
  for (const [path, query, input, statusCode, code] of cases) {
    const rest = (await post(app, path, input)).json()
    // Three times: Mercurius compiles a query with graphql-jit on its second run (jit: 1), so
    // the third goes through the compiled code; its errors must be the same.
    for (const run of [1, 2, 3]) {
      const [error] = (await post(app, '/graphql', { query, variables: { input } })).json().errors
      t.match(error.extensions, { statusCode, code }, `${path} ${JSON.stringify(input)}, run ${run}`)
      t.equal(error.message, rest.message.replace(/^body\//, 'input/').replace(/\(body\//g, '(input/'), 'the same message, rooted at input/')
    }
  }
})

t.test('an internal error is masked', async (t) => {
  const lines: string[] = []
  const app = await build(t, { logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } } })
  // A body the schema accepts but whose run throws a plain Error: an MLP with a getter trap is
  // not expressible in JSON, so break the operation itself for this test.
  const operation = operations.find((op) => op.name === 'paramCount')!
  const run = operation.run
  t.teardown(() => { operation.run = run })
  operation.run = () => { throw new Error('secret internal detail') }
  const response = (await post(app, '/graphql', { query: '{ paramCount(input: {sizes: [1, 2]}) { total } }' })).json()
  t.match(response.errors[0], { message: 'the server could not compute this answer; the error has been logged', extensions: { code: 'DLCHECK_INTERNAL', statusCode: 500 } })
  t.notMatch(JSON.stringify(response), /secret/)
  t.match(lines.join(''), /secret internal detail/)
})

t.test('a project file is found from src/ and from a compiled src/, or the start fails clearly', async (t) => {
  t.match(readProjectFile('README.md'), /# dlcheck/)
  // src/ is one folder below the root, dist/src/ or build/src/ two: whichever this run uses comes second.
  t.match(readProjectFile('README.md', ['../../../nowhere/', '../', '../../']), /# dlcheck/, 'a later root')
  t.throws(() => readProjectFile('README.md', ['../nowhere/']), /README.md not found \(looked in \.\.\/nowhere\/ from src\/\)/)
})

t.test('scalars written inline in the document mean what they mean in variables', async (t) => {
  const app = await build(t)
  const inline = await post(app, '/graphql', { query: '{ convMatrix(input: {input: [2, 3], kernelSize: 2, stride: [1, 2]}) { outputShape shape } softmaxStable(input: {x: [[1, 2], [3]]}) { argmax } }' })
  t.strictSame(inline.json(), { data: { convMatrix: { outputShape: [1, 1], shape: [1, 6] }, softmaxStable: { argmax: [1, 0] } } })
})
