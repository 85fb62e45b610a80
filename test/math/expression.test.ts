import fc from 'fast-check'
import t from 'tap'
import { ImpossibleInputError, InvalidRequestError, NotationSyntaxError } from '../../src/math/errors.js'
import { Expression } from '../../src/math/expression.js'

const value = (text: string, variables: string[] = [], w: number[] = []): number => Expression.parse(text, variables).evaluate(w).value

t.test('precedence and associativity of the formula notation', async (t) => {
  t.equal(value('-x^2', ['x'], [3]), -9, '^ binds tighter than unary minus')
  t.equal(value('2^3^2'), 512, '^ is right-associative')
  t.equal(value('2^-1'), 0.5, 'a unary minus in an exponent')
  t.equal(value('8 - 3 - 2'), 3, '- is left-associative')
  t.equal(value('8 / 4 / 2'), 1, '/ is left-associative')
  t.equal(value('1 + 2 * 3'), 7)
  t.equal(value('(1 + 2) * 3'), 9)
  t.equal(value('+x - -x', ['x'], [2]), 4)
  t.equal(value('1e-3 + 2.5 + .5 '), 0.001 + 2.5 + 0.5, 'number forms, trailing space')
  t.equal(value('softplus(0) + sigmoid(0) + relu(-2) + abs(-3) + tanh(0) + sqrt(4) + log(1) + exp(0) + cos(0) + sin(0) + tan(0)'), Math.log(2) + 0.5 + 0 + 3 + 0 + 2 + 0 + 1 + 1)
  t.equal(value('softplus(800)'), 800, 'softplus does not overflow')
  t.strictSame(Expression.parse('relu(x)', ['x']).evaluate([2], [1]), { value: 2, gradient: [1], hv: [0] })
  t.equal(value('sigmoid(-800)'), 0)
  t.equal(value('w_1 * theta', ['w_1', 'theta'], [2, 3]), 6)
})

t.test('syntax errors are 400s with the position and the token', async (t) => {
  const cases: Array<[string, number, string, RegExp]> = [
    ['x +', 4, 'end of input', /expected a number, a name or "\("/],
    ['foo(x)', 1, 'foo', /unknown name 'foo'; the variables are x and the functions sin/],
    ['x y', 3, 'y', /expected an operator or the end of the formula/],
    ['(x', 3, 'end of input', /expected "\)"/],
    ['sin x', 5, 'x', /sin is a function: write sin\(…\)/],
    ['x $ 2', 3, '$', /unexpected character/],
    ['x * )', 5, ')', /expected a number, a name or "\("/],
    ['sin(x', 6, 'end of input', /expected "\)"/],
    ['x,', 2, ',', /expected an operator or the end/]
  ]
  for (const [text, position, token, message] of cases) {
    t.throws(() => Expression.parse(text, ['x']), { constructor: NotationSyntaxError, position, token, message }, text)
  }
  t.throws(() => Expression.parse('y', []), /the variables are none/)
  t.throws(() => Expression.parse('('.repeat(300) + 'x' + ')'.repeat(300), ['x']), /nesting deeper than 200/)
  t.throws(() => Expression.parse('-'.repeat(300) + 'x', ['x']), /nesting deeper than 200/)
})

t.test('variable lists are checked', async (t) => {
  t.throws(() => Expression.parse('x', ['x', 'x']), { constructor: InvalidRequestError, message: /'x' appears twice/ })
  t.throws(() => Expression.parse('x', ['sin']), /'sin' is a function name/)
  t.throws(() => Expression.parse('x', ['2x']), /'2x' is not a name/)
})

t.test('points where the formula is not twice differentiable are 422s naming the operation', async (t) => {
  const cases: Array<[string, number[], RegExp]> = [
    ['sqrt(x)', [0], /sqrt of 0 .* at position 1/],
    ['log(x)', [-1], /log of -1 at position 1/],
    ['1 / x', [0], /division by zero at position 3/],
    ['relu(x)', [0], /relu at 0/],
    ['abs(x - 1)', [1], /abs at 0/],
    ['x^0.5', [0], /0 to the power 0.5 at position 2/],
    ['x^-1', [0], /0 to the power -1/],
    ['x^1.5', [-2], /a negative base -2 to the non-integer power 1.5/],
    ['x^y', [-1, 2], /a non-positive base -1 to a power that depends on w/]
  ]
  for (const [text, w, message] of cases) {
    t.throws(() => Expression.parse(text, ['x', 'y']).evaluate([...w, 0, 0].slice(0, 2), [1, 1]), { constructor: ImpossibleInputError, message }, text)
  }
  t.strictSame(Expression.parse('x^2.5 + x^1 + x^0 + x^3', ['x']).evaluate([0], [1]), { value: 1, gradient: [1], hv: [0] }, 'powers that are twice differentiable at 0')
  t.strictSame(Expression.parse('(-2)^3', []).evaluate([]).value, -8, 'a negative base to an integer power')
})

