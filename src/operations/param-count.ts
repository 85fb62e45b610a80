import { Type } from '@sinclair/typebox'
import { parseArchitecture } from '../math/architecture.js'
import { ImpossibleInputError, InvalidRequestError } from '../math/errors.js'
import { architectureParameterCount, hessianSize, mlpParameterCount } from '../math/param-count.js'
import { ArchitectureNotation, checkLayerCount } from './architecture-input.js'
import { defineOperation } from './operation.js'
import { paramCountNanoseconds } from './param-count-cost.js'
import { MAX_DIMENSION } from './schemas.js'

/** Largest layer width of an MLP: 10⁶ features keeps every count below 2^53. */
export const MAX_FEATURES = 1_000_000

export const paramCountOperation = defineOperation({
  name: 'paramCount',
  path: '/param-count',
  summary: 'Parameter count of an MLP or CNN, and the size of its Hessian',
  description: 'Question 3.2. Counts as PyTorch: nn.Linear(in, out) has out·in + out, nn.Conv2d out·in·kh·kw + out, ' +
    'nn.BatchNorm2d(C) 2C. Give exactly one of sizes (an MLP) and architecture (with input [C, H, W]). ' +
    'The Hessian is n×n: entries n², unique n(n+1)/2, bytes in float32/float64, and n² as an exact decimal ' +
    '(it leaves the safe-integer range for n ≥ 94,906,266). Limit: MAX_LAYERS layers (default 1000).',
  questions: ['3.2'],
  body: Type.Object({
    sizes: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: MAX_FEATURES }), {
      minItems: 2, description: 'MLP layer widths sizes[0] → … → sizes[L], e.g. [32, 512, 512, 10]'
    })),
    bias: Type.Optional(Type.Boolean({ default: true, description: 'MLP layers have biases' })),
    architecture: Type.Optional(ArchitectureNotation),
    input: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: MAX_DIMENSION }), {
      minItems: 3, maxItems: 3, description: '[C, H, W] of the input, required with architecture'
    }))
  }, { additionalProperties: false }),
  response: Type.Object({
    total: Type.Integer({ description: 'number of parameters n' }),
    layers: Type.Array(Type.Object({
      name: Type.String(),
      weights: Type.Integer(),
      biases: Type.Integer(),
      params: Type.Integer(),
      outputShape: Type.Optional(Type.Array(Type.Integer(), { description: '[features] for an MLP layer, [C, H, W] for an architecture layer' }))
    }, { title: 'LayerParameters' })),
    hessian: Type.Object({
      shape: Type.Array(Type.Integer(), { minItems: 2, maxItems: 2, description: '[n, n]' }),
      entries: Type.Number({ description: 'n² (a double: exact below 2^53)' }),
      unique: Type.Number({ description: 'n(n+1)/2, the entries of a symmetric matrix' }),
      bytesFloat32: Type.Number({ description: '4n²' }),
      bytesFloat64: Type.Number({ description: '8n²' }),
      entriesExact: Type.String({ description: 'n² as an exact decimal' }),
      uniqueExact: Type.String({ description: 'n(n+1)/2 as an exact decimal' })
    }, { title: 'HessianSize' })
  }),
  examples: [
    { summary: 'question 3.2: 32 → 512 → 512 → 10 with biases', value: { sizes: [32, 512, 512, 10] } },
    { summary: 'question 4.2\'s CNN on a 3×32×32 image', value: { architecture: 'Image → Conv-5x5(out=16) → ReLU → Conv-5x5(out=32) → ReLU → Global Avg. Pool → FC-128 → FC-1 (Output)', input: [3, 32, 32] } }
  ],
  edgeCases: [
    { sizes: [3, 4], bias: false }
  ],
  cost: paramCountNanoseconds,
  costLadder: () => [
    { summary: 'an MLP 2 → 3', value: { sizes: [2, 3] } },
    { summary: 'question 3.2\'s MLP', value: { sizes: [32, 512, 512, 10] } },
    { summary: 'a CNN of four elements', value: { architecture: 'Conv-5x5(out=16) -> ReLU -> Global Avg. Pool -> FC-1', input: [3, 32, 32] } },
    { summary: '500 convolutions', value: { architecture: Array.from({ length: 500 }, () => 'Conv-3x3(padding=1, out=8)').join(' → '), input: [3, 32, 32] } }
  ],
  run (input, limits) {
    if ((input.sizes === undefined) === (input.architecture === undefined)) {
      throw new InvalidRequestError('body must have exactly one of sizes and architecture')
    }
    let count
    if (input.sizes !== undefined) {
      checkLayerCount(input.sizes.length - 1, limits)
      if (input.input !== undefined) throw new InvalidRequestError('input goes with architecture; an MLP\'s input width is sizes[0]')
      count = mlpParameterCount(input.sizes, input.bias ?? true)
    } else {
      if (input.bias !== undefined) throw new InvalidRequestError('bias goes with sizes; in an architecture write bias=false on a layer, as Conv-3x3(out=8, bias=false)')
      const layers = parseArchitecture(input.architecture!)
      checkLayerCount(layers.length, limits)
      if (input.input === undefined) throw new ImpossibleInputError('counting an architecture\'s parameters needs input: [C, H, W] (channels feed the first layer, H·W the first FC layer)')
      count = architectureParameterCount(layers, input.input as [number, number, number])
    }
    // A literal, not `{ ...count }`: object spread costs microseconds on Node 20 (receptive-field.ts).
    return { total: count.total, layers: count.layers, hessian: hessianSize(count.total) }
  }
})
