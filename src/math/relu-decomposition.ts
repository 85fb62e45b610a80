/**
 * A continuous piecewise-linear function written with ReLU and arithmetic only (question 1.2).
 *
 * With breakpoints b₁ < … < b_n and slopes s₀ (x < b₁), s₁ (b₁ < x < b₂), …, s_n (x > b_n):
 *
 *   f(x) = c − s₀·ReLU(b₁ − x) + s₁·ReLU(x − b₁) + Σ_{i=2}^{n} (s_i − s_{i−1})·ReLU(x − b_i)
 *
 * Each ReLU(x − b_i) switches its slope on at b_i (its change s_i − s_{i−1}); the first two
 * terms give the slopes on both sides of b₁ and vanish at b₁, and the constant c places the
 * graph through a given point. For the question's h′ = −b (x ≤ β), 0 (β < x < α), a (x ≥ α)
 * this is h(x) = b·ReLU(β − x) + a·ReLU(x − α) + c (s₁ = 0 drops the middle term): ReLU itself
 * when b = 0 and α = 0, and a flat "dead zone" between two ReLUs otherwise.
 *
 * The inputs may be symbols as well as numbers (linear-form.ts), as the question writes them:
 * the coefficients are then linear forms (s_i − s_{i−1} = a − c), and an order the numbers
 * cannot check (β < α) is assumed and stated. c needs the terms' values at the anchor point:
 * at b₁ every term vanishes (given the order), so c = y there, whatever the symbols; elsewhere
 * only numeric breakpoints and x tell which terms are on, each a linear form times a number.
 *
 * `evaluatePiecewiseLinear` evaluates f by walking the segments from the anchor point instead,
 * so tests compare two independent computations.
 */
import { compensatedSum } from './compensated.js'
import { ImpossibleInputError } from './errors.js'
import { LATEX_SYMBOLS, LinearForm, PLAIN_SYMBOLS, signedSum, type SignedPart, type SymbolNotation } from './linear-form.js'

/** A number, or a symbol (linear-form.ts's SYMBOL_PATTERN: `beta`, `-b`). */
export type NumberOrSymbol = number | string

/**
 * coefficient·ReLU(shift − x) when `reflected`, otherwise coefficient·ReLU(x − shift); a string
 * is symbolic, written as `formula` writes it (`a − c`, `−β`).
 */
export interface ReluTerm<T = NumberOrSymbol> {
  coefficient: T
  shift: T
  reflected: boolean
}

export interface ReluDecomposition {
  /** the non-zero terms, the reflected one (if any) first, then by breakpoint */
  terms: ReluTerm[]
  /** c */
  constant: NumberOrSymbol
  /** plain text, e.g. `2·ReLU(-1 − x) + 3·ReLU(x − 2)` or `b·ReLU(β − x) + a·ReLU(x − α) + c` */
  formula: string
  /**
   * the line to paste into display math, e.g.
   * `h(x) = b \cdot \mathrm{ReLU}(\beta - x) + a \cdot \mathrm{ReLU}(x - \alpha) + c \qquad \text{assuming } \beta < \alpha`
   */
  latex: string
  /** with a symbolic input: the order of breakpoints assumed, where a symbol hides it (`β < α`) */
  assumptions?: string[]
}

/** A point (x, y) on the graph. */
export interface GraphPoint<T = number> { x: T, y: T }

export interface PiecewiseLinear<T extends NumberOrSymbol = number> {
  /** b₁ < … < b_n, at least one */
  breakpoints: readonly T[]
  /** s₀ … s_n: one per segment, breakpoints.length + 1 */
  slopes: readonly T[]
  /** a point the graph passes through; default (b₁, 0) */
  at?: GraphPoint<T>
}

/** The checked input, as linear forms. */
interface CheckedInput {
  breakpoints: LinearForm[]
  slopes: LinearForm[]
  anchor: GraphPoint<LinearForm>
  /** neighbours [b_{i−1}, b_i] whose order is assumed: at least one is a symbol */
  assumed: Array<[LinearForm, LinearForm]>
}

/** @throws {ImpossibleInputError} naming the first number of `values` that is not finite */
function requireFiniteNumbers (values: readonly NumberOrSymbol[], field: string): void {
  const bad = values.findIndex((v) => typeof v === 'number' && !Number.isFinite(v))
  if (bad >= 0) throw new ImpossibleInputError(`${field}[${bad}] must be finite, got ${values[bad]}`)
}

/**
 * The numbers among the breakpoints are checked increasing, each against the previous number
 * (order is transitive, so a symbol between two numbers does not excuse them); a pair with a
 * symbol is assumed in the order given. The same symbol twice cannot be in increasing order.
 * @throws {ImpossibleInputError} the rules of PiecewiseLinear
 */
