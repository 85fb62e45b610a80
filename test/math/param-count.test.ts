import t from 'tap'
import { parseArchitecture } from '../../src/math/architecture.js'
import { architectureParameterCount, hessianSize, mlpParameterCount } from '../../src/math/param-count.js'
import { loadFixture } from '../helpers/fixtures.js'

interface LayerCount { weights: number, biases: number, params: number, outputShape?: number[] }
interface ParamCase {
  name: string
  sizes?: number[]
  bias?: boolean
  architecture?: string
  input?: [number, number, number]
  expected: { total: number, layers: LayerCount[] }
}

t.test('matches torch.nn parameter counts', async (t) => {
  const fixture = loadFixture<ParamCase>('param-count')
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  for (const c of fixture.cases) {
    const count = c.sizes !== undefined
      ? mlpParameterCount(c.sizes, c.bias)
      : architectureParameterCount(parseArchitecture(c.architecture!), c.input!)
    const layers = count.layers.map(({ weights, biases, params, outputShape }) =>
      (c.sizes !== undefined ? { weights, biases, params } : { weights, biases, params, outputShape }))
    t.strictSame({ total: count.total, layers }, c.expected, `${c.name}: ${c.architecture ?? JSON.stringify(c.sizes)}`)
  }
})

t.test('question 3.2: 32 → 512 → 512 → 10 with biases', async (t) => {
  const count = mlpParameterCount([32, 512, 512, 10])
  t.equal(count.total, 284682, '(32·512 + 512) + (512·512 + 512) + (512·10 + 10)')
  t.strictSame(count.layers.map((layer) => layer.name), ['Linear(32 → 512)', 'Linear(512 → 512)', 'Linear(512 → 10)'])
  t.equal(mlpParameterCount([32, 512, 512, 10], false).total, 283648, 'without biases: 16384 + 262144 + 5120')
  const hessian = hessianSize(count.total)
  t.strictSame(hessian, {
    shape: [284682, 284682],
    entries: 81043841124,
    unique: 40522062903,
    bytesFloat32: 324175364496,
    bytesFloat64: 648350728992,
    entriesExact: '81043841124',
    uniqueExact: '40522062903'
  })
})

t.test('the Hessian beyond the safe-integer range', async (t) => {
  const hessian = hessianSize(123456789)
  t.equal(hessian.entriesExact, '15241578750190521', 'n² = 15241578750190521 exactly')
  t.equal(hessian.entries, 15241578750190520, 'the double is the nearest representable value')
  t.equal(hessian.uniqueExact, '7620789436823655')
})

t.test('architecture rules', async (t) => {
  t.equal(architectureParameterCount(parseArchitecture('Conv-3x3(out=16) → FC-10'), [1, 5, 5]).total, 1610, 'JSDoc example')
  t.strictSame(architectureParameterCount(parseArchitecture('Flatten → FC-2(bias=false)'), [2, 3, 3]).layers.map((l) => [l.params, l.outputShape]), [[0, [18, 1, 1]], [36, [2, 1, 1]]])
  t.throws(() => architectureParameterCount(parseArchitecture('Conv-3x3'), [3, 8, 8]), /Conv-3x3: counting parameters needs the output channels, as in Conv-3x3\(out=16\)/)
  t.throws(() => architectureParameterCount(parseArchitecture('FC-1000000'), [65536, 65536, 65536]), /exceeds 2\^53 − 1/, '2^48 features × 10^6 outputs')
})
