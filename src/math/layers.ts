/**
 * The layer vocabulary shared by the architecture notation, receptive fields and parameter
 * counts. Type names follow the assignment's notation, lower-cased.
 */
import type { Pair } from './pair.js'

/** Layers that act on each position alone: kernel 1, stride 1, shape unchanged. */
export const ELEMENTWISE_TYPES = [
  'relu', 'leakyrelu', 'tanh', 'sigmoid', 'gelu', 'swish', 'silu', 'elu', 'softplus',
  'softmax', 'dropout', 'batchnorm', 'identity'
] as const

/** Layers with a spatial window. */
export const WINDOW_TYPES = ['conv', 'maxpool', 'avgpool'] as const

/** Layers whose window is the whole current feature map (output 1×1). */
export const GLOBAL_TYPES = ['globalavgpool', 'globalmaxpool', 'fc', 'flatten'] as const

export const LAYER_TYPES = [...WINDOW_TYPES, ...GLOBAL_TYPES, ...ELEMENTWISE_TYPES] as const
export type LayerType = typeof LAYER_TYPES[number]

/** A layer as written by the user (notation or JSON), before defaults are applied. */
export interface LayerSpec {
  type: LayerType
  /** how the user wrote it, e.g. "Conv-3x3(stride=2)" or "layers[2]" */
  name: string
  kernel?: Pair
  stride?: Pair
  padding?: Pair
  dilation?: Pair
  /** output channels of a conv, features of an FC layer */
  out?: number
  bias?: boolean
}

export function isWindowType (type: LayerType): type is typeof WINDOW_TYPES[number] {
  return (WINDOW_TYPES as readonly string[]).includes(type)
}

export function isGlobalType (type: LayerType): type is typeof GLOBAL_TYPES[number] {
  return (GLOBAL_TYPES as readonly string[]).includes(type)
}
