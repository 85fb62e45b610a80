/**
 * Scalar formulas in named variables (the `expression` model of /hvp, question 3.5) and their
 * exact Hessian-vector products by forward-over-reverse differentiation.
 *
 * Grammar (the service's formula notation, docs/api.md): numbers (`1`, `2.5`, `1e-3`), variable names, `+ - * / ^`, unary minus,
 * parentheses and the functions sin cos tan exp log sqrt tanh sigmoid softplus relu abs.
 *
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/") unary)*
 *   unary   := ("-" | "+") unary | power
 *   power   := primary ["^" unary]          // right-associative; binds tighter than unary minus
 *   primary := number | name "(" sum ")" | name | "(" sum ")"
 *
 * so `-x^2` is −(x²), `2^3^2` is 2⁹ and `2^-x` is 2^(−x).
 *
 * Differentiation: every node is an operation with first partials ∂c/∂a, ∂c/∂b and second
 * partials. A forward pass computes values and the directional derivatives ċ = R_v{c}
 * (Pearlmutter 1994: R_v{f(w)} = ∂/∂r f(w + rv) at r = 0); a reverse pass propagates the
 * adjoints c̄ and their R-derivatives:
 *
 *   ā += c̄·∂c/∂a                          (the gradient)
 *   R{ā} += R{c̄}·∂c/∂a + c̄·(∂²c/∂a²·ȧ + ∂²c/∂a∂b·ḃ)   (the product rule of question 3.5)
 *
 * so the variables' R{adjoints} are exactly ∇²f(w)·v, with no finite differences.
 */
import { sigmoid, softplus } from './activations.js'
import { ImpossibleInputError, InvalidRequestError, NotationSyntaxError } from './errors.js'

export const FUNCTIONS = ['sin', 'cos', 'tan', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'softplus', 'relu', 'abs'] as const
type FunctionName = typeof FUNCTIONS[number]

type Node =
  | { kind: 'number', value: number, position: number }
  | { kind: 'variable', index: number, position: number }
  | { kind: 'negate', argument: Node, position: number }
  | { kind: 'binary', operator: '+' | '-' | '*' | '/' | '^', left: Node, right: Node, position: number }
  | { kind: 'call', name: FunctionName, argument: Node, position: number }

/** Longest formula accepted, and deepest nesting (a recursive-descent guard). */
export const MAX_EXPRESSION_LENGTH = 10_000
const MAX_DEPTH = 200
/**
 * Levels of the parsed tree: evaluation recurses once per level, and a left-deep chain
 * (x + x + … + x, 5000 terms fit in MAX_EXPRESSION_LENGTH) would overflow the stack.
 */
export const MAX_TREE_HEIGHT = 2000

/** The height of a tree, without recursion (the tree may be too deep to recurse on). */
function treeHeight (root: Node): number {
  let height = 0
  const stack: Array<[Node, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [node, level] = stack.pop()!
    height = Math.max(height, level)
    if (node.kind === 'binary') stack.push([node.left, level + 1], [node.right, level + 1])
    else if (node.kind === 'negate' || node.kind === 'call') stack.push([node.argument, level + 1])
  }
  return height
}

interface Token { text: string, position: number }

function tokenize (text: string, field: string): Token[] {
  const tokens: Token[] = []
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/^(),]))/y
  let position = 0
  while (position < text.length) {
    pattern.lastIndex = position
    const match = pattern.exec(text)
    if (match === null) {
      const rest = text.slice(position).trimStart()
      if (rest === '') break
      const at = text.length - rest.length
      throw new NotationSyntaxError(field, at + 1, rest[0], 'unexpected character; formulas use numbers, names, + - * / ^, parentheses and function calls')
    }
    const token = match[1] ?? match[2] ?? match[3]
    tokens.push({ text: token, position: match.index + match[0].length - token.length })
    position = pattern.lastIndex
  }
  return tokens
}

