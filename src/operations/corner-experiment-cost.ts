/** The cost estimate of /corner-experiment, in nanoseconds (see `Operation.cost`). */
import { CORNER_DEFAULT_EPOCHS } from '../math/corner-experiment.js'
import { finiteCost } from './cost.js'

/**
 * Per network, besides its epochs: the seeded initial weights, the first forward pass, the
 * receptive-field paths, the switching units and its part of the answer.
 */
const NETWORK_NS = 2_000_000
/**
 * Per epoch of one network: a forward and a backward pass of the four 3×3 convolutions over
 * the four 5×5 images (about 3 Mflop in scalar JavaScript) and an Adam step on its 4,945
 * parameters. A quarter above the time measured on a quiet machine (BENCHMARKS.md, "Cost
 * model"): this is the longest computation the service admits, and the machine is shared.
 */
const EPOCH_NS = 1_600_000

export function cornerExperimentNanoseconds (input: { residual?: boolean, epochs?: number }): number {
  const networks = input.residual === undefined ? 2 : 1
  return finiteCost(networks * (NETWORK_NS + (input.epochs ?? CORNER_DEFAULT_EPOCHS) * EPOCH_NS))
}
