/** The cost estimate of /logistic-mixture, in nanoseconds (see `Operation.cost`). */
import { JSON_DOUBLE_NS } from './cost.js'

/** Validation of π and the response. */
const REQUEST_NS = 10_000
/** Per product w_k[i]·x[i]: a step of Ogita–Rump–Oishi's Dot2 (an exact product and a two-sum, about 20 flops). */
const PRODUCT_NS = 24
/** Per weight: the copy in `network.hidden.weights` and its double in the answer. */
const WEIGHT_NS = JSON_DOUBLE_NS + 10
/** Per input x_n: validation, the K-term compensated sum's arrays and p(y = 1 ∣ x_n), a double, in the answer. */
const INPUT_NS = 500 + JSON_DOUBLE_NS

export function logisticMixtureNanoseconds (input: { weights: number[][], x: number[] | number[][] }): number {
  const components = input.weights.length
  const features = input.weights[0].length
  const inputs = Array.isArray(input.x[0]) ? input.x.length : 1
  return REQUEST_NS + components * features * (inputs * PRODUCT_NS + WEIGHT_NS) + inputs * INPUT_NS
}
