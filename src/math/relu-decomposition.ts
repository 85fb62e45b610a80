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
 * `evaluatePiecewiseLinear` evaluates f by walking the segments from the anchor point instead,
 * so tests compare two independent computations.
 */
import { compensatedSum } from './compensated.js'
import { latexNumber } from './conv-matrix.js'
import { ImpossibleInputError, requireFiniteEntries } from './errors.js'

/** coefficient·ReLU(shift − x) when `reflected`, otherwise coefficient·ReLU(x − shift). */
export interface ReluTerm {
  coefficient: number
  shift: number
  reflected: boolean
}

export interface ReluDecomposition {
  /** the non-zero terms, the reflected one (if any) first, then by increasing shift */
  terms: ReluTerm[]
  /** c */
  constant: number
  /** plain text, e.g. `2·ReLU(-1 − x) + 3·ReLU(x − 2) + 0` */
  formula: string
  /** the same in LaTeX, e.g. `2 \cdot \operatorname{ReLU}(-1 - x) + 3 \cdot \operatorname{ReLU}(x - 2) + 0` */
  latex: string
}

/** A point (x, y) on the graph. */
export interface GraphPoint { x: number, y: number }

export interface PiecewiseLinear {
  /** b₁ < … < b_n, at least one */
  breakpoints: readonly number[]
  /** s₀ … s_n: one per segment, breakpoints.length + 1 */
  slopes: readonly number[]
  /** a point the graph passes through; default (b₁, 0) */
  at?: GraphPoint
}

/**
 * @returns the anchor point (default (b₁, 0))
 * @throws {ImpossibleInputError} the rules of PiecewiseLinear
 */
function checkPiecewiseLinear ({ breakpoints, slopes, at }: PiecewiseLinear): GraphPoint {
  if (breakpoints.length === 0) throw new ImpossibleInputError('breakpoints must have at least 1 entry, got 0')
  requireFiniteEntries(breakpoints, 'breakpoints')
  requireFiniteEntries(slopes, 'slopes')
  for (let i = 1; i < breakpoints.length; i++) {
    if (!(breakpoints[i] > breakpoints[i - 1])) {
      throw new ImpossibleInputError(`breakpoints must be strictly increasing: breakpoints[${i}] = ${breakpoints[i]} is not greater than breakpoints[${i - 1}] = ${breakpoints[i - 1]}`)
    }
  }
  if (slopes.length !== breakpoints.length + 1) {
    throw new ImpossibleInputError(`slopes must have breakpoints.length + 1 = ${breakpoints.length + 1} entries (one per segment), got ${slopes.length}`)
  }
  const anchor = at ?? { x: breakpoints[0], y: 0 }
  if (!Number.isFinite(anchor.x) || !Number.isFinite(anchor.y)) {
    throw new ImpossibleInputError(`at must be a finite point, got (${anchor.x}, ${anchor.y})`)
  }
  return anchor
}

/** @throws {ImpossibleInputError} when `value` is not finite, naming what it is */
function finiteOrThrow (value: number, what: string): number {
  if (!Number.isFinite(value)) throw new ImpossibleInputError(`${what} is not finite in float64 (${value}): the inputs are too large for the result to be represented`)
  return value
}

function termValue ({ coefficient, shift, reflected }: ReluTerm, x: number): number {
  const argument = reflected ? shift - x : x - shift
  return argument > 0 ? coefficient * argument : 0
}

function sumOfTerms (terms: readonly ReluTerm[], x: number): number {
  return compensatedSum(terms.map((term) => termValue(term, x)))
}

/** Where the sign goes: a leading minus, or a spaced binary operator. */
function signed (value: number, first: boolean, minus: string): string {
  if (first) return value < 0 ? minus : ''
  return value < 0 ? ` ${minus} ` : ' + '
}

interface Notation { number: (n: number) => string, minus: string, times: string, relu: string }

const PLAIN: Notation = { number: String, minus: '−', times: '·', relu: 'ReLU' }
const LATEX: Notation = { number: latexNumber, minus: '-', times: ' \\cdot ', relu: '\\operatorname{ReLU}' }