function checkPiecewiseLinear ({ breakpoints, slopes, at }: PiecewiseLinear<NumberOrSymbol>): CheckedInput {
  if (breakpoints.length === 0) throw new ImpossibleInputError('breakpoints must have at least 1 entry, got 0')
  requireFiniteNumbers(breakpoints, 'breakpoints')
  requireFiniteNumbers(slopes, 'slopes')
  const forms = breakpoints.map((b, i) => LinearForm.of(b, `breakpoints[${i}]`))
  const assumed: Array<[LinearForm, LinearForm]> = []
  let lastNumber = -1
  for (let i = 0; i < forms.length; i++) {
    const b = breakpoints[i]
    if (typeof b === 'number') {
      if (lastNumber >= 0 && !(b > (breakpoints[lastNumber] as number))) {
        throw new ImpossibleInputError(`breakpoints must be strictly increasing: breakpoints[${i}] = ${b} is not greater than breakpoints[${lastNumber}] = ${breakpoints[lastNumber]}`)
      }
      lastNumber = i
    } else {
      const twin = forms.findIndex((form) => form.equals(forms[i]))
      if (twin < i) throw new ImpossibleInputError(`breakpoints must be strictly increasing: breakpoints[${twin}] and breakpoints[${i}] are both ${forms[i].format(PLAIN_SYMBOLS)}`)
    }
    if (i > 0 && (typeof b === 'string' || typeof breakpoints[i - 1] === 'string')) assumed.push([forms[i - 1], forms[i]])
  }
  if (slopes.length !== breakpoints.length + 1) {
    throw new ImpossibleInputError(`slopes must have breakpoints.length + 1 = ${breakpoints.length + 1} entries (one per segment), got ${slopes.length}`)
  }
  const point = at ?? { x: breakpoints[0], y: 0 }
  if ((typeof point.x === 'number' && !Number.isFinite(point.x)) || (typeof point.y === 'number' && !Number.isFinite(point.y))) {
    throw new ImpossibleInputError(`at must be a finite point, got (${point.x}, ${point.y})`)
  }
  return {
    breakpoints: forms,
    slopes: slopes.map((s, i) => LinearForm.of(s, `slopes[${i}]`)),
    anchor: { x: LinearForm.of(point.x, 'at.x'), y: LinearForm.of(point.y, 'at.y') },
    assumed
  }
}

/** @throws {ImpossibleInputError} when `value` is not finite, naming what it is */
function finiteOrThrow (value: number, what: string): number {
  if (!Number.isFinite(value)) throw new ImpossibleInputError(`${what} is not finite in float64 (${value}): the inputs are too large for the result to be represented`)
  return value
}

/** @throws {ImpossibleInputError} when a coefficient of `form` is not finite, naming what it is */
function finiteFormOrThrow (form: LinearForm, what: string): LinearForm {
  if (!form.isFinite) throw new ImpossibleInputError(`${what} is not finite in float64 (${form.format(PLAIN_SYMBOLS)}): the inputs are too large for the result to be represented`)
  return form
}

/** The positive part of a term's argument at a numeric x: what its coefficient multiplies. */
function activation ({ shift, reflected }: ReluTerm<number>, x: number): number {
  const argument = reflected ? shift - x : x - shift
  return argument > 0 ? argument : 0
}

function termValue (term: ReluTerm<number>, x: number): number {
  const argument = activation(term, x)
  return argument > 0 ? term.coefficient * argument : 0
}

interface Notation extends SymbolNotation { times: string, relu: string }

const PLAIN: Notation = { ...PLAIN_SYMBOLS, times: '·', relu: 'ReLU' }
// \mathrm, not \operatorname: KaTeX expands \operatorname as a macro and stops a formula at
// 1000 expansions (its maxExpand option's default, https://katex.org/docs/options), which a
// decomposition of a few hundred terms would reach.
const LATEX: Notation = { ...LATEX_SYMBOLS, times: ' \\cdot ', relu: '\\mathrm{ReLU}' }
/** A LaTeX formula with more terms is written a term per line (signedSum says why). */
const TERMS_PER_LINE = 8