/** A parsed formula, ready to evaluate with derivatives at many points. */
export class Expression {
  private constructor (private readonly root: Node, readonly variables: readonly string[]) {}

  /** One parameter per variable: w[i] is the value of variables[i]. */
  get parameterCount (): number { return this.variables.length }

  /**
   * @param field - the request field, named in errors
   * @throws {NotationSyntaxError} for a syntax error or an unknown name, with its position
   * @throws {InvalidRequestError} for an invalid variable list
   * @example Expression.parse('-x^2', ['x']).evaluate([3], [1]).value // -9
   */
  static parse (text: string, variables: readonly string[], field = 'model.expression'): Expression {
    const seen = new Set<string>()
    for (const name of variables) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidRequestError(`model.variables: '${name}' is not a name (letters, digits and _, not starting with a digit)`)
      if ((FUNCTIONS as readonly string[]).includes(name)) throw new InvalidRequestError(`model.variables: '${name}' is a function name`)
      if (seen.has(name)) throw new InvalidRequestError(`model.variables: '${name}' appears twice`)
      seen.add(name)
    }
    const tokens = tokenize(text, field)
    let next = 0
    const end = text.length
    const peek = (): Token | undefined => tokens[next]
    const fail = (detail: string, token = peek()): never => {
      throw new NotationSyntaxError(field, (token?.position ?? end) + 1, token?.text ?? 'end of input', detail)
    }
    const expect = (text: string): void => {
      if (peek()?.text !== text) fail(`expected "${text}"`)
      next++
    }
    const sum = (depth: number): Node => {
      if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`)
      let left = product(depth)
      while (peek()?.text === '+' || peek()?.text === '-') {
        const operator = tokens[next++]
        left = { kind: 'binary', operator: operator.text as '+' | '-', left, right: product(depth), position: operator.position }
      }
      return left
    }
    const product = (depth: number): Node => {
      let left = unary(depth)
      while (peek()?.text === '*' || peek()?.text === '/') {
        const operator = tokens[next++]
        left = { kind: 'binary', operator: operator.text as '*' | '/', left, right: unary(depth), position: operator.position }
      }
      return left
    }
    const unary = (depth: number): Node => {
      if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`)
      const token = peek()
      if (token?.text === '-') {
        next++
        return { kind: 'negate', argument: unary(depth + 1), position: token.position }
      }
      if (token?.text === '+') {
        next++
        return unary(depth + 1)
      }
      const base = primary(depth)
      const caret = peek()
      if (caret?.text !== '^') return base
      next++
      return { kind: 'binary', operator: '^', left: base, right: unary(depth + 1), position: caret.position }
    }
    const primary = (depth: number): Node => {
      const token = peek() ?? fail('expected a number, a name or "("')
      next++
      if (/^[\d.]/.test(token.text)) return { kind: 'number', value: Number(token.text), position: token.position }
      if (token.text === '(') {
        const inner = sum(depth + 1)
        expect(')')
        return inner
      }
      if (/^[A-Za-z_]/.test(token.text)) {
        if ((FUNCTIONS as readonly string[]).includes(token.text)) {
          if (peek()?.text !== '(') fail(`${token.text} is a function: write ${token.text}(…)`)
          next++
          const argument = sum(depth + 1)
          expect(')')
          return { kind: 'call', name: token.text as FunctionName, argument, position: token.position }
        }
        const index = variables.indexOf(token.text)
        if (index < 0) fail(`unknown name '${token.text}'; the variables are ${variables.length === 0 ? 'none' : variables.join(', ')} and the functions ${FUNCTIONS.join(', ')}`, token)
        return { kind: 'variable', index, position: token.position }
      }
      return fail('expected a number, a name or "("', token)
    }
    const root = sum(0)
    const height = treeHeight(root)
    if (height > MAX_TREE_HEIGHT) {
      throw new InvalidRequestError(`${field}: the formula is ${height} operations deep, over ${MAX_TREE_HEIGHT}; group long sums and products with parentheses, as (a + b + …) + (c + d + …)`)
    }
    if (next < tokens.length) fail('expected an operator or the end of the formula')
    return new Expression(root, variables)
  }

  /**
   * f(w), ∇f(w) and, with v, ∇²f(w)·v, exactly (forward-over-reverse).
   * @throws {ImpossibleInputError} where f is not twice differentiable at w (log or sqrt of a
   *   non-positive number, division by zero, relu or abs at 0, …), naming the operation and its position
   */
  evaluate (w: ArrayLike<number>, direction?: ArrayLike<number>): { value: number, gradient: number[], hv?: number[] } {
    const v = direction ?? new Float64Array(w.length)
    const tape: Array<{ node: Node, value: number, tangent: number, partials: Partials }> = []
    const slots = new Map<Node, number>()
    const forward = (node: Node): [number, number] => {
      let value: number
      let tangent: number
      let partials: Partials
      switch (node.kind) {
        case 'number':
          return [node.value, 0]
        case 'variable':
          return [w[node.index], v[node.index]]
        case 'negate': {
          const [a, da] = forward(node.argument)
          value = -a
          tangent = -da
          partials = { a: -1, b: 0, aa: 0, ab: 0, bb: 0 }
          break
        }
        case 'call': {
          const [a, da] = forward(node.argument)
          ;[value, partials] = callPartials(node, a)
          tangent = partials.a * da
          break
        }
        case 'binary': {
          const [a, da] = forward(node.left)
          const [b, db] = forward(node.right)
          ;[value, partials] = binaryPartials(node, a, b, constant(node.right))
          tangent = partials.a * da + partials.b * db
          break
        }
      }
      slots.set(node, tape.length)
      tape.push({ node, value, tangent, partials })
      return [value, tangent]
    }
    const [value] = forward(this.root)
    const n = this.variables.length
    const gradient = new Array<number>(n).fill(0)
    const hv = new Array<number>(n).fill(0)
    // Adjoints and their R-derivatives, per tape slot, filled from the root backwards.
    const adjoint = new Float64Array(tape.length)
    const adjointTangent = new Float64Array(tape.length)
    const tangentOf = (node: Node): number => node.kind === 'variable' ? v[node.index] : node.kind === 'number' ? 0 : tape[slots.get(node)!].tangent
    const send = (node: Node, bar: number, barTangent: number): void => {
      if (node.kind === 'number') return
      if (node.kind === 'variable') {
        gradient[node.index] += bar
        hv[node.index] += barTangent
        return
      }
      const slot = slots.get(node)!
      adjoint[slot] += bar
      adjointTangent[slot] += barTangent
    }
    send(this.root, 1, 0)
    for (let slot = tape.length - 1; slot >= 0; slot--) {
      const { node, partials: p } = tape[slot]
      const bar = adjoint[slot]
      const barTangent = adjointTangent[slot]
      if (node.kind === 'binary') {
        const da = tangentOf(node.left)
        const db = tangentOf(node.right)
        send(node.left, bar * p.a, barTangent * p.a + bar * (p.aa * da + p.ab * db))
        send(node.right, bar * p.b, barTangent * p.b + bar * (p.ab * da + p.bb * db))
      } else if (node.kind === 'negate' || node.kind === 'call') {
        const da = tangentOf(node.argument)
        send(node.argument, bar * p.a, barTangent * p.a + bar * p.aa * da)
      }
    }
    return direction === undefined ? { value, gradient } : { value, gradient, hv }
  }
}

