import fc from 'fast-check'
import t from 'tap'
import { ImpossibleInputError } from '../../src/math/errors.js'
import { evaluatePiecewiseLinear, evaluateReluDecomposition, reluDecomposition, type PiecewiseLinear } from '../../src/math/relu-decomposition.js'

const question = { breakpoints: [-1, 2], slopes: [-2, 0, 3] }

t.test('JSDoc examples', async (t) => {
  t.equal(reluDecomposition(question).formula, '2·ReLU(-1 − x) + 3·ReLU(x − 2) + 0')
  t.equal(reluDecomposition({ breakpoints: [0], slopes: [0, 1] }).formula, 'ReLU(x) + 0')
  t.equal(reluDecomposition({ breakpoints: [0, 1], slopes: [0, 1, 0], at: { x: 5, y: -1 } }).formula, 'ReLU(x) − ReLU(x − 1) − 2')
  t.equal(evaluateReluDecomposition(reluDecomposition(question), 4), 6)
  t.equal(evaluatePiecewiseLinear(question, -3), 4)
})

t.test('question 1.2: slopes −b, 0, a give exactly b·ReLU(β − x) + a·ReLU(x − α) + c', async (t) => {
  fc.assert(fc.property(
    fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
    fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 1e-3, max: 100, noNaN: true }),
    (a, b, beta, width) => {
      const alpha = beta + width
      if (!(alpha > beta)) return true
      const result = reluDecomposition({ breakpoints: [beta, alpha], slopes: [-b, 0, a] })
      return result.constant === 0 && result.terms.length === 2 &&
        result.terms[0].coefficient === b && result.terms[0].shift === beta && result.terms[0].reflected &&
        result.terms[1].coefficient === a && result.terms[1].shift === alpha && !result.terms[1].reflected
    }))
  const result = reluDecomposition({ breakpoints: [-1, 2], slopes: [-2, 0, 3] })
  t.strictSame(result, {
    terms: [{ coefficient: 2, shift: -1, reflected: true }, { coefficient: 3, shift: 2, reflected: false }],
    constant: 0,
    formula: '2·ReLU(-1 − x) + 3·ReLU(x − 2) + 0',
    latex: '2 \\cdot \\operatorname{ReLU}(-1 - x) + 3 \\cdot \\operatorname{ReLU}(x - 2) + 0'
  })
})

t.test('rendering', async (t) => {
  const render = (f: PiecewiseLinear): [string, string] => {
    const { formula, latex } = reluDecomposition(f)
    return [formula, latex]
  }
  t.strictSame(render({ breakpoints: [0], slopes: [-1, 0] }), ['ReLU(−x) + 0', '\\operatorname{ReLU}(-x) + 0'], 'reflected at 0, 1· omitted')
  t.strictSame(render({ breakpoints: [0], slopes: [1, 0] }), ['−ReLU(−x) + 0', '-\\operatorname{ReLU}(-x) + 0'], 'a leading minus')
  t.strictSame(render({ breakpoints: [-1.5], slopes: [0, -2.5], at: { x: 0, y: 1 } }),
    ['−2.5·ReLU(x + 1.5) + 4.75', '-2.5 \\cdot \\operatorname{ReLU}(x + 1.5) + 4.75'],
    'a negative shift is written x + 1.5; the constant places (0, 1)')
  t.strictSame(render({ breakpoints: [1, 2], slopes: [0, 0, 0], at: { x: 0, y: -3 } }), ['-3', '-3'], 'no term: the constant alone')
  t.strictSame(render({ breakpoints: [1e21, 2e21], slopes: [0, 1e-7, 0] }),
    ['1e-7·ReLU(x − 1e+21) − 1e-7·ReLU(x − 2e+21) + 0', '1 \\times 10^{-7} \\cdot \\operatorname{ReLU}(x - 1 \\times 10^{21}) - 1 \\times 10^{-7} \\cdot \\operatorname{ReLU}(x - 2 \\times 10^{21}) + 0'],
    'shortest round-trip numbers, ×10^{e} in LaTeX')
  t.strictSame(render({ breakpoints: [0, 1], slopes: [0.1, 0.3, 0.3], at: { x: 1, y: 1 } }),
    ['−0.1·ReLU(−x) + 0.3·ReLU(x) + 0.7', '-0.1 \\cdot \\operatorname{ReLU}(-x) + 0.3 \\cdot \\operatorname{ReLU}(x) + 0.7'],
    'a zero change of slope is dropped')
  t.equal(reluDecomposition({ breakpoints: [0, 1], slopes: [0, 0.1, 0.3] }).terms[1].coefficient, 0.19999999999999998, 's_i − s_{i−1} is one float64 subtraction')
  t.ok(Object.is(reluDecomposition({ breakpoints: [0], slopes: [1, 1], at: { x: 0, y: -0 } }).constant, 0), 'no −0 constant')
})

/** Exact dyadic inputs (integers / 8): both evaluations are then exact, so they must be identical. */
const dyadic = fc.integer({ min: -4000, max: 4000 }).map((n) => n / 8)
const exactFunction = fc.uniqueArray(dyadic, { minLength: 1, maxLength: 8 }).chain((points) => {
  const breakpoints = [...points].sort((a, b) => a - b)
  return fc.record({
    breakpoints: fc.constant(breakpoints),
    slopes: fc.array(dyadic, { minLength: breakpoints.length + 1, maxLength: breakpoints.length + 1 }),
    at: fc.option(fc.record({ x: dyadic, y: dyadic }), { nil: undefined })
  })
})

