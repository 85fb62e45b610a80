/**
 * PrairieLearn's number-comparison rules, element-wise over vectors and matrices, so an
 * autograder gets the verdicts its staff already know from pl-number-input, pl-integer-input
 * and pl-matrix-input.
 *
 * Source: PrairieLearn's `prairielearn` Python package (is_correct_scalar_ra / _sf / _dd) and
 * the element docs, where the defaults are rtol = 1e-2, atol = 1e-8, digits = 2:
 * - relabs: |a − e| ≤ atol + rtol·|e|, NumPy's asymmetric isclose with e the reference;
 * - sigfig: a ∈ (e − ε, e + ε), ε = 0.51·10^−n, n = −⌊log10 |e|⌋ + digits − 1 (n = digits − 1
 *   when e = 0): 0.51 units of e's last significant digit, open interval;
 * - decdig: a ∈ (e − ε, e + ε), ε = 0.51·10^−digits;
 * - exact: a = e (pl-integer-input's rule, for integer answers).
 */
import { Type, type Static } from '@sinclair/typebox'

const Rtol = Type.Number({ minimum: 0, default: 1e-2, description: 'relative tolerance (PrairieLearn default 1e-2)' })
const Atol = Type.Number({ minimum: 0, default: 1e-8, description: 'absolute tolerance (PrairieLearn default 1e-8)' })
// 17 significant digits tell every double apart; more would only ask for digits float64 has not got.
const Digits = (minimum: number, description: string) => Type.Integer({ minimum, maximum: 17, default: 2, description })

const ComparisonBranches = [
  Type.Object({ mode: Type.Literal('relabs'), rtol: Type.Optional(Rtol), atol: Type.Optional(Atol) }, { additionalProperties: false }),
  Type.Object({ mode: Type.Literal('sigfig'), digits: Type.Optional(Digits(1, 'significant digits that must be right (PrairieLearn default 2)')) }, { additionalProperties: false }),
  Type.Object({ mode: Type.Literal('decdig'), digits: Type.Optional(Digits(0, 'digits after the decimal point that must be right (PrairieLearn default 2)')) }, { additionalProperties: false }),
  Type.Object({ mode: Type.Literal('exact') }, { additionalProperties: false })
]
const ComparisonUnion = Type.Union(ComparisonBranches)
/** A oneOf discriminated by `mode` (as the HVP's model by `kind`), so errors name the right branch. */
export const Comparison = Type.Unsafe<Static<typeof ComparisonUnion>>({
  type: 'object',
  oneOf: ComparisonUnion.anyOf,
  discriminator: { propertyName: 'mode' },
  title: 'Comparison',
  description: 'PrairieLearn\'s comparison: relabs (|a − e| ≤ atol + rtol·|e|), sigfig or decdig (0.51 units of the last required digit of e), or exact'
})
export type Comparison = Static<typeof Comparison>

/** A comparison with PrairieLearn's defaults filled in: what a grade reports it used. */
export type ResolvedComparison =
  | { mode: 'relabs', rtol: number, atol: number }
  | { mode: 'sigfig' | 'decdig', digits: number }
  | { mode: 'exact' }

export function resolveComparison (comparison: Comparison): ResolvedComparison {
  switch (comparison.mode) {
    case 'relabs': return { mode: 'relabs', rtol: comparison.rtol ?? 1e-2, atol: comparison.atol ?? 1e-8 }
    case 'sigfig':
    case 'decdig': return { mode: comparison.mode, digits: comparison.digits ?? 2 }
    case 'exact': return { mode: 'exact' }
  }
}

/** The open window (e − ε, e + ε) of sigfig and decdig: ε. */
export function digitTolerance (expected: number, comparison: { mode: 'sigfig' | 'decdig', digits: number }): number {
  let n = comparison.digits
  if (comparison.mode === 'sigfig') {
    n = expected === 0 ? comparison.digits - 1 : -Math.floor(Math.log10(Math.abs(expected))) + comparison.digits - 1
  }
  // 10^−n correctly rounded, as Python's 10**-n: V8's 10 ** -4 is 0.00009999999999999999, one
  // ulp off, which moves the window's edge (test/fixtures/comparison.json caught it). Parsing
  // a decimal literal is correctly rounded for every n.
  return 0.51 * Number(`1e${-n}`)
}

/**
 * One number against its reference.
 *
 * @example isClose(1.2290, 1.234, { mode: 'sigfig', digits: 3 }) // true: the window is (1.2289, 1.2391)
 */
export function isClose (answer: number, expected: number, comparison: ResolvedComparison): boolean {
  switch (comparison.mode) {
    case 'relabs':
      return Math.abs(answer - expected) <= comparison.atol + comparison.rtol * Math.abs(expected)
    case 'sigfig':
    case 'decdig': {
      const epsilon = digitTolerance(expected, comparison)
      return answer > expected - epsilon && answer < expected + epsilon
    }
    case 'exact':
      return answer === expected
  }
}