function render (terms: ReadonlyArray<ReluTerm<LinearForm>>, constant: LinearForm, notation: Notation): string {
  const { number, minus, times, relu } = notation
  const argument = ({ shift, reflected }: ReluTerm<LinearForm>): string => {
    if (shift.isNumber) {
      const b = shift.constant
      if (reflected) return b === 0 ? `${minus}x` : `${number(b)} ${minus} x`
      if (b === 0) return 'x'
      return b > 0 ? `x ${minus} ${number(b)}` : `x + ${number(-b)}`
    }
    // A symbolic breakpoint is one signed symbol: β − x, −β − x; x − β, x + β.
    if (reflected) return `${shift.format(notation)} ${minus} x`
    return signedSum([{ negative: false, text: 'x' }, ...shift.times(-1).parts(notation)], minus)
  }
  const parts = terms.map((term): SignedPart => {
    const { coefficient } = term
    const unit = `${relu}(${argument(term)})`
    const pieces = coefficient.parts(notation)
    if (pieces.length === 1) {
      const [{ negative, text }] = pieces
      return { negative, text: coefficient.isNumber && Math.abs(coefficient.constant) === 1 ? unit : `${text}${times}${unit}` }
    }
    // A sum in parentheses, its leading minus taken out: −(a − c)·ReLU(…), not (−a + c)·ReLU(…).
    const negative = pieces[0].negative
    return { negative, text: `(${(negative ? coefficient.times(-1) : coefficient).format(notation)})${times}${unit}` }
  })
  if (parts.length === 0) return constant.format(notation)
  return signedSum([...parts, ...constant.parts(notation)], minus, notation === LATEX && parts.length > TERMS_PER_LINE ? '\n' : ' ')
}

/** A linear form as the answer gives it: a number when it is one, else its plain text. */
const answered = (form: LinearForm): NumberOrSymbol => form.isNumber ? form.constant : form.format(PLAIN)

/**
 * The ReLU form of the continuous piecewise-linear function (module comment).
 * @param f - breakpoints (strictly increasing, ≥ 1), slopes (breakpoints.length + 1), the
 *   anchor point `at` (default (b₁, 0)); numbers or symbols (linear-form.ts)
 * @returns the non-zero terms, the constant c with f(at.x) = at.y, and the formula as text and
 *   as the LaTeX line h(x) = … (numbers as shortest round-trip decimals; `1·` omitted; `− 3`,
 *   never `+ -3`; no `+ 0`); with a symbolic input, the assumed order of breakpoints
 * @throws {ImpossibleInputError} no breakpoint; a non-finite input; numeric breakpoints not
 *   strictly increasing (index and both values), or the same symbol twice;
 *   slopes.length ≠ breakpoints.length + 1 (both lengths); a symbolic breakpoint or at.x with
 *   at.x not the first breakpoint; a change of slope s_i − s_{i−1} or the constant c
 *   overflowing float64
 * @example reluDecomposition({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }).formula // '2·ReLU(-1 − x) + 3·ReLU(x − 2)'
 * @example reluDecomposition({ breakpoints: [0], slopes: [0, 1] }).formula // 'ReLU(x)'
 * @example reluDecomposition({ breakpoints: [0, 1], slopes: [0, 1, 0], at: { x: 5, y: -1 } }).formula // 'ReLU(x) − ReLU(x − 1) − 2'
 * @example reluDecomposition({ breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 'beta', y: 'c' } }).formula // 'b·ReLU(β − x) + a·ReLU(x − α) + c'
 * @example reluDecomposition({ breakpoints: ['beta', 'alpha'], slopes: ['-b', 'c', 'a'] }).terms[2] // { coefficient: 'a − c', shift: 'α', reflected: false }
 */
export function reluDecomposition (f: PiecewiseLinear<NumberOrSymbol>): ReluDecomposition {
  const { breakpoints, slopes, anchor, assumed } = checkPiecewiseLinear(f)
  const candidates: Array<ReluTerm<LinearForm>> = [
    { coefficient: slopes[0].times(-1), shift: breakpoints[0], reflected: true },
    { coefficient: slopes[1], shift: breakpoints[0], reflected: false }
  ]
  for (let i = 2; i < slopes.length; i++) {
    const change = finiteFormOrThrow(slopes[i].minus(slopes[i - 1]), `the change of slope at breakpoints[${i - 1}], slopes[${i}] − slopes[${i - 1}] = ${f.slopes[i]} − ${f.slopes[i - 1]},`)
    candidates.push({ coefficient: change, shift: breakpoints[i - 1], reflected: false })
  }
  const terms = candidates.filter((term) => !term.coefficient.isZero)
  const constant = finiteFormOrThrow(constantThrough(terms, breakpoints, anchor), `the constant c = y − Σ terms(x) at the point (${anchor.x.format(PLAIN)}, ${anchor.y.format(PLAIN)})`)
  const symbolic = [...f.breakpoints, ...f.slopes, ...(f.at === undefined ? [] : [f.at.x, f.at.y])].some((value) => typeof value === 'string')
  const assuming = (notation: Notation): string[] => assumed.map(([left, right]) => `${left.format(notation)} < ${right.format(notation)}`)
  const latexAssumptions = assuming(LATEX)
  return {
    terms: terms.map(({ coefficient, shift, reflected }) => ({ coefficient: answered(coefficient), shift: answered(shift), reflected })),
    constant: answered(constant),
    formula: render(terms, constant, PLAIN),
    latex: `h(x) = ${render(terms, constant, LATEX)}${latexAssumptions.length === 0 ? '' : ` \\qquad \\text{assuming } ${latexAssumptions.join(', ')}`}`,
    ...(symbolic && { assumptions: assuming(PLAIN) })
  }
}

