/**
 * The two ways a request describes a network — `layers` (JSON) or `architecture` (the
 * assignment's notation) — turned into one list of layer specs, with the layer-count limit.
 */
import { Type } from '@sinclair/typebox'
import { arrowCount, parseArchitecture } from '../math/architecture.js'
import { InvalidRequestError, LimitExceededError } from '../math/errors.js'
import { LAYER_TYPES, type LayerSpec } from '../math/layers.js'
import { toPair } from '../math/pair.js'
import type { Limits } from './limits.js'
import { MAX_DIMENSION, PairInput } from './schemas.js'

/** Longest architecture string: a few thousand characters is hundreds of layers. */
export const MAX_ARCHITECTURE_LENGTH = 20_000

export const ArchitectureNotation = Type.String({
  minLength: 1,
  maxLength: MAX_ARCHITECTURE_LENGTH,
  description: 'the assignment\'s notation, e.g. "Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output" ' +
    '(→ or ->; Conv-KxK, MaxPool-KxK, AvgPool-KxK, Global Avg. Pool, FC-N, FC-1 (Output), elementwise layers; ' +
    'settings such as Conv-3x3(stride=2, padding=1, dilation=2, out=16)). A syntax error is 400 with the position.'
})

export const LayerInput = Type.Object({
  type: Type.Union(LAYER_TYPES.map((type) => Type.Literal(type)), { title: 'LayerType', description: 'layer type; elementwise layers have kernel 1' }),
  kernel: Type.Optional(PairInput(1, MAX_DIMENSION, 'window size (required for conv and pooling)')),
  stride: Type.Optional(PairInput(1, MAX_DIMENSION, 'stride (conv default 1, pooling default = kernel)')),
  padding: Type.Optional(PairInput(0, MAX_DIMENSION, 'zero padding (default 0)')),
  dilation: Type.Optional(PairInput(1, MAX_DIMENSION, 'dilation (default 1)'))
}, { additionalProperties: false, title: 'Layer' })

/**
 * @throws {InvalidRequestError} unless exactly one of the two is given
 * @throws {LimitExceededError} over MAX_LAYERS
 */
export function layersFromRequest (
  body: { layers?: ReadonlyArray<{ type: LayerSpec['type'], kernel?: number | number[], stride?: number | number[], padding?: number | number[], dilation?: number | number[] }>, architecture?: string },
  limits: Limits
): LayerSpec[] {
  if ((body.layers === undefined) === (body.architecture === undefined)) {
    throw new InvalidRequestError('body must have exactly one of layers and architecture')
  }
  const layers: LayerSpec[] = body.architecture !== undefined
    ? parseArchitecture(body.architecture)
    : body.layers!.map((layer, index) => ({
      type: layer.type,
      name: `layers[${index}] (${layer.type})`,
      ...(layer.kernel !== undefined && { kernel: toPair(layer.kernel) }),
      ...(layer.stride !== undefined && { stride: toPair(layer.stride) }),
      ...(layer.padding !== undefined && { padding: toPair(layer.padding) }),
      ...(layer.dilation !== undefined && { dilation: toPair(layer.dilation) })
    }))
  checkLayerCount(layers.length, limits)
  return layers
}

/**
 * Elements of an architecture string counted by their arrows (→ or ->), without parsing it:
 * an upper bound on its layers (Image and Output are markers), for the cost estimates.
 */
export function architectureElementCount (text: string): number {
  return 1 + arrowCount(text)
}

/** @throws {LimitExceededError} over MAX_LAYERS */
export function checkLayerCount (count: number, limits: Limits): void {
  if (count > limits.maxLayers) {
    throw new LimitExceededError(`the network has ${count} layers, over the limit of ${limits.maxLayers} (MAX_LAYERS)`)
  }
}
