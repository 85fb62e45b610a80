import fc from 'fast-check'
import t from 'tap'
import { sigmoid } from '../../src/math/activations.js'
import { compensatedSum, dotDoubleDouble, exactProduct, sigmoidDoubleDouble } from '../../src/math/compensated.js'
import { ImpossibleInputError } from '../../src/math/errors.js'
import { logisticMixture, PROBABILITY_SUM_TOLERANCE } from '../../src/math/logistic-mixture.js'
import { epsilons, errorInEpsilons } from '../helpers/epsilons.js'
import { loadFixture } from '../helpers/fixtures.js'
import { closeness } from '../helpers/numeric.js'

interface MixtureCase {
  name: string
  pi: number[]
  weights: number[][]
  x: number[] | number[][]
  expected: { probability: number | number[] }
}

// Measured: ≤ 1.6 ε·|expected|.
const TOLERANCE = epsilons(4)

t.test('JSDoc examples', async (t) => {
  t.equal(logisticMixture([0.5, 0.5], [[1, 0], [0, 1]], [0, 0]).probability, 0.5)
  t.equal(logisticMixture([0.25, 0.75], [[2, -1], [0.5, 0.5]], [1, 3]).probability, 0.7278331638259106)
  t.equal(logisticMixture([1], [[1]], [-800]).probability, 0)
  t.strictSame(exactProduct(1 + 2 ** -30, 1 + 2 ** -30), { hi: 1 + 2 ** -29, lo: 2 ** -60 })
  t.strictSame(dotDoubleDouble([1e16, 1, -1e16], [1, 1, 1]), { hi: 1, lo: 0 })
  t.equal(sigmoidDoubleDouble({ hi: 0, lo: 0 }), 0.5)
  t.equal(compensatedSum([1, 1e100, 1, -1e100]), 2)
})

t.test('agrees with mpmath (exact dot products) on every reference case', async (t) => {
  const fixture = loadFixture<MixtureCase>('logistic-mixture')
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  let worst = 0
  for (const c of fixture.cases) {
    const { probability } = logisticMixture(c.pi, c.weights, c.x)
    const actual = Array.isArray(probability) ? probability : [probability]
    const expected = Array.isArray(c.expected.probability) ? c.expected.probability : [c.expected.probability]
    t.equal(Array.isArray(probability), Array.isArray(c.x[0]), 'an array exactly for N inputs')
    const misses: string[] = []
    expected.forEach((e, n) => {
      const miss = closeness(actual[n], e, TOLERANCE)
      if (miss !== null) misses.push(`probability[${n}]: ${miss}`)
      worst = Math.max(worst, errorInEpsilons(actual[n], e))
    })
    t.strictSame(misses, [], `${c.name}: x = ${JSON.stringify(c.x).slice(0, 100)}`)
  }
  t.comment(`largest error: ${worst.toFixed(2)} ε·|expected|`)
})

t.test('the network of question 2', async (t) => {
  const weights = [[1, -1], [0.5, 2], [-3, 0.25]]
  const result = logisticMixture([0.2, 0.5, 0.3], weights, [[0, 0], [1, 2]])
  t.strictSame(result.network, {
    input: { size: 2 },
    hidden: { units: 3, activation: 'sigmoid', bias: false, weights },
    output: { units: 1, activation: 'identity', bias: false, weights: [0.2, 0.5, 0.3] },
    formula: 'p(y = 1 | x) = Σ_{k=1}^{3} π_k·σ(w_kᵀx) = 0.2·σ(w_1ᵀx) + 0.5·σ(w_2ᵀx) + 0.3·σ(w_3ᵀx), x ∈ ℝ^2'
  })
  t.not(result.network.hidden.weights, weights, 'copies, not the caller\'s arrays')
  t.not(result.network.hidden.weights[0], weights[0])
  const nine = Array.from({ length: 9 }, () => 1 / 9)
  t.equal(logisticMixture(nine, nine.map(() => [1]), [0]).network.formula, 'p(y = 1 | x) = Σ_{k=1}^{9} π_k·σ(w_kᵀx), x ∈ ℝ^1', 'only the sum beyond 8 components')
  t.equal(logisticMixture([1], [[0, 0]], [3, 4]).probability, 0.5, 'a zero weight vector gives σ(0)')
})