t.test('gradients and Hessian-vector products of known formulas', async (t) => {
  const [x, y] = [1.5, -0.7]
  const [s, c] = [Math.sin(x * y), Math.cos(x * y)]
  const result = Expression.parse('x^2*y + sin(x*y)', ['x', 'y']).evaluate([x, y], [0.3, 2])
  // H = [[2y − y²s, 2x + c − xys], [2x + c − xys, −x²s]]
  const h01 = 2 * x + c - x * y * s
  t.strictSame(result.gradient, [2 * x * y + y * c, x * x + x * c])
  t.ok(Math.abs(result.hv![0] - ((2 * y - y * y * s) * 0.3 + h01 * 2)) < 1e-15)
  t.ok(Math.abs(result.hv![1] - (h01 * 0.3 - x * x * s * 2)) < 1e-15)
  t.strictSame(Expression.parse('x', ['x']).evaluate([2], [3]), { value: 2, gradient: [1], hv: [0] }, 'a lone variable')
  t.strictSame(Expression.parse('4', ['x']).evaluate([2], [3]), { value: 4, gradient: [0], hv: [0] }, 'a constant')
  t.strictSame(Expression.parse('x^y', ['x', 'y']).evaluate([2, 3]).gradient, [12, 8 * Math.log(2)], 'd(x^y) = (y x^{y−1}, x^y ln x)')
})

// The R-operator's rules of question 3.5, as properties of the engine.
const f = Expression.parse('sin(x)*y^2 + exp(x*y/3)', ['x', 'y'])
const g = Expression.parse('tanh(x - y) + x^3/(1 + y^2)', ['x', 'y'])
const point = fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }))
const close = (a: number, b: number, tolerance = 1e-12): boolean => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))

t.test('R{c·f} = c·R{f} (linearity under scalar multiplication)', async (t) => {
  const scaled = Expression.parse('2.5*(sin(x)*y^2 + exp(x*y/3))', ['x', 'y'])
  fc.assert(fc.property(point, point, ([x, y], [vx, vy]) => {
    const a = scaled.evaluate([x, y], [vx, vy]).hv!
    const b = f.evaluate([x, y], [vx, vy]).hv!
    return close(a[0], 2.5 * b[0]) && close(a[1], 2.5 * b[1])
  }))
  t.pass('checked by fast-check')
})

t.test('R{f·g} = R{f}·g + f·R{g} (product rule), at the level of gradients', async (t) => {
  const product = Expression.parse('(sin(x)*y^2 + exp(x*y/3)) * (tanh(x - y) + x^3/(1 + y^2))', ['x', 'y'])
  fc.assert(fc.property(point, point, ([x, y], v) => {
    const F = f.evaluate([x, y], v)
    const G = g.evaluate([x, y], v)
    const P = product.evaluate([x, y], v)
    // R{∇(fg)} = R{∇f}g + ∇f R{g} + R{f}∇g + f R{∇g}, with R{f} = ∇f·v
    const rf = F.gradient[0] * v[0] + F.gradient[1] * v[1]
    const rg = G.gradient[0] * v[0] + G.gradient[1] * v[1]
    return [0, 1].every((i) => close(P.hv![i], F.hv![i] * G.value + F.gradient[i] * rg + rf * G.gradient[i] + F.value * G.hv![i], 1e-11))
  }))
  t.pass('checked by fast-check')
})

t.test('uᵀ(Hv) = vᵀ(Hu): the Hessian is symmetric', async (t) => {
  fc.assert(fc.property(point, point, point, (w, u, v) => {
    const hv = g.evaluate(w, v).hv!
    const hu = g.evaluate(w, u).hv!
    return close(u[0] * hv[0] + u[1] * hv[1], v[0] * hu[0] + v[1] * hu[1], 1e-12)
  }))
  t.pass('checked by fast-check')
})

t.test('a formula deeper than MAX_TREE_HEIGHT is refused with a hint to group it', async (t) => {
  t.throws(() => Expression.parse(`x${'+x'.repeat(4999)}`, ['x']), new InvalidRequestError('model.expression: the formula is 5000 operations deep, over 2000; group long sums and products with parentheses, as (a + b + …) + (c + d + …)'))
  t.equal(value(Array.from({ length: 4 }, () => `(x${'+x'.repeat(999)})`).join('+'), ['x'], [1]), 4000, 'as long a sum, grouped, is computed')
})