t.test('the ReLU form equals the segment walk: exactly on dyadic inputs', async (t) => {
  fc.assert(fc.property(exactFunction, fc.array(dyadic, { maxLength: 10 }), (f, xs) => {
    const decomposition = reluDecomposition(f)
    const at = f.at ?? { x: f.breakpoints[0], y: 0 }
    if (evaluateReluDecomposition(decomposition, at.x) !== at.y) return false
    return [...f.breakpoints, ...xs, at.x].every((x) => evaluateReluDecomposition(decomposition, x) === evaluatePiecewiseLinear(f, x))
  }))
  t.pass('checked by fast-check')
})

t.test('the ReLU form equals the segment walk: relatively on random doubles', async (t) => {
  const real = fc.double({ min: -1e6, max: 1e6, noNaN: true })
  // Unique as numbers: fast-check's default compares with Object.is, for which 0 and −0 differ.
  const randomFunction = fc.uniqueArray(real, { minLength: 1, maxLength: 8, comparator: (a, b) => a === b }).chain((points) => {
    const breakpoints = [...points].sort((a, b) => a - b)
    return fc.record({
      breakpoints: fc.constant(breakpoints),
      slopes: fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: breakpoints.length + 1, maxLength: breakpoints.length + 1 }),
      at: fc.record({ x: real, y: real })
    })
  })
  fc.assert(fc.property(randomFunction, fc.array(real, { maxLength: 10 }), (f, xs) => {
    const decomposition = reluDecomposition(f)
    // Both sides sum terms of size |slope|·|x − b|: allow a few ε of the largest such scale.
    const scale = Math.max(...f.slopes.map(Math.abs)) * 4e6 + Math.abs(f.at.y)
    return [...f.breakpoints, ...xs].every((x) => {
      const viaRelu = evaluateReluDecomposition(decomposition, x)
      const walked = evaluatePiecewiseLinear(f, x)
      const delta = Math.abs(viaRelu - walked)
      const allowed = 32 * Number.EPSILON * scale
      if (delta > allowed) t.fail(`x = ${x}: walk ${walked}, ReLU form ${viaRelu}, |Δ| = ${delta} > ${allowed}`)
      return delta <= allowed
    })
  }))
  t.pass('checked by fast-check')
})

t.test('the function is continuous at each breakpoint, with the given slopes between them', async (t) => {
  fc.assert(fc.property(exactFunction, (f) => {
    const d = reluDecomposition(f)
    const value = (x: number): number => evaluateReluDecomposition(d, x)
    const { breakpoints: b, slopes: s } = f
    const edges = [b[0] - 1, ...b, b[b.length - 1] + 1]
    return s.every((slope, j) => value(edges[j + 1]) - value(edges[j]) === slope * (edges[j + 1] - edges[j]))
  }))
  t.pass('checked by fast-check')
})

t.test('impossible inputs are 422 naming the rule and the numbers', async (t) => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => reluDecomposition({ breakpoints: [], slopes: [1] }), /breakpoints must have at least 1 entry, got 0/],
    [() => reluDecomposition({ breakpoints: [0, 3, 1], slopes: [1, 2, 3, 4] }), /breakpoints must be strictly increasing: breakpoints\[2\] = 1 is not greater than breakpoints\[1\] = 3/],
    [() => reluDecomposition({ breakpoints: [2, 2], slopes: [1, 2, 3] }), /breakpoints\[1\] = 2 is not greater than breakpoints\[0\] = 2/],
    [() => reluDecomposition({ breakpoints: [0, 1], slopes: [1, 2] }), /slopes must have breakpoints.length \+ 1 = 3 entries \(one per segment\), got 2/],
    [() => reluDecomposition({ breakpoints: [Infinity], slopes: [1, 2] }), /breakpoints\[0\] must be finite, got Infinity/],
    [() => reluDecomposition({ breakpoints: [0], slopes: [1, Number.NaN] }), /slopes\[1\] must be finite, got NaN/],
    [() => reluDecomposition({ breakpoints: [0], slopes: [1, 2], at: { x: Number.NaN, y: 0 } }), /at must be a finite point, got \(NaN, 0\)/],
    [() => reluDecomposition({ breakpoints: [0], slopes: [1, 2], at: { x: 0, y: -Infinity } }), /got \(0, -Infinity\)/],
    [() => reluDecomposition({ breakpoints: [0, 1], slopes: [0, 1e308, -1e308] }), /the change of slope at breakpoints\[1\], slopes\[2\] − slopes\[1\] = -1e\+308 − 1e\+308, is not finite in float64 \(-Infinity\)/],
    [() => reluDecomposition({ breakpoints: [-1e308], slopes: [0, 1e10], at: { x: 1e308, y: 0 } }), /the constant c = y − Σ terms\(x\) at the point \(1e\+308, 0\) is not finite in float64/],
    [() => evaluateReluDecomposition(reluDecomposition(question), Infinity), /x must be finite, got Infinity/],
    [() => evaluateReluDecomposition(reluDecomposition(question), 1e308), /f\(1e\+308\) is not finite in float64 \(Infinity\)/],
    [() => evaluatePiecewiseLinear(question, Number.NaN), /x must be finite, got NaN/],
    [() => evaluatePiecewiseLinear(question, 1e308), /f\(1e\+308\) is not finite in float64/],
    [() => evaluatePiecewiseLinear({ breakpoints: [1, 0], slopes: [1, 1, 1] }, 0), /strictly increasing/]
  ]
  for (const [call, message] of cases) {
    t.throws(call, message)
    try { call() } catch (error) {
      t.ok(error instanceof ImpossibleInputError)
      t.equal((error as ImpossibleInputError).statusCode, 422)
    }
  }
  t.equal(evaluatePiecewiseLinear({ breakpoints: [-1e308, 1e308], slopes: [1, 0, 1], at: { x: -1e308, y: 0 } }, 1e308), 0, 'a flat segment longer than float64 adds nothing')
})
