/**
 * Deterministic inputs of any size, for the operations' cost ladders (`Operation.costLadder`):
 * built when a ladder is asked for, never when a module loads.
 */
import { mlpParameterCount } from '../math/param-count.js'

/** n numbers in [−scale, scale]: scale·sin(1), scale·sin(2), … */
export const wave = (n: number, scale = 1): number[] => Array.from({ length: n }, (_, i) => scale * Math.sin(i + 1))

/** An n × n matrix whose rows are wave(n). */
export const squareMatrix = (n: number): number[][] => Array.from({ length: n }, () => wave(n))

/**
 * A symmetric positive-definite n × n matrix with eigenvalues near 1, 2, …, n: conjugate
 * gradients runs every iteration it is allowed on it.
 */
export const spreadSpectrum = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j ? 1 + i : 1e-3 * Math.cos(i + j)))

/** A tanh MLP with cross-entropy on `batch` inputs (every target class 0), with its point and direction. */
export function mlpProblem (sizes: number[], batch: number) {
  const n = mlpParameterCount(sizes).total
  return {
    model: { kind: 'mlp' as const, sizes, activation: 'tanh' as const, loss: 'cross-entropy' as const, inputs: Array.from({ length: batch }, () => wave(sizes[0])), targets: Array.from({ length: batch }, () => 0) },
    w: wave(n, 0.1),
    v: wave(n)
  }
}

/** A formula of `terms` terms sin(x·y + i) over x and y. */
export const formulaModel = (terms: number) => ({
  kind: 'expression' as const,
  expression: Array.from({ length: terms }, (_, i) => `sin(x*y + ${i})`).join(' + '),
  variables: ['x', 'y']
})