/**
 * c = y − Σ terms(x) at the anchor point: y at b₁, where every term vanishes (the reflected
 * one and the first at b₁ itself, the others at b_i > b₁); else with numeric breakpoints and x,
 * each coefficient (a linear form) times its term's positive part there.
 * @throws {ImpossibleInputError} a symbol among the breakpoints or at.x, and at.x not b₁
 */
function constantThrough (terms: ReadonlyArray<ReluTerm<LinearForm>>, breakpoints: readonly LinearForm[], anchor: GraphPoint<LinearForm>): LinearForm {
  if (anchor.x.equals(breakpoints[0])) return anchor.y
  if (!anchor.x.isNumber || !breakpoints.every((b) => b.isNumber)) {
    throw new ImpossibleInputError(`at.x must be the first breakpoint, ${breakpoints[0].format(PLAIN)}, when a breakpoint or at.x is a symbol: there every term vanishes and c = at.y, while elsewhere which terms are on depends on the symbols (got at.x = ${anchor.x.format(PLAIN)}); with numbers for every breakpoint and at.x, any point will do`)
  }
  const x = anchor.x.constant
  const values = terms.map((term) => term.coefficient.times(activation({ coefficient: 0, shift: term.shift.constant, reflected: term.reflected }, x)))
  return anchor.y.minus(LinearForm.sum(values))
}

/** The terms and the constant as numbers, or a 422 when the answer is in symbols. */
function numeric (decomposition: Pick<ReluDecomposition, 'terms' | 'constant'>): { terms: Array<ReluTerm<number>>, constant: number } {
  const { terms, constant } = decomposition
  if (typeof constant === 'string' || terms.some((term) => typeof term.coefficient === 'string' || typeof term.shift === 'string')) {
    throw new ImpossibleInputError('x: evaluating f needs numbers, and this f is in symbols; give numbers for the breakpoints, the slopes and at, or leave out x')
  }
  return decomposition as { terms: Array<ReluTerm<number>>, constant: number }
}

/**
 * f(x) = c + Σ terms(x), from the ReLU form.
 * @throws {ImpossibleInputError} a symbolic decomposition, x non-finite, or f(x) overflowing
 *   float64
 * @example evaluateReluDecomposition(reluDecomposition({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }), 4) // 6
 */
export function evaluateReluDecomposition (decomposition: Pick<ReluDecomposition, 'terms' | 'constant'>, x: number): number {
  const { terms, constant } = numeric(decomposition)
  if (!Number.isFinite(x)) throw new ImpossibleInputError(`x must be finite, got ${x}`)
  return finiteOrThrow(compensatedSum([constant, ...terms.map((term) => termValue(term, x))]), `f(${x})`)
}

/**
 * f(x) directly from the slopes: at.y plus the integral of f′ from at.x to x, segment by
 * segment (the slope of each segment times the length of its overlap with [at.x, x]).
 * @throws {ImpossibleInputError} the rules of reluDecomposition's input, x non-finite, or f(x)
 *   overflowing float64
 * @example evaluatePiecewiseLinear({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }, -3) // 4
 */
export function evaluatePiecewiseLinear (f: PiecewiseLinear, x: number): number {
  checkPiecewiseLinear(f)
  const anchor = f.at ?? { x: f.breakpoints[0], y: 0 }
  if (!Number.isFinite(x)) throw new ImpossibleInputError(`x must be finite, got ${x}`)
  const { breakpoints, slopes } = f
  const from = Math.min(anchor.x, x)
  const to = Math.max(anchor.x, x)
  const direction = x >= anchor.x ? 1 : -1
  const pieces = [anchor.y]
  for (let j = 0; j < slopes.length; j++) {
    const left = Math.max(from, j === 0 ? -Infinity : breakpoints[j - 1])
    const right = Math.min(to, j === breakpoints.length ? Infinity : breakpoints[j])
    // A flat segment adds nothing, even over a span too long for float64.
    if (right > left && slopes[j] !== 0) pieces.push(direction * slopes[j] * (right - left))
  }
  return finiteOrThrow(compensatedSum(pieces), `f(${x})`)
}
