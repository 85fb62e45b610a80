import t from 'tap'
import { InvalidRequestError } from '../../src/math/errors.js'
import { hvpOperation } from '../../src/operations/hvp.js'
import { paramCountOperation } from '../../src/operations/param-count.js'
import { decodeParameterVectors, float64Values } from '../../src/operations/parameter-vector.js'
import type { Operation } from '../../src/operations/operation.js'
import { build, post } from '../helpers/app.js'

/** Base64 of the doubles, little-endian, as NumPy's base64.b64encode(x.astype('<f8').tobytes()) writes it. */
const encode = (values: number[]): string => {
  const bytes = Buffer.alloc(8 * values.length)
  values.forEach((x, i) => bytes.writeDoubleLE(x, 8 * i))
  return bytes.toString('base64')
}

t.test('float64Values reads little-endian doubles on either byte order, exactly', async (t) => {
  const values = [0, -0, 1.5, -0.1, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** -1074 * 3, Math.PI]
  for (const littleEndian of [true, false]) {
    const decoded = float64Values(encode(values), 'w', littleEndian)
    t.ok(decoded instanceof Float64Array)
    t.ok(values.every((x, i) => Object.is(decoded[i], x)), `littleEndian = ${littleEndian}: the same bits`)
  }
  // NumPy 2.4: base64.b64encode(np.array([1.5, -0.7], '<f8').tobytes())
  t.strictSame(Array.from(float64Values('AAAAAAAA+D9mZmZmZmbmvw==', 'w')), [1.5, -0.7], 'NumPy\'s encoding')
  t.strictSame(Array.from(float64Values('', 'w')), [], 'no doubles')
})

t.test('float64Values refuses what is not canonical base64 of finite doubles, naming the field', async (t) => {
  const notBase64 = /^v\.float64 is not base64 \(RFC 4648 §4/
  for (const text of ['AAA', 'AAAAAAAA+D9mZmZmZmbmvw=', 'AAAAAAAA+D9mZmZmZmbmvw', 'AAAAAAAA-D9mZmZmZmbmvw==', 'AAAAAAAA_D9mZmZmZmbmvw==', 'AAAA AAAA+D9mZmZmZmbm', 'AAAAAAAA+D9m\nZmZmZmbmvw==', 'AAAAAAAA+D9mZmZmZmbmvx==', '====']) {
    t.throws(() => float64Values(text, 'v'), notBase64, JSON.stringify(text))
  }
  t.throws(() => float64Values('AAAA', 'v'), new InvalidRequestError('v.float64 holds 3 bytes, not a whole number of doubles (8 bytes each, IEEE 754 binary64, little-endian)'))
  for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    t.throws(() => float64Values(encode([1, 2, bad]), 'w'), new InvalidRequestError(`w.float64: entry 2 is ${shown}; every entry must be finite, as JSON numbers are`))
  }
})

t.test('decodeParameterVectors replaces the binary vectors of an input and nothing else', async (t) => {
  const arrays = { model: { kind: 'quadratic', A: [[1]] }, w: [1], v: [2] }
  t.equal(decodeParameterVectors(hvpOperation as unknown as Operation, arrays), arrays, 'arrays: the input itself')
  const mixed = { model: arrays.model, w: { float64: encode([1]) }, v: [2] }
  const decoded = decodeParameterVectors(hvpOperation as unknown as Operation, mixed) as { w: Float64Array, v: number[], model: unknown }
  t.not(decoded, mixed, 'a copy')
  t.strictSame(mixed.w, { float64: encode([1]) }, 'the input is left as it was')
  t.strictSame(Array.from(decoded.w), [1])
  t.equal(decoded.v, mixed.v)
  t.equal(decoded.model, mixed.model)
  const both = decodeParameterVectors(hvpOperation as unknown as Operation, { ...mixed, v: { float64: encode([2]) } }) as { w: Float64Array, v: Float64Array }
  t.strictSame([Array.from(both.w), Array.from(both.v)], [[1], [2]])
  const other = { sizes: [2, 3] }
  t.equal(decodeParameterVectors(paramCountOperation as unknown as Operation, other), other, 'an operation without parameter vectors')
})

t.test('REST takes either form and answers the same; GraphQL takes lists', async (t) => {
  const model = { kind: 'expression', expression: 'x^2*y + sin(x*y)', variables: ['x', 'y'] }
  const expected = await post(await build(t), '/hvp', { model, w: [1.5, -0.7], v: [0.3, 2] })
  t.equal(expected.statusCode, 200)
  // Inline, in a worker from a parsed body, and in a worker from the bytes (a body over WORKER_BODY_BYTES).
  for (const runtime of [{}, { workers: 1, inlineCostLimit: 0 }, { workers: 1, workerBodyBytes: 16 }]) {
    const app = await build(t, { runtime })
    const binary = await post(app, '/hvp', { model, w: { float64: encode([1.5, -0.7]) }, v: { float64: encode([0.3, 2]) } })
    t.equal(binary.statusCode, 200, JSON.stringify(runtime))
    t.strictSame(binary.json(), expected.json(), `the same answer, ${JSON.stringify(runtime)}`)
    // GraphQL keeps [Float!] (sized for exploration): the list form only.
    const graphql = async (w: unknown): Promise<Awaited<ReturnType<typeof post>>> => await post(app, '/graphql', {
      query: 'query ($w: [Float!]!) { hvp(input: {model: {kind: expression, expression: "x^2*y + sin(x*y)", variables: ["x", "y"]}, w: $w, v: [0.3, 2]}) { hv value gradient method } }',
      variables: { w }
    })
    t.strictSame((await graphql([1.5, -0.7])).json().data.hvp, expected.json(), `GraphQL, ${JSON.stringify(runtime)}`)
    // (400 from Mercurius' check of the variables, or 200 on the run where it compiles the
    // text and checks nothing, as for any variables: its own behaviour.)
    const refused = await graphql({ float64: encode([1.5, -0.7]) })
    t.match(refused.json(), { data: null, errors: [{ message: /^Variable "\$w" got invalid value/ }] }, 'GraphQL refuses the binary form')
    const broken = await post(app, '/newton-step', { model, w: { float64: 'AAAA' } })
    t.equal(broken.statusCode, 400)
    t.equal(broken.json().message, 'w.float64 holds 3 bytes, not a whole number of doubles (8 bytes each, IEEE 754 binary64, little-endian)')
    const spectrum = await post(app, '/hessian-spectrum', { model, w: { float64: encode([1.5, Number.NaN]) } })
    t.equal(spectrum.statusCode, 400)
    t.equal(spectrum.json().message, 'w.float64: entry 1 is NaN; every entry must be finite, as JSON numbers are')
  }
  const app = await build(t)
  const unknown = await post(app, '/hvp', { model, w: { float64: encode([1, 2]), dtype: 'float32' }, v: [1, 0] })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().message, /body\/w/)
})