function render (terms: readonly ReluTerm[], constant: number, notation: Notation): string {
  const { number, minus, times, relu } = notation
  const argument = ({ shift, reflected }: ReluTerm): string => {
    if (reflected) return shift === 0 ? `${minus}x` : `${number(shift)} ${minus} x`
    if (shift === 0) return 'x'
    return shift > 0 ? `x ${minus} ${number(shift)}` : `x + ${number(-shift)}`
  }
  const parts = terms.map((term, i) => {
    const magnitude = Math.abs(term.coefficient)
    const factor = magnitude === 1 ? '' : `${number(magnitude)}${times}`
    return `${signed(term.coefficient, i === 0, minus)}${factor}${relu}(${argument(term)})`
  })
  if (parts.length === 0) return number(constant)
  return `${parts.join('')}${signed(constant, false, minus)}${number(Math.abs(constant))}`
}

/**
 * The ReLU form of the continuous piecewise-linear function (module comment).
 * @param f - breakpoints (strictly increasing, ≥ 1), slopes (breakpoints.length + 1), the
 *   anchor point `at` (default (b₁, 0))
 * @returns the non-zero terms, the constant c with f(at.x) = at.y, and the formula as text and
 *   LaTeX (numbers as shortest round-trip decimals; `1·` omitted; `− 3`, never `+ -3`)
 * @throws {ImpossibleInputError} no breakpoint; a non-finite input; breakpoints not strictly
 *   increasing (index and both values); slopes.length ≠ breakpoints.length + 1 (both lengths);
 *   a change of slope s_i − s_{i−1} or the constant c overflowing float64
 * @example reluDecomposition({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }).formula // '2·ReLU(-1 − x) + 3·ReLU(x − 2) + 0'
 * @example reluDecomposition({ breakpoints: [0], slopes: [0, 1] }).formula // 'ReLU(x) + 0'
 * @example reluDecomposition({ breakpoints: [0, 1], slopes: [0, 1, 0], at: { x: 5, y: -1 } }).formula // 'ReLU(x) − ReLU(x − 1) − 2'
 */
export function reluDecomposition (f: PiecewiseLinear): ReluDecomposition {
  const anchor = checkPiecewiseLinear(f)
  const { breakpoints, slopes } = f
  const candidates: ReluTerm[] = [
    { coefficient: -slopes[0], shift: breakpoints[0], reflected: true },
    { coefficient: slopes[1], shift: breakpoints[0], reflected: false }
  ]
  for (let i = 2; i < slopes.length; i++) {
    const change = finiteOrThrow(slopes[i] - slopes[i - 1], `the change of slope at breakpoints[${i - 1}], slopes[${i}] − slopes[${i - 1}] = ${slopes[i]} − ${slopes[i - 1]},`)
    candidates.push({ coefficient: change, shift: breakpoints[i - 1], reflected: false })
  }
  const terms = candidates.filter((term) => term.coefficient !== 0)
  const constant = finiteOrThrow(compensatedSum([anchor.y, -sumOfTerms(terms, anchor.x)]), `the constant c = y − Σ terms(x) at the point (${anchor.x}, ${anchor.y})`) + 0
  return { terms, constant, formula: render(terms, constant, PLAIN), latex: render(terms, constant, LATEX) }
}

/**
 * f(x) = c + Σ terms(x), from the ReLU form.
 * @throws {ImpossibleInputError} x non-finite, or f(x) overflowing float64
 * @example evaluateReluDecomposition(reluDecomposition({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }), 4) // 6
 */
export function evaluateReluDecomposition (decomposition: Pick<ReluDecomposition, 'terms' | 'constant'>, x: number): number {
  if (!Number.isFinite(x)) throw new ImpossibleInputError(`x must be finite, got ${x}`)
  const terms = decomposition.terms.map((term) => termValue(term, x))
  return finiteOrThrow(compensatedSum([decomposition.constant, ...terms]), `f(${x})`)
}

/**
 * f(x) directly from the slopes: at.y plus the integral of f′ from at.x to x, segment by
 * segment (the slope of each segment times the length of its overlap with [at.x, x]).
 * @throws {ImpossibleInputError} the rules of reluDecomposition's input, x non-finite, or f(x)
 *   overflowing float64
 * @example evaluatePiecewiseLinear({ breakpoints: [-1, 2], slopes: [-2, 0, 3] }, -3) // 4
 */
export function evaluatePiecewiseLinear (f: PiecewiseLinear, x: number): number {
  const anchor = checkPiecewiseLinear(f)
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
