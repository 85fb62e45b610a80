import t from 'tap'
import { activate, erf, erfc, sigmoid, softplus, type Activation } from '../../src/math/activations.js'
import { loadFixture } from '../helpers/fixtures.js'
import { closeness } from '../helpers/numeric.js'

interface SpecialCase { name: string, t: number, erf: number, erfc: number, gelu: number, geluPrime: number, geluSecond: number, softplus: number, sigmoid: number }

const fixture = loadFixture<SpecialCase>('special-functions')

t.test('erf, erfc, σ, softplus and GELU with its derivatives against mpmath (200 bits)', async (t) => {
  t.ok(fixture.cases.length >= 100)
  const evaluate = (activation: Activation, x: number) => {
    const [value, first, second] = [new Float64Array(1), new Float64Array(1), new Float64Array(1)]
    activate(activation, Float64Array.of(x), value, first, second)
    return [value[0], first[0], second[0]]
  }
  for (const c of fixture.cases) {
    const [gelu, geluPrime, geluSecond] = evaluate('gelu', c.t)
    // Relative 1e-13, with an absolute floor of 1e-16 where the value is a difference of
    // O(1) terms near a zero (gelu′ near −0.75, gelu″ near ±√2) or subnormal (erfc beyond 26).
    const misses = [
      ['erf', closeness(erf(c.t), c.erf, { rel: 1e-13, abs: 1e-300 })],
      ['erfc', closeness(erfc(c.t), c.erfc, { rel: 1e-13, abs: 1e-300 })],
      ['sigmoid', closeness(sigmoid(c.t), c.sigmoid, { rel: 1e-15, abs: 1e-300 })],
      ['softplus', closeness(softplus(c.t), c.softplus, { rel: 1e-15, abs: 1e-300 })],
      ['gelu', closeness(gelu, c.gelu, { rel: 1e-13, abs: 1e-300 })],
      ['geluPrime', closeness(geluPrime, c.geluPrime, { rel: 1e-13, abs: 1e-16 })],
      ['geluSecond', closeness(geluSecond, c.geluSecond, { rel: 1e-13, abs: 1e-16 })]
    ].filter(([, miss]) => miss !== null)
    t.strictSame(misses, [], c.name)
  }
})

t.test('activation derivatives at the kinks, as PyTorch', async (t) => {
  const at = (activation: Activation, x: number) => {
    const [value, first, second] = [new Float64Array(1), new Float64Array(1), new Float64Array(1)]
    activate(activation, Float64Array.of(x), value, first, second)
    return [value[0], first[0], second[0]]
  }
  t.strictSame(at('relu', 0), [0, 0, 0], 'relu′(0) = 0')
  t.strictSame(at('relu', 2), [2, 1, 0])
  t.strictSame(at('sigmoid', 0), [0.5, 0.25, 0])
  t.strictSame(at('tanh', 0), [0, 1, -0])
  t.strictSame(at('softplus', 0), [Math.LN2, 0.5, 0.25])
  t.strictSame(at('swish', 0), [0, 0.5, 0.5])
  t.strictSame(at('gelu', 0), [0, 0.5, 2 * 0.3989422804014327])
  t.equal(sigmoid(-800), 0)
  t.equal(softplus(800), 800)
  t.equal(erfc(30), 0, 'below the smallest subnormal')
})
