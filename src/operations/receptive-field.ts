import { Type } from '@sinclair/typebox'
import { toPair } from '../math/pair.js'
import { ImpossibleInputError } from '../math/errors.js'
import { receptiveField, variableSizeInput, type ReceptiveFieldResult } from '../math/receptive-field.js'
import { ArchitectureNotation, LayerInput, layersFromRequest } from './architecture-input.js'
import { defineOperation } from './operation.js'
import { receptiveFieldNanoseconds } from './receptive-field-cost.js'
import { MAX_DIMENSION, PairInput, PairOutput } from './schemas.js'

const Region = {
  top: Type.Number({ description: 'first input row, inclusive (negative: padding)' }),
  left: Type.Number({ description: 'first input column, inclusive' }),
  bottom: Type.Number({ description: 'last input row, inclusive' }),
  right: Type.Number({ description: 'last input column, inclusive' })
}
const Geometry = {
  receptiveField: PairOutput('size of the input region one output feature sees'),
  jump: PairOutput('effective stride: input distance between adjacent features'),
  start: PairOutput('input coordinate of the centre of the top-left feature\'s region (pixel centres at integers; may be a half-integer)', Type.Number()),
  outputShape: Type.Optional(PairOutput('[H, W] of the feature map, when input is given'))
}

export const receptiveFieldOperation = defineOperation({
  name: 'receptiveField',
  path: '/receptive-field',
  summary: 'Receptive field, jump, start and output shape of a CNN',
  description: 'Questions 4.1, 4.2, 5.1, 5.2, 5.3. Distill conventions (Araujo, Norris & Sim, 2019): r_l = r_{l−1} + (k′−1)·j_{l−1}, ' +
    'j_l = j_{l−1}·s, start_l = start_{l−1} + ((k′−1)/2 − p)·j_{l−1} with k′ = d(k−1)+1; height and width separately. ' +
    'Give exactly one of layers and architecture. Conv stride defaults to 1, pooling stride to its kernel, padding to 0, dilation to 1. ' +
    'Global pooling, flatten and FC cover the whole map and need input. Limit: MAX_LAYERS layers (default 1000).',
  questions: ['4.1', '4.2', '5.1', '5.2', '5.3'],
  body: Type.Object({
    input: Type.Optional(PairInput(1, MAX_DIMENSION, 'input image size [H, W]; gives output shapes')),
    layers: Type.Optional(Type.Array(LayerInput, { minItems: 1, description: 'the layers in order' })),
    architecture: Type.Optional(ArchitectureNotation),
    pixel: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: MAX_DIMENSION }), {
      minItems: 2, maxItems: 2, description: '[i, j] of one output feature: the response then carries its input region'
    }))
  }, { additionalProperties: false }),
  response: Type.Object({
    ...Geometry,
    sameAsInput: Type.Optional(Type.Boolean({ description: 'question 5.1: outputShape equals input' })),
    sameSize: Type.Optional(Type.Object({
      reason: Type.String({ description: 'the layers that change H × W (the first three), or that none does' }),
      uses: Type.String({ description: 'when one wants an output the input\'s size, and why: dense prediction' })
    }, { title: 'SameSize', description: 'question 5.2, when input is given: why the output has or has not the input\'s size, and when that size is wanted' })),
    layers: Type.Array(Type.Object({
      type: Type.String(),
      name: Type.String({ description: 'the layer as written' }),
      kernel: PairOutput('window size; global layers: the whole map'),
      stride: PairOutput('stride'),
      padding: PairOutput('padding'),
      dilation: PairOutput('dilation'),
      ...Geometry
    }, { title: 'LayerGeometry' }), { description: 'the geometry after every layer' }),
    variableSize: Type.Object({
      accepted: Type.Boolean({ description: 'one set of weights takes inputs of any size (at least minimumInput)' }),
      reason: Type.String({ description: 'the layer that decides it, and why' }),
      minimumInput: Type.Optional(PairOutput('the smallest [H, W] every window fits in, when accepted'))
    }, { title: 'VariableSize', description: 'question 4.2: whether the network accepts variable-size inputs (global pooling before the first FC or Flatten layer, or no FC at all)' }),
    region: Type.Optional(Type.Object({
      ...Region,
      clipped: Type.Optional(Type.Object(Region, { title: 'ClippedRegion', description: 'the region clipped to the image, when input is given' }))
    }, { title: 'Region', description: 'the input region of output feature pixel, inclusive bounds, unclipped' }))
  }),
  examples: [
    { summary: 'question 4.1', value: { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' } },
    { summary: 'questions 5.1, 5.2 and 5.3, with the region of the top-left feature', value: { input: 32, architecture: 'Conv-3x3(padding=1, out=16) -> Conv-3x3(padding=1, out=16) -> Conv-3x3(padding=1, out=16) -> Conv-3x3(padding=1, out=1)', pixel: [0, 0] } },
    { summary: 'question 4.2: global average pooling before FC, so any input size works', value: { input: 32, architecture: 'Conv-5x5 → ReLU → Conv-5x5 → ReLU → Global Avg. Pool → FC-128 → FC-1' } },
    { summary: 'layers as JSON', value: { layers: [{ type: 'conv', kernel: 3 }, { type: 'maxpool', kernel: 2 }, { type: 'conv', kernel: 3, dilation: 2 }] } }
  ],
  edgeCases: [
    { input: [20, 30], architecture: 'Conv-3x5(stride=2) → AvgPool-2 → Global Max Pool', pixel: [0, 0] }
  ],
  cost: receptiveFieldNanoseconds,
  costLadder: () => [
    { summary: 'one 3 × 3 convolution', value: { layers: [{ type: 'conv' as const, kernel: 3 }] } },
    { summary: 'question 4.1\'s network, in the notation', value: { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' } },
    { summary: '1,000 convolutions', value: { layers: Array.from({ length: 1000 }, () => ({ type: 'conv' as const, kernel: 3 })) } }
  ],
  run (input, limits) {
    const layers = layersFromRequest(input, limits)
    let result: ReceptiveFieldResult
    try {
      result = receptiveField(layers, input.input === undefined ? undefined : toPair(input.input), input.pixel === undefined ? undefined : toPair(input.pixel))
    } catch (error) {
      // An FC or global layer needs the input size for its receptive field, but question 4.2
      // (does it take inputs of any size?) needs none: answer it in the 422.
      if (!(error instanceof ImpossibleInputError) || input.input !== undefined) throw error
      const { accepted, reason } = variableSizeInput(layers, MAX_DIMENSION)
      throw new ImpossibleInputError(`${error.message}. Variable-size inputs, which need no input size: ${accepted ? 'accepted' : 'not accepted'}, ${reason}`)
    }
    // Assigned, not spread: object spread is slow on Node 20 (see src/math/receptive-field.ts).
    return Object.assign(result, { variableSize: variableSizeInput(layers, MAX_DIMENSION) })
  }
})
