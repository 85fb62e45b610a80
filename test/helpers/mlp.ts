/** Small MLP problems for comparing the matrix backends: every number a sine, so no two alike. */
import type { Activation } from '../../src/math/activations.js'
import type { MlpLoss, MlpSpec } from '../../src/math/mlp.js'

/** sin(seed + 0.37·i) for i < length. */
export const wave = (length: number, seed: number): number[] => Array.from({ length }, (_, i) => Math.sin(seed + 0.37 * i))

/** An MLP of these sizes on `batch` wave inputs, class targets for cross-entropy, wave rows for mse. */
export function waveMlp (sizes: readonly number[], batch: number, loss: MlpLoss, activation: Activation): MlpSpec {
  return {
    sizes,
    activation,
    loss,
    inputs: Array.from({ length: batch }, (_, b) => wave(sizes[0], b)),
    targets: loss === 'cross-entropy' ? Array.from({ length: batch }, (_, b) => b % sizes[sizes.length - 1]) : Array.from({ length: batch }, (_, b) => wave(sizes[sizes.length - 1], 10 + b))
  }
}
