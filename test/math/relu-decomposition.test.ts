import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { ImpossibleInputError, InvalidRequestError } from '../../src/math/errors.js'
import { LATEX_SYMBOLS, LinearForm, PLAIN_SYMBOLS, SYMBOL_PATTERN } from '../../src/math/linear-form.js'
import {
  evaluatePiecewiseLinear, evaluateReluDecomposition, reluDecomposition, type NumberOrSymbol, type PiecewiseLinear
} from '../../src/math/relu-decomposition.js'

const question = { breakpoints: [-1, 2], slopes: [-2, 0, 3] }

t.test('JSDoc examples', async (t) => {
  t.equal(reluDecomposition(question).formula, '2·ReLU(-1 − x) + 3·ReLU(x − 2)')
  t.equal(reluDecomposition({ breakpoints: [0], slopes: [0, 1] }).formula, 'ReLU(x)')
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
    formula: '2·ReLU(-1 − x) + 3·ReLU(x − 2)',
    latex: 'h(x) = 2 \\cdot \\mathrm{ReLU}(-1 - x) + 3 \\cdot \\mathrm{ReLU}(x - 2)'
  })
})

t.test('rendering', async (t) => {
  const render = (f: PiecewiseLinear): [string, string] => {
    const { formula, latex } = reluDecomposition(f)
    t.equal(latex.slice(0, 7), 'h(x) = ', 'the LaTeX is the line h(x) = …')
    return [formula, latex.slice(7)]
  }
  t.strictSame(render({ breakpoints: [0], slopes: [-1, 0] }), ['ReLU(−x)', '\\mathrm{ReLU}(-x)'], 'reflected at 0, 1· omitted')
  t.strictSame(render({ breakpoints: [0], slopes: [1, 0] }), ['−ReLU(−x)', '-\\mathrm{ReLU}(-x)'], 'a leading minus')
  t.strictSame(render({ breakpoints: [-1.5], slopes: [0, -2.5], at: { x: 0, y: 1 } }),
    ['−2.5·ReLU(x + 1.5) + 4.75', '-2.5 \\cdot \\mathrm{ReLU}(x + 1.5) + 4.75'],
    'a negative shift is written x + 1.5; the constant places (0, 1)')
  t.strictSame(render({ breakpoints: [1, 2], slopes: [0, 0, 0], at: { x: 0, y: -3 } }), ['-3', '-3'], 'no term: the constant alone')
  t.strictSame(render({ breakpoints: [1, 2], slopes: [0, 0, 0] }), ['0', '0'], 'everything zero: 0')
  t.strictSame(render({ breakpoints: [0, 1], slopes: [2, 2, 2], at: { x: 0, y: 0 } }), ['−2·ReLU(−x) + 2·ReLU(x)', '-2 \\cdot \\mathrm{ReLU}(-x) + 2 \\cdot \\mathrm{ReLU}(x)'], 'zero terms and a zero constant dropped, no + 0')
  t.strictSame(render({ breakpoints: [1e21, 2e21], slopes: [0, 1e-7, 0] }),
    ['1e-7·ReLU(x − 1e+21) − 1e-7·ReLU(x − 2e+21)', '1 \\times 10^{-7} \\cdot \\mathrm{ReLU}(x - 1 \\times 10^{21}) - 1 \\times 10^{-7} \\cdot \\mathrm{ReLU}(x - 2 \\times 10^{21})'],
    'shortest round-trip numbers, ×10^{e} in LaTeX')
  t.strictSame(render({ breakpoints: [0, 1], slopes: [0.1, 0.3, 0.3], at: { x: 1, y: 1 } }),
    ['−0.1·ReLU(−x) + 0.3·ReLU(x) + 0.7', '-0.1 \\cdot \\mathrm{ReLU}(-x) + 0.3 \\cdot \\mathrm{ReLU}(x) + 0.7'],
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

t.test('question 1.2 in symbols: b·ReLU(β − x) + a·ReLU(x − α) + c, assuming β < α', async (t) => {
  t.strictSame(reluDecomposition({ breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 'beta', y: 'c' } }), {
    terms: [{ coefficient: 'b', shift: 'β', reflected: true }, { coefficient: 'a', shift: 'α', reflected: false }],
    constant: 'c',
    formula: 'b·ReLU(β − x) + a·ReLU(x − α) + c',
    latex: 'h(x) = b \\cdot \\mathrm{ReLU}(\\beta - x) + a \\cdot \\mathrm{ReLU}(x - \\alpha) + c \\qquad \\text{assuming } \\beta < \\alpha',
    assumptions: ['β < α']
  })
  const middle = reluDecomposition({ breakpoints: ['beta', 'alpha'], slopes: ['-b', 'c', 'a'] })
  t.equal(middle.formula, 'b·ReLU(β − x) + c·ReLU(x − β) + (a − c)·ReLU(x − α)', 'a change of slope a − c in parentheses; the default anchor (β, 0) gives c = 0')
  t.equal(middle.latex, 'h(x) = b \\cdot \\mathrm{ReLU}(\\beta - x) + c \\cdot \\mathrm{ReLU}(x - \\beta) + (a - c) \\cdot \\mathrm{ReLU}(x - \\alpha) \\qquad \\text{assuming } \\beta < \\alpha')
  t.strictSame(middle.terms[2], { coefficient: 'a − c', shift: 'α', reflected: false })
  t.equal(middle.constant, 0)
})

t.test('symbolic rendering: signs, products, several assumptions, numbers among symbols', async (t) => {
  const answer = (f: PiecewiseLinear<NumberOrSymbol>): [string, string] => {
    const { formula, latex } = reluDecomposition(f)
    return [formula, latex]
  }
  t.strictSame(answer({ breakpoints: ['-omega', 0, '+z'], slopes: ['a', 'b', 'b', 'c'], at: { x: '-omega', y: '-y' } }), [
    '−a·ReLU(−ω − x) + b·ReLU(x + ω) + (c − b)·ReLU(x − z) − y',
    'h(x) = -a \\cdot \\mathrm{ReLU}(-\\omega - x) + b \\cdot \\mathrm{ReLU}(x + \\omega) + (c - b) \\cdot \\mathrm{ReLU}(x - z) - y \\qquad \\text{assuming } -\\omega < 0, 0 < z'
  ], 'a leading minus on a symbol; a zero change of slope (b − b) dropped; a signed breakpoint; two assumptions joined by a comma')
  t.notOk(new RegExp(SYMBOL_PATTERN).test('omicron'), 'omicron is not a symbol: LaTeX draws it as the Latin o')
  t.ok(new RegExp(SYMBOL_PATTERN).test('-o'))
  t.strictSame(answer({ breakpoints: ['-mu', 'nu'], slopes: [0, 'b', '-b'] }), ['b·ReLU(x + μ) − 2b·ReLU(x − ν)', 'h(x) = b \\cdot \\mathrm{ReLU}(x + \\mu) - 2b \\cdot \\mathrm{ReLU}(x - \\nu) \\qquad \\text{assuming } -\\mu < \\nu'], 'a number times a symbol: 2b')
  t.strictSame(answer({ breakpoints: [-1, 2], slopes: ['-b', 'b', 2], at: { x: 1e21, y: 'c' } }), [
    'b·ReLU(-1 − x) + b·ReLU(x + 1) − (b − 2)·ReLU(x − 2) + c − 2e+21',
    'h(x) = b \\cdot \\mathrm{ReLU}(-1 - x) + b \\cdot \\mathrm{ReLU}(x + 1) - (b - 2) \\cdot \\mathrm{ReLU}(x - 2) + c - 2 \\times 10^{21}'
  ], 'a sum whose first part is negative: its minus outside the parentheses; a numeric anchor away from b₁ with symbolic slopes; no assumption between numbers')
  t.equal(reluDecomposition({ breakpoints: [-1, 2], slopes: ['-b', 'b', 2], at: { x: 1e21, y: 'c' } }).terms[2].coefficient, '−b + 2', 'a term\'s coefficient: the linear form, its symbols first')
  t.strictSame(reluDecomposition({ breakpoints: [0], slopes: ['a', 'b'], at: { x: 1e21, y: 0 } }).constant, '−1e+21·b', 'an exponent before a symbol: a product sign')
  t.strictSame(reluDecomposition({ breakpoints: [0], slopes: ['a', 'b'], at: { x: 1.5, y: 0 } }).constant, '−1.5b')
  const flat = reluDecomposition({ breakpoints: ['beta'], slopes: ['a', 'a'], at: { x: 'beta', y: 0 } })
  t.strictSame([flat.formula, flat.latex, flat.assumptions], ['−a·ReLU(β − x) + a·ReLU(x − β)', 'h(x) = -a \\cdot \\mathrm{ReLU}(\\beta - x) + a \\cdot \\mathrm{ReLU}(x - \\beta)', []], 'one symbolic breakpoint: assumptions present and empty, no "assuming"')
  t.strictSame(reluDecomposition({ breakpoints: ['beta'], slopes: [0, 0] }), { terms: [], constant: 0, formula: '0', latex: 'h(x) = 0', assumptions: [] }, 'everything zero is 0')
  t.equal(reluDecomposition(question).assumptions, undefined, 'numbers only: no assumptions field')
})

t.test('symbolic inputs that cannot be answered are 422 (or 400 for a string that is no symbol)', async (t) => {
  const cases: Array<[() => unknown, RegExp, number]> = [
    [() => reluDecomposition({ breakpoints: ['beta', 0, 'beta'], slopes: [1, 2, 3, 4] }), /^breakpoints must be strictly increasing: breakpoints\[0\] and breakpoints\[2\] are both β$/, 422],
    [() => reluDecomposition({ breakpoints: ['a', '+a'], slopes: [1, 2, 3] }), /breakpoints\[0\] and breakpoints\[1\] are both a/, 422],
    [() => reluDecomposition({ breakpoints: [1, 'a', 0], slopes: [1, 2, 3, 4] }), /^breakpoints must be strictly increasing: breakpoints\[2\] = 0 is not greater than breakpoints\[0\] = 1$/, 422],
    [() => reluDecomposition({ breakpoints: ['beta', 'alpha'], slopes: [1, 2, 3], at: { x: 'alpha', y: 0 } }), /^at\.x must be the first breakpoint, β, when a breakpoint or at\.x is a symbol: there every term vanishes and c = at\.y, .*\(got at\.x = α\); with numbers for every breakpoint and at\.x, any point will do$/, 422],
    [() => reluDecomposition({ breakpoints: [0, 'alpha'], slopes: [1, 2, 3], at: { x: 5, y: 0 } }), /at\.x must be the first breakpoint, 0, .*\(got at\.x = 5\)/, 422],
    [() => reluDecomposition({ breakpoints: [0, 1], slopes: [1, 2, 3], at: { x: 'a', y: 0 } }), /at\.x must be the first breakpoint, 0, .*\(got at\.x = a\)/, 422],
    [() => reluDecomposition({ breakpoints: [-1e308], slopes: [0, 'b'], at: { x: 1e308, y: 0 } }), /^the constant c = y − Σ terms\(x\) at the point \(1e\+308, 0\) is not finite in float64 \(−Infinity·b\)/, 422],
    [() => reluDecomposition({ breakpoints: [0, 1], slopes: [1, Infinity, 'a'] }), /slopes\[1\] must be finite, got Infinity/, 422],
    [() => reluDecomposition({ breakpoints: [0], slopes: [1, 'x'] }), /^slopes\[1\] must be a number or a symbol \(.*\), got "x"$/, 400],
    [() => reluDecomposition({ breakpoints: [0], slopes: [1, 2], at: { x: 0, y: 'gamma1' } }), /^at\.y must be a number or a symbol/, 400],
    [() => evaluateReluDecomposition(reluDecomposition({ breakpoints: ['beta'], slopes: [0, 1] }), 0), /^x: evaluating f needs numbers, and this f is in symbols; give numbers for the breakpoints, the slopes and at, or leave out x$/, 422],
    [() => evaluateReluDecomposition(reluDecomposition({ breakpoints: [0], slopes: [0, 1], at: { x: 0, y: 'c' } }), 0), /evaluating f needs numbers/, 422]
  ]
  for (const [call, message, status] of cases) {
    t.throws(call, message)
    try { call() } catch (error) {
      t.ok(error instanceof (status === 422 ? ImpossibleInputError : InvalidRequestError))
      t.equal((error as ImpossibleInputError).statusCode, status)
    }
  }
})

t.test('linear forms: the algebra and the symbols the schema admits', async (t) => {
  const symbol = new RegExp(SYMBOL_PATTERN)
  for (const good of ['alpha', '-beta', '+omega', 'eta', 'a', 'X', '-z']) t.ok(symbol.test(good), good)
  for (const bad of ['x', '-x', 'Alpha', 'ab', '', '--a', 'alpha2', ' beta', 'b ']) t.notOk(symbol.test(bad), JSON.stringify(bad))
  const a = LinearForm.of('a', 'a')
  const c = LinearForm.of('-c', 'c')
  t.equal(a.plus(c).format(PLAIN_SYMBOLS), 'a − c')
  t.equal(a.minus(a).isZero, true, 'a − a = 0, the symbol dropped')
  t.strictSame(a.plus(c).plus(LinearForm.number(2)).symbols, ['a', 'c'])
  t.equal(a.times(-0.5).plus(LinearForm.number(-3)).format(LATEX_SYMBOLS), '-0.5a - 3')
  t.equal(LinearForm.of('-phi', 'p').times(1e300).format(LATEX_SYMBOLS), '-1 \\times 10^{300} \\phi', 'an exponent then a symbol, spaced')
  t.ok(a.equals(LinearForm.of('+a', 'a')))
  t.notOk(a.equals(a.times(2)))
  t.notOk(a.equals(a.plus(LinearForm.number(1))))
  t.notOk(a.equals(c))
  t.notOk(a.times(Infinity).isFinite)
  t.notOk(LinearForm.number(Number.NaN).isFinite)
  t.ok(Object.is(LinearForm.number(-0).constant, 0), 'no −0')
})

/**
 * The symbolic answer, its symbols replaced by numbers, is the numeric answer for those numbers:
 * a linear form in the answer's plain text ("2b − 3", "−β", "1e+21·a") read back by this
 * reader, independent of the code that writes it.
 */
function substitute (value: NumberOrSymbol, values: ReadonlyMap<string, number>): number {
  if (typeof value === 'number') return value
  return value.split(/ (?=[+−] )/).reduce((sum, piece, i) => {
    const negative = piece.startsWith('−')
    const body = i === 0 ? piece.replace(/^−/, '') : piece.slice(2)
    const [, number, name] = /^((?:\d+(?:\.\d+)?(?:e[+-]\d+)?)?)·?(\D*)$/.exec(body)!
    const magnitude = (number === '' ? 1 : Number(number)) * (name === '' ? 1 : values.get(name)!)
    return sum + (negative ? -magnitude : magnitude)
  }, 0)
}

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'pi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'chi', 'psi', 'omega', 'a', 'b', 'c', 'd', 'B', 'X']

t.test('property: the symbolic answer with numbers substituted is the numeric answer', async (t) => {
  const symbolicFunction = exactFunction.chain((f) => fc.record({
    f: fc.constant(f),
    // Which entries are symbols (breakpoints, slopes, at.y, at.x), each with a sign.
    symbols: fc.array(fc.boolean(), { minLength: 2 * f.breakpoints.length + 3, maxLength: 2 * f.breakpoints.length + 3 }),
    signs: fc.array(fc.boolean(), { minLength: 2 * f.breakpoints.length + 3, maxLength: 2 * f.breakpoints.length + 3 }),
    atFirst: fc.boolean()
  }))
  fc.assert(fc.property(symbolicFunction, ({ f, symbols, signs, atFirst }) => {
    const values = new Map<string, number>()
    let k = 0
    // Entry k becomes the k-th name, signed: "-beta" standing for v means β = −v.
    const symbolic = (v: number): NumberOrSymbol => {
      const index = k++
      if (!symbols[index]) return v
      const name = NAMES[index]
      values.set(PLAIN_SYMBOLS.symbol(name), signs[index] ? -v : v)
      return `${signs[index] ? '-' : ''}${name}`
    }
    const breakpoints = f.breakpoints.map(symbolic)
    const slopes = f.slopes.map(symbolic)
    const numericAt = f.at ?? { x: f.breakpoints[0], y: 0 }
    const y = symbolic(numericAt.y)
    // With a symbolic breakpoint the anchor must be the first one (else a 422, tested above).
    const anchoredFirst = atFirst || breakpoints.some((b) => typeof b === 'string')
    const x = anchoredFirst ? breakpoints[0] : symbolic(numericAt.x)
    const anchor = { x: anchoredFirst ? f.breakpoints[0] : numericAt.x, y: numericAt.y }
    if (typeof x === 'string' && !anchoredFirst) return true // a symbolic at.x away from b₁: refused
    const answer = reluDecomposition({ breakpoints, slopes, at: { x, y } })
    const expected = reluDecomposition({ breakpoints: f.breakpoints, slopes: f.slopes, at: anchor })
    const substituted = answer.terms
      .map((term) => ({ coefficient: substitute(term.coefficient, values), shift: substitute(term.shift, values), reflected: term.reflected }))
      .filter((term) => term.coefficient !== 0)
    const assumed = breakpoints.slice(1).filter((b, i) => typeof b === 'string' || typeof breakpoints[i] === 'string').length
    const anySymbol = [...breakpoints, ...slopes, x, y].some((v) => typeof v === 'string')
    return isDeepStrictEqual(substituted, expected.terms) && substitute(answer.constant, values) === expected.constant &&
      (anySymbol ? answer.assumptions?.length === assumed : answer.assumptions === undefined)
  }), { numRuns: 300 })
  t.pass('checked by fast-check')
})