/** First and second partial derivatives of one operation c(a, b). */
interface Partials { a: number, b: number, aa: number, ab: number, bb: number }

function constant (node: Node): boolean {
  switch (node.kind) {
    case 'number': return true
    case 'variable': return false
    case 'negate': case 'call': return constant(node.argument)
    case 'binary': return constant(node.left) && constant(node.right)
  }
}

function notDifferentiable (node: Node, detail: string): never {
  throw new ImpossibleInputError(`model.expression is not twice differentiable at w: ${detail} at position ${node.position + 1}`)
}

function unary (value: number, first: number, second: number): [number, Partials] {
  return [value, { a: first, b: 0, aa: second, ab: 0, bb: 0 }]
}

function callPartials (node: Node & { kind: 'call' }, a: number): [number, Partials] {
  switch (node.name) {
    case 'sin': return unary(Math.sin(a), Math.cos(a), -Math.sin(a))
    case 'cos': return unary(Math.cos(a), -Math.sin(a), -Math.cos(a))
    case 'tan': {
      const t = Math.tan(a)
      const secant2 = 1 + t * t
      return unary(t, secant2, 2 * t * secant2)
    }
    case 'exp': {
      const e = Math.exp(a)
      return unary(e, e, e)
    }
    case 'log':
      if (a <= 0) notDifferentiable(node, `log of ${a}`)
      return unary(Math.log(a), 1 / a, -1 / (a * a))
    case 'sqrt': {
      if (a <= 0) notDifferentiable(node, `sqrt of ${a} (its derivative 1/(2√x) needs x > 0)`)
      const s = Math.sqrt(a)
      return unary(s, 0.5 / s, -0.25 / (s * a))
    }
    case 'tanh': {
      const t = Math.tanh(a)
      const d = 1 - t * t
      return unary(t, d, -2 * t * d)
    }
    case 'sigmoid': {
      const s = sigmoid(a)
      const d = s * (1 - s)
      return unary(s, d, d * (1 - 2 * s))
    }
    case 'softplus': {
      const s = sigmoid(a)
      return unary(softplus(a), s, s * (1 - s))
    }
    case 'relu':
      if (a === 0) notDifferentiable(node, 'relu at 0')
      return unary(Math.max(a, 0), a > 0 ? 1 : 0, 0)
    case 'abs':
      if (a === 0) notDifferentiable(node, 'abs at 0')
      return unary(Math.abs(a), Math.sign(a), 0)
  }
}

