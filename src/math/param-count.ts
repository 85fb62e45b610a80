/**
 * Parameter counts (question 3.2) and the size of the Hessian they imply.
 *
 * Counting follows PyTorch's modules: `nn.Linear(in, out)` has out·in weights and out biases;
 * `nn.Conv2d(in, out, (kh, kw))` has out·in·kh·kw weights and out biases; `nn.BatchNorm2d(C)`
 * has C weights (γ) and C biases (β) (running statistics are buffers, not parameters).
 * Activations, pooling, dropout and flatten have none. An FC layer after a spatial map
 * flattens it first (in = C·H·W), as `nn.Flatten` + `nn.Linear`.
 */
import { ImpossibleInputError } from './errors.js'
import type { LayerSpec } from './layers.js'
import { resolveLayer } from './receptive-field.js'
import { windowOutputSize } from './window.js'

export interface LayerParameters {
  name: string
  weights: number
  biases: number
  params: number
  /** [features] for an MLP layer; [C, H, W] for an architecture layer */
  outputShape: number[]
}

export interface ParameterCount {
  total: number
  layers: LayerParameters[]
}

export interface HessianSize {
  /** [n, n] */
  shape: [number, number]
  /** n², exact below 2^53 ≈ 9.0e15 (n < 94,906,266); see entriesExact beyond */
  entries: number
  /** n(n+1)/2: the Hessian is symmetric */
  unique: number
  bytesFloat32: number
  bytesFloat64: number
  /** n² as an exact decimal string */
  entriesExact: string
  /** n(n+1)/2 as an exact decimal string */
  uniqueExact: string
}

function checkSafe (total: number): number {
  if (!Number.isSafeInteger(total)) throw new ImpossibleInputError(`the parameter count ${total} exceeds 2^53 − 1, the largest integer a JSON number carries exactly`)
  return total
}

/**
 * An MLP `sizes[0] → sizes[1] → … → sizes[L]` of `nn.Linear` layers.
 * @example mlpParameterCount([32, 512, 512, 10]).total // 284682
 */
export function mlpParameterCount (sizes: readonly number[], bias = true): ParameterCount {
  const layers: LayerParameters[] = []
  for (let l = 1; l < sizes.length; l++) {
    const weights = sizes[l - 1] * sizes[l]
    const biases = bias ? sizes[l] : 0
    layers.push({ name: `Linear(${sizes[l - 1]} → ${sizes[l]})`, weights, biases, params: weights + biases, outputShape: [sizes[l]] })
  }
  return { total: checkSafe(layers.reduce((sum, layer) => sum + layer.params, 0)), layers }
}

/**
 * A CNN in the architecture notation, from an input [C, H, W]. In the example the conv has
 * 16·1·3·3 + 16 = 160 parameters and the FC layer 10·(16·3·3) + 10 = 1450.
 * @throws {ImpossibleInputError} for a conv without `out=` channels or an impossible shape
 * @example architectureParameterCount(parseArchitecture('Conv-3x3(out=16) → FC-10'), [1, 5, 5]).total // 1610
 */
export function architectureParameterCount (specs: readonly LayerSpec[], input: readonly [number, number, number]): ParameterCount {
  let [channels, height, width] = input
  const layers: LayerParameters[] = []
  for (const spec of specs) {
    const layer = resolveLayer(spec, [height, width])
    let weights = 0
    let biases = 0
    if (spec.type === 'conv') {
      const out = spec.out ?? fail(`${spec.name}: counting parameters needs the output channels, as in Conv-3x3(out=16)`)
      weights = out * channels * layer.kernel[0] * layer.kernel[1]
      biases = spec.bias === false ? 0 : out
      channels = out
    } else if (spec.type === 'batchnorm') {
      weights = channels
      biases = channels
    } else if (spec.type === 'fc') {
      const out = spec.out! // the notation requires FC-N, so the parser always sets it
      weights = out * channels * height * width
      biases = spec.bias === false ? 0 : out
      channels = out
    } else if (spec.type === 'flatten') {
      channels *= height * width
    }
    ;[height, width] = [0, 1].map((dim) => windowOutputSize({
      size: dim === 0 ? height : width,
      kernel: layer.kernel[dim],
      stride: layer.stride[dim],
      padding: layer.padding[dim],
      dilation: layer.dilation[dim]
    }, `${spec.name} (${dim === 0 ? 'height' : 'width'})`))
    layers.push({ name: spec.name, weights, biases, params: weights + biases, outputShape: [channels, height, width] })
  }
  return { total: checkSafe(layers.reduce((sum, layer) => sum + layer.params, 0)), layers }
}

function fail (message: string): never {
  throw new ImpossibleInputError(message)
}

/**
 * Size of the n×n Hessian of a model with n parameters.
 * @example hessianSize(284682).entriesExact // '81043841124'
 */
export function hessianSize (n: number): HessianSize {
  const exact = BigInt(n) * BigInt(n)
  const uniqueExact = BigInt(n) * BigInt(n + 1) / 2n
  const entries = Number(exact)
  return {
    shape: [n, n],
    entries,
    unique: Number(uniqueExact),
    bytesFloat32: 4 * entries,
    bytesFloat64: 8 * entries,
    entriesExact: exact.toString(),
    uniqueExact: uniqueExact.toString()
  }
}
