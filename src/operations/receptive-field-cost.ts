/** The cost estimate of /receptive-field, in nanoseconds (see `Operation.cost`). */
import { architectureElementCount } from './architecture-input.js'

/** Validation, the variable-size verdict and the response. */
const REQUEST_NS = 20_000
/**
 * Per layer: resolving it, its geometry (receptive field, jump, start, output shape) and its
 * entry in the answer, about a dozen pairs of numbers.
 */
const LAYER_NS = 2_000
/** Per character of an architecture string: the notation's scanner (a regular expression per token). */
const ARCHITECTURE_CHARACTER_NS = 60

export function receptiveFieldNanoseconds (input: { layers?: unknown[], architecture?: string }): number {
  const text = input.architecture ?? ''
  const layers = input.layers?.length ?? architectureElementCount(text)
  return REQUEST_NS + layers * LAYER_NS + text.length * ARCHITECTURE_CHARACTER_NS
}