function binaryPartials (node: Node & { kind: 'binary' }, a: number, b: number, constantExponent: boolean): [number, Partials] {
  switch (node.operator) {
    case '+': return [a + b, { a: 1, b: 1, aa: 0, ab: 0, bb: 0 }]
    case '-': return [a - b, { a: 1, b: -1, aa: 0, ab: 0, bb: 0 }]
    case '*': return [a * b, { a: b, b: a, aa: 0, ab: 1, bb: 0 }]
    case '/':
      if (b === 0) notDifferentiable(node, 'division by zero')
      return [a / b, { a: 1 / b, b: -a / (b * b), aa: 0, ab: -1 / (b * b), bb: 2 * a / (b * b * b) }]
    case '^': {
      const value = a ** b
      if (constantExponent) {
        // Power rule with a constant exponent: defined for a < 0 when b is an integer; at
        // a = 0 the second derivative b(b−1)a^{b−2} is finite only for b ∈ {0, 1} or b ≥ 2.
        const integer = Number.isInteger(b)
        if (a < 0 && !integer) notDifferentiable(node, `a negative base ${a} to the non-integer power ${b}`)
        if (a === 0 && !((integer && b >= 0) || b >= 2)) notDifferentiable(node, `0 to the power ${b}`)
        const first = b === 0 ? 0 : b * a ** (b - 1)
        const second = b === 0 || b === 1 ? 0 : b * (b - 1) * a ** (b - 2)
        return [value, { a: first, b: 0, aa: second, ab: 0, bb: 0 }]
      }
      // a^b = e^{b·ln a} with b depending on w: needs a > 0.
      if (a <= 0) notDifferentiable(node, `a non-positive base ${a} to a power that depends on w`)
      const logA = Math.log(a)
      return [value, {
        a: b * a ** (b - 1),
        b: value * logA,
        aa: b * (b - 1) * a ** (b - 2),
        ab: a ** (b - 1) * (1 + b * logA),
        bb: value * logA * logA
      }]
    }
  }
}
