/** The cost estimate of /param-count, in nanoseconds (see `Operation.cost`). */
import { architectureElementCount } from './architecture-input.js'

/** Validation, the Hessian's sizes (exact decimals through BigInt) and the response. */
const REQUEST_NS = 10_000
/** Per layer of an MLP (an entry of sizes): its counts and its entry in the answer. */
const MLP_LAYER_NS = 500
/** Per layer of an architecture: its output shape, its counts and its entry in the answer. */
const ARCHITECTURE_LAYER_NS = 2_500
/** Per character of an architecture string: the notation's scanner (a regular expression per token). */
const ARCHITECTURE_CHARACTER_NS = 30

export function paramCountNanoseconds (input: { sizes?: unknown[], architecture?: string }): number {
  const text = input.architecture ?? ''
  return REQUEST_NS + (input.sizes?.length ?? 0) * MLP_LAYER_NS +
    (text === '' ? 0 : architectureElementCount(text) * ARCHITECTURE_LAYER_NS + text.length * ARCHITECTURE_CHARACTER_NS)
}