t.test('properties', async (t) => {
  const dimension = fc.integer({ min: 1, max: 6 })
  const mixture = dimension.chain((d) => fc.record({
    raw: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }).filter((r) => r.some((v) => v > 0.01)),
    weights: fc.array(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: d, maxLength: d }), { minLength: 5, maxLength: 5 }),
    x: fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: d, maxLength: d })
  }))
  t.test('a convex combination of σ_k: between the smallest and the largest, equal to the plain formula', async (t) => {
    fc.assert(fc.property(mixture, ({ raw, weights, x }) => {
      const sum = raw.reduce((a, b) => a + b, 0)
      const pi = raw.map((v) => v / sum)
      const w = weights.slice(0, pi.length)
      const p = logisticMixture(pi, w, x).probability as number
      const sigmas = w.map((row) => sigmoid(row.reduce((a, v, i) => a + v * x[i], 0)))
      const naive = pi.reduce((a, pk, k) => a + pk * sigmas[k], 0)
      const active = sigmas.filter((_, k) => pi[k] > 0)
      return p >= Math.min(...active) * (1 - 1e-12) && p <= Math.max(...active) * (1 + 1e-12) &&
        Math.abs(p - naive) <= 1e-12 * naive + 1e-300
    }))
    t.pass('checked by fast-check')
  })
  t.test('N inputs give the N single answers', async (t) => {
    fc.assert(fc.property(mixture, fc.integer({ min: 1, max: 4 }), ({ raw, weights, x }, n) => {
      const sum = raw.reduce((a, b) => a + b, 0)
      const pi = raw.map((v) => v / sum)
      const w = weights.slice(0, pi.length)
      const rows = Array.from({ length: n }, (_, r) => x.map((v) => v * (r + 1) / n))
      const batch = logisticMixture(pi, w, rows).probability as number[]
      return batch.every((p, r) => p === logisticMixture(pi, w, rows[r]).probability)
    }))
    t.pass('checked by fast-check')
  })
})

t.test('extreme magnitudes never give NaN', async (t) => {
  t.equal(logisticMixture([0.5, 0.5], [[1e200, -1e200], [1e200, 1e200]], [1e200, 1e200]).probability, 0.75, 'σ(0)/2 + σ(+∞)/2: products overflow, the dot product does not')
  t.equal(logisticMixture([1], [[1.7e308, 1.7e308]], [1.7e308, -1.7e308]).probability, 0.5)
  t.equal(logisticMixture([1], [[1e-320, 1e-320]], [1e-320, 1e-320]).probability, 0.5, 'a dot product below the subnormals')
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true })
  fc.assert(fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 4 }), (pairs) => {
    const p = logisticMixture([1], [pairs.map(([w]) => w)], pairs.map(([, x]) => x)).probability as number
    return p >= 0 && p <= 1
  }))
})

t.test('impossible inputs are 422 with the numbers', async (t) => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => logisticMixture([], [], [1]), /pi must have at least one entry/],
    [() => logisticMixture([0.5, -0.1, 0.6], [[1], [1], [1]], [1]), /pi\[1\] must be a probability \(finite and ≥ 0\), got -0.1/],
    [() => logisticMixture([Number.NaN, 1], [[1], [1]], [1]), /pi\[0\] .*got NaN/],
    [() => logisticMixture([Infinity], [[1]], [1]), /pi\[0\] .*got Infinity/],
    [() => logisticMixture([0.5, 0.4], [[1], [1]], [1]), /pi must sum to 1 \(\|Σπ − 1\| ≤ 1e-9\), got Σπ = 0.9/],
    [() => logisticMixture([0.5, 0.5], [[1]], [1]), /weights has 1 rows but pi has 2 entries/],
    [() => logisticMixture([1], [[1]], []), /x must have at least one feature \(d ≥ 1\)/],
    [() => logisticMixture([1], [[1, 2]], [[1, 2], [3]]), /x\[1\] has 1 entries; x\[0\] has 2/],
    [() => logisticMixture([1], [[1, 2]], [1, Infinity]), /x\[1\] must be finite, got Infinity/],
    [() => logisticMixture([1], [[1, 2]], [[1, 2], [Number.NaN, 0]]), /x\[1\]\[0\] must be finite, got NaN/],
    [() => logisticMixture([0.5, 0.5], [[1, 2], [3]], [1, 2]), /weights\[1\] has 1 entries; x has 2 features/],
    [() => logisticMixture([1], [[-Infinity, 2]], [1, 2]), /weights\[0\]\[0\] must be finite, got -Infinity/]
  ]
  for (const [call, message] of cases) {
    t.throws(call, message)
    try { call() } catch (error) {
      t.ok(error instanceof ImpossibleInputError)
      t.equal((error as ImpossibleInputError).statusCode, 422)
    }
  }
  t.equal(PROBABILITY_SUM_TOLERANCE, 1e-9)
  t.equal(logisticMixture([0.3333333333, 0.3333333333, 0.3333333334], [[1], [2], [3]], [0]).probability, 0.5, 'π typed with 10 digits is accepted')
})
