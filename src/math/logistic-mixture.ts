/**
 * A mixture of K logistic regressions as a neural network (question 2). With
 * z ~ Categorical(π₁, …, π_K) and y ∣ z, x ~ Bernoulli(σ(w_zᵀx)), marginalising z gives
 *
 *   p(y = 1 ∣ x) = Σ_k p(z = k)·p(y = 1 ∣ z = k, x) = Σ_k π_k·σ(w_kᵀx),
 *
 * the output of a network with input layer x ∈ ℝᵈ, one hidden layer of K sigmoid units
 * without bias (unit k has weights w_k), and one linear (identity) output unit without bias
 * whose weights are π — a convex combination of the hidden activations, so the output is a
 * probability with no output sigmoid needed.
 *
 * Accuracy: each w_kᵀx is formed as a double-double (Ogita–Rump–Oishi Dot2, compensated.ts),
 * σ is taken at hi + lo to first order, and the K non-negative terms π_k·σ_k are summed with
 * Neumaier's method, so the probability is within a few ulps of the exact value even for
 * logits near ±700 or dot products with heavy cancellation.
 */
import { compensatedSum, dotDoubleDouble, sigmoidDoubleDouble } from './compensated.js'
import { ImpossibleInputError, requireFiniteEntries } from './errors.js'

/**
 * |Σπ − 1| allowed. π is typed in by people: 1e-9 accepts probabilities written with 10
 * significant digits (e.g. 1/3 as 0.3333333333) and still rejects real mistakes. Far above the
 * rounding of Σπ itself (summed with Neumaier's method: ≈ ε, whatever K).
 */
export const PROBABILITY_SUM_TOLERANCE = 1e-9

/** Longest π for which `formula` spells every term out. */
const EXPANDED_TERMS = 8

export interface LogisticMixtureNetwork {
  input: { size: number }
  hidden: { units: number, activation: 'sigmoid', bias: false, weights: number[][] }
  output: { units: 1, activation: 'identity', bias: false, weights: number[] }
  formula: string
}

export interface LogisticMixtureResult {
  /** p(y = 1 ∣ x): a number for one input x, one per row for N inputs */
  probability: number | number[]
  network: LogisticMixtureNetwork
}

function isBatch (x: readonly number[] | ReadonlyArray<readonly number[]>): x is ReadonlyArray<readonly number[]> {
  return Array.isArray(x[0])
}

/**
 * @throws {ImpossibleInputError} π empty, an entry negative or non-finite, |Σπ − 1| over
 *   PROBABILITY_SUM_TOLERANCE
 */
function checkMixingProbabilities (pi: readonly number[]): void {
  if (pi.length === 0) throw new ImpossibleInputError('pi must have at least one entry (K ≥ 1 mixture components)')
  const bad = pi.findIndex((p) => !(p >= 0) || !Number.isFinite(p))
  if (bad >= 0) throw new ImpossibleInputError(`pi[${bad}] must be a probability (finite and ≥ 0), got ${pi[bad]}`)
  const sum = compensatedSum(pi)
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
    throw new ImpossibleInputError(`pi must sum to 1 (|Σπ − 1| ≤ ${PROBABILITY_SUM_TOLERANCE}), got Σπ = ${sum}`)
  }
}

/**
 * p(y = 1 ∣ x) = Σ_k π_k·σ(w_kᵀx) for one input, inputs already checked.
 */
function mixtureProbability (pi: readonly number[], weights: ReadonlyArray<readonly number[]>, x: readonly number[]): number {
  return compensatedSum(pi.map((p, k) => p * sigmoidDoubleDouble(dotDoubleDouble(weights[k], x))))
}

function mixtureFormula (pi: readonly number[], d: number): string {
  const sum = `p(y = 1 | x) = Σ_{k=1}^{${pi.length}} π_k·σ(w_kᵀx)`
  const terms = pi.length > EXPANDED_TERMS ? '' : ` = ${pi.map((p, k) => `${p}·σ(w_${k + 1}ᵀx)`).join(' + ')}`
  return `${sum}${terms}, x ∈ ℝ^${d}`
}

/**
 * p(y = 1 ∣ x) of a mixture of K logistic regressions, and the network that computes it.
 * @param pi - π, K mixing probabilities: each ≥ 0, |Σπ − 1| ≤ PROBABILITY_SUM_TOLERANCE
 * @param weights - K rows w_k of d numbers (finite)
 * @param x - one input (d numbers) or N inputs (N rows of d numbers), finite; `[]` is one
 *   input without features (rejected)
 * @returns `probability` a number for one input, an array of N for N inputs; `network`
 *   input size d, K sigmoid hidden units (weights = `weights`), an identity output unit
 *   (weights = π), no biases
 * @throws {ImpossibleInputError} π empty, negative, non-finite or not summing to 1 (the
 *   message gives Σπ); weights.length ≠ K; x without features; a row of x or of weights whose
 *   length differs from d (the message names the row and both lengths); a non-finite entry
 * @example logisticMixture([0.5, 0.5], [[1, 0], [0, 1]], [0, 0]).probability // 0.5
 * @example logisticMixture([0.25, 0.75], [[2, -1], [0.5, 0.5]], [1, 3]).probability // 0.7278331638259106
 * σ(−800) ≈ 3.7e-348 underflows:
 * @example logisticMixture([1], [[1]], [-800]).probability // 0
 */
export function logisticMixture (
  pi: readonly number[],
  weights: ReadonlyArray<readonly number[]>,
  x: readonly number[] | ReadonlyArray<readonly number[]>
): LogisticMixtureResult {
  checkMixingProbabilities(pi)
  if (weights.length !== pi.length) {
    throw new ImpossibleInputError(`weights has ${weights.length} rows but pi has ${pi.length} entries: one weight vector w_k per mixture component`)
  }
  const rows = isBatch(x) ? x : [x]
  const d = rows[0].length
  if (d === 0) throw new ImpossibleInputError('x must have at least one feature (d ≥ 1)')
  rows.forEach((row, n) => {
    if (row.length !== d) throw new ImpossibleInputError(`x[${n}] has ${row.length} entries; x[0] has ${d}: every input has the same d features`)
    requireFiniteEntries(row, isBatch(x) ? `x[${n}]` : 'x')
  })
  weights.forEach((w, k) => {
    if (w.length !== d) throw new ImpossibleInputError(`weights[${k}] has ${w.length} entries; x has ${d} features (w_kᵀx needs equal lengths)`)
    requireFiniteEntries(w, `weights[${k}]`)
  })
  const probabilities = rows.map((row) => mixtureProbability(pi, weights, row))
  return {
    probability: isBatch(x) ? probabilities : probabilities[0],
    network: {
      input: { size: d },
      hidden: { units: pi.length, activation: 'sigmoid', bias: false, weights: weights.map((w) => [...w]) },
      output: { units: 1, activation: 'identity', bias: false, weights: [...pi] },
      formula: mixtureFormula(pi, d)
    }
  }
}
