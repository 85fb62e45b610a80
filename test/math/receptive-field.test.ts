import fc from 'fast-check'
import t from 'tap'
import { parseArchitecture } from '../../src/math/architecture.js'
import { ImpossibleInputError } from '../../src/math/errors.js'
import type { LayerSpec } from '../../src/math/layers.js'
import type { Pair } from '../../src/math/pair.js'
import { receptiveField, resolveLayer, variableSizeInput } from '../../src/math/receptive-field.js'
import { MAX_DIMENSION } from '../../src/operations/schemas.js'
import { loadFixture } from '../helpers/fixtures.js'

interface Region { top: number, left: number, bottom: number, right: number }
interface ReceptiveFieldCase {
  name: string
  input: Pair
  layers: Array<{ type: LayerSpec['type'], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair }>
  pixel: Pair
  expected: { outputShape: Pair, layerOutputShapes: Pair[], receptiveField: Pair, jump: Pair, start: Pair, region: Region, clipped: Region }
}

t.test('matches PyTorch shapes, Distill recurrences and autograd regions', async (t) => {
  const fixture = loadFixture<ReceptiveFieldCase>('receptive-field')
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  for (const c of fixture.cases) {
    const specs = c.layers.map((layer, i) => ({ ...layer, name: `layers[${i}]` }))
    const result = receptiveField(specs, c.input, c.pixel)
    const { clipped, ...region } = result.region!
    t.strictSame({
      outputShape: result.outputShape,
      layerOutputShapes: result.layers.map((layer) => layer.outputShape),
      receptiveField: result.receptiveField,
      jump: result.jump,
      start: result.start,
      region,
      clipped
    }, c.expected, c.name)
  }
})

t.test('the assignment\'s questions', async (t) => {
  const q41 = receptiveField(parseArchitecture('Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output'), [32, 32])
  t.strictSame(q41.outputShape, [12, 12], '4.1: 32 → 30 → 28 → 14 → 12')
  t.equal(q41.sameAsInput, false)
  const q5 = receptiveField(parseArchitecture('Conv-3x3(padding=1, out=16) → Conv-3x3(padding=1, out=16) → Conv-3x3(padding=1, out=16) → Conv-3x3(padding=1, out=1)'), [32, 32], [0, 0])
  t.strictSame(q5.outputShape, [32, 32], '5.1: padding 1 keeps 32×32')
  t.equal(q5.sameAsInput, true)
  t.strictSame(q5.receptiveField, [9, 9], '5.3: 1 + 4·2 = 9')
  t.strictSame(q5.region, { top: -4, left: -4, bottom: 4, right: 4, clipped: { top: 0, left: 0, bottom: 4, right: 4 } })
})

t.test('without an input size there are no shapes', async (t) => {
  const result = receptiveField([{ type: 'conv', name: 'c', kernel: [3, 3] }, { type: 'conv', name: 'c', kernel: [3, 3] }], undefined, [5, 5])
  t.strictSame(result.receptiveField, [5, 5])
  t.equal(result.outputShape, undefined)
  t.equal(result.sameAsInput, undefined)
  t.strictSame(result.region, { top: 5, left: 5, bottom: 9, right: 9 }, 'centre start + i·jump = 2 + 5 = 7, half-width 2; no clipping without input')
})

t.test('global layers see the whole map', async (t) => {
  const result = receptiveField(parseArchitecture('Conv-5x5 → ReLU → Conv-5x5 → Global Avg. Pool → FC-128 → FC-1 (Output)'), [32, 40])
  t.strictSame(result.outputShape, [1, 1])
  t.strictSame(result.receptiveField, [32, 40], 'after global pooling every input pixel counts')
  const flatten = receptiveField([{ type: 'flatten', name: 'f' }], [6, 7])
  t.strictSame(flatten.layers[0].kernel, [6, 7])
  t.throws(() => receptiveField([{ type: 'globalavgpool', name: 'Global Avg. Pool' }]), /needs the input size; give input: \[H, W\]/)
})

t.test('defaults and rules', async (t) => {
  t.strictSame(resolveLayer({ type: 'maxpool', name: 'p', kernel: [2, 3] }, undefined).stride, [2, 3], 'pooling stride = kernel')
  t.strictSame(resolveLayer({ type: 'conv', name: 'c', kernel: [3, 3] }, undefined).stride, [1, 1], 'conv stride 1')
  t.strictSame(resolveLayer({ type: 'relu', name: 'r', kernel: [1, 1], padding: [0, 0] }, undefined).kernel, [1, 1], 'elementwise layers may spell out kernel 1')
  const impossible: Array<[LayerSpec, RegExp]> = [
    [{ type: 'conv', name: 'c' }, /c: a conv layer needs a kernel size/],
    [{ type: 'avgpool', name: 'a', kernel: [2, 2], dilation: [2, 2] }, /average pooling has no dilation/],
    [{ type: 'maxpool', name: 'm', kernel: [3, 3], padding: [2, 0] }, /pooling padding must be at most half the kernel \(PyTorch's rule\); got padding 2 for kernel 3/],
    [{ type: 'relu', name: 'r', kernel: [3, 3] }, /r: a relu layer has no kernel setting/],
    [{ type: 'batchnorm', name: 'b', padding: [1, 1] }, /has no padding setting/]
  ]
  for (const [spec, message] of impossible) t.throws(() => resolveLayer(spec, [8, 8]), message)
  t.throws(() => receptiveField([{ type: 'conv', name: 'Conv-5x5', kernel: [5, 5] }], [4, 8]), ImpossibleInputError)
  t.throws(() => receptiveField([{ type: 'conv', name: 'Conv-5x5', kernel: [5, 5] }], [4, 8]), /Conv-5x5 \(height\): kernel larger than the padded input/)
  t.throws(() => receptiveField([{ type: 'conv', name: 'c', kernel: [3, 3] }], [8, 8], [6, 0]), /pixel \[6, 0\] is outside the output of shape \[6, 6\]/)
})

t.test('values beyond 2^53 are refused rather than rounded', async (t) => {
  const deep = Array.from({ length: 60 }, () => ({ type: 'conv' as const, name: 'c', kernel: [3, 3] as Pair, stride: [2, 2] as Pair }))
  t.throws(() => receptiveField(deep), /exceeds 2\^53/)
})

t.test('variable-size inputs (questions 4.2 and 5.2)', async (t) => {
  const q42 = variableSizeInput(parseArchitecture('Conv-5x5 → ReLU → Conv-5x5 → ReLU → Global Avg. Pool → FC-128 → FC-1'), MAX_DIMENSION)
  t.equal(q42.accepted, true, '4.2: global average pooling before FC')
  t.strictSame(q42.minimumInput, [9, 9], 'two 5×5 convolutions need 1 + 4 + 4 = 9')
  t.match(q42.reason, /Global Avg\. Pool turns any C × H × W map into C features before FC-128/)

  const mlp = variableSizeInput(parseArchitecture('FC-128 → ReLU → FC-10'), MAX_DIMENSION)
  t.equal(mlp.accepted, false, 'an MLP')
  t.equal(mlp.minimumInput, undefined)
  t.match(mlp.reason, /^FC-128 comes first: .* an MLP takes inputs of one size only$/)

  const flattened = variableSizeInput(parseArchitecture('Conv-3x3 → ReLU → Flatten → FC-10'), MAX_DIMENSION)
  t.equal(flattened.accepted, false, 'Conv → Flatten → FC')
  t.equal(flattened.minimumInput, undefined)
  t.match(flattened.reason, /^FC-10 has one weight per input feature, .*a global pooling layer before it would free them$/, 'the FC layer decides, not Flatten')

  const late = variableSizeInput(parseArchitecture('Conv-3x3 → FC-10 → Global Max Pool'), MAX_DIMENSION)
  t.equal(late.accepted, false, 'global pooling after the FC layer does not free it')
  t.match(late.reason, /^FC-10 has one weight per input feature/)

  const fcn = variableSizeInput(parseArchitecture('Conv-3x3 → ReLU → MaxPool-2x2 → Conv-3x3(dilation=2) → Conv-1x1'), MAX_DIMENSION)
  t.equal(fcn.accepted, true, 'fully convolutional')
  t.match(fcn.reason, /^no FC layer: .*fully convolutional/)
  t.strictSame(fcn.minimumInput, [12, 12], 'conv n − 2, pool ⌊(n − 2)/2⌋, the dilated 3×3 spans 5: ⌊(n − 2)/2⌋ ≥ 5 from n = 12')
  t.doesNotThrow(() => receptiveField(parseArchitecture('Conv-3x3 → ReLU → MaxPool-2x2 → Conv-3x3(dilation=2) → Conv-1x1'), [12, 12]))
  t.throws(() => receptiveField(parseArchitecture('Conv-3x3 → ReLU → MaxPool-2x2 → Conv-3x3(dilation=2) → Conv-1x1'), [11, 12]), ImpossibleInputError)

  const rectangular = variableSizeInput([
    { type: 'conv', name: 'Conv-7x3', kernel: [7, 3] },
    { type: 'conv', name: 'Conv-1x5(stride=[1, 2])', kernel: [1, 5], stride: [1, 2] },
    { type: 'globalmaxpool', name: 'GMP' },
    { type: 'fc', name: 'FC-1' }
  ], MAX_DIMENSION)
  t.strictSame(rectangular.minimumInput, [7, 7], 'height 7; width 3 − 1 + 5 = 7')
  const tall = variableSizeInput([{ type: 'conv', name: 'Conv-9x2', kernel: [9, 2], padding: [1, 0] }, { type: 'maxpool', name: 'MaxPool-1x3', kernel: [1, 3] }], MAX_DIMENSION)
  t.strictSame(tall.minimumInput, [7, 4], 'height 9 − 2·1; width 2 − 1 + 3')

  const tooSmall = variableSizeInput(parseArchitecture('Conv-5x5 → Conv-5x5 → Conv-5x5'), 12)
  t.equal(tooSmall.accepted, true, 'the weights would take any size…')
  t.equal(tooSmall.minimumInput, undefined, '…but none up to maxSide fits')
  t.match(tooSmall.reason, /^no FC layer: .*; but no input up to 12 × 12 fits every window$/)
  t.strictSame(variableSizeInput(parseArchitecture('Conv-5x5 → Conv-5x5 → Conv-5x5'), 13).minimumInput, [13, 13], 'maxSide itself counts')
  const pooledAway = variableSizeInput(parseArchitecture('Conv-3x3 → Global Avg. Pool → Conv-3x3'), MAX_DIMENSION)
  t.equal(pooledAway.minimumInput, undefined, 'a 3×3 convolution after global pooling sees a 1×1 map at any input size')
  const pooledOnly = variableSizeInput(parseArchitecture('Conv-3x3 → Global Avg. Pool'), MAX_DIMENSION)
  t.match(pooledOnly, { accepted: true, reason: 'no FC layer, and Global Avg. Pool reduces any map to 1 × 1: the same weights serve every input size', minimumInput: [3, 3] }, 'no FC, global pooling: the output does not grow')
})

t.test('minimumInput is the smallest input receptiveField takes (brute force)', async (t) => {
  const MAX_SIDE = 80
  const pair = (max: number, min = 1) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })) as fc.Arbitrary<Pair>
  const conv = fc.record({ kernel: pair(5), stride: pair(3), padding: pair(2, 0), dilation: pair(2) }).map((l): LayerSpec => ({ type: 'conv', name: 'conv', ...l }))
  // PyTorch's pooling: padding at most half the kernel, no dilation for average pooling.
  const pool = fc.tuple(fc.constantFrom('maxpool' as const, 'avgpool' as const), pair(3, 2), pair(2)).map(([type, kernel, stride]): LayerSpec =>
    ({ type, name: type, kernel, stride, padding: [Math.floor(kernel[0] / 2), 0] }))
  const relu = fc.constant<LayerSpec>({ type: 'relu', name: 'relu' })
  const network = fc.array(fc.oneof(conv, conv, pool, relu), { minLength: 1, maxLength: 5 })
  const smallest = (specs: LayerSpec[], shape: (side: number) => Pair): number | undefined => {
    for (let side = 1; side <= MAX_SIDE; side++) {
      try {
        receptiveField(specs, shape(side))
        return side
      } catch (error) {
        if (!(error instanceof ImpossibleInputError)) throw error
      }
    }
    return undefined
  }
  let fitting = 0
  fc.assert(fc.property(network, (specs) => {
    const result = variableSizeInput(specs, MAX_SIDE)
    const height = smallest(specs, (side) => [side, MAX_SIDE])
    const width = smallest(specs, (side) => [MAX_SIDE, side])
    t.equal(result.accepted, true)
    if (height === undefined || width === undefined) {
      t.equal(result.minimumInput, undefined, 'nothing fits')
      return
    }
    fitting++
    t.strictSame(result.minimumInput, [height, width], JSON.stringify(specs))
  }), { seed: 20261129, numRuns: 60 })
  t.ok(fitting >= 30, `${fitting} of 60 networks fit in ${MAX_SIDE} × ${MAX_SIDE}`)
})

t.test('question 5.2: why the output has the input\'s size or not, and when that size is wanted', async (t) => {
  const { receptiveField, SAME_SIZE_USES } = await import('../../src/math/receptive-field.js')
  const conv = (padding: number): LayerSpec => ({ type: 'conv', name: `conv p${padding}`, kernel: [3, 3], padding: [padding, padding] })
  const same = receptiveField([conv(1), conv(1), conv(1), conv(1)], [32, 32])
  t.equal(same.sameAsInput, true)
  t.strictSame(same.sameSize, { reason: 'every layer keeps 32 × 32: stride 1 with padding (k′ − 1)/2 on each side ("same" padding)', uses: SAME_SIZE_USES })
  t.match(SAME_SIZE_USES, /segmentation.*denoising/)
  const cancelled = receptiveField([conv(2), conv(0)], [32, 32])
  t.equal(cancelled.sameAsInput, true)
  t.equal(cancelled.sameSize!.reason, 'conv p2 takes 32 × 32 to 34 × 34; conv p0 takes 34 × 34 to 32 × 32: the changes cancel out, and the output is 32 × 32 again')
  const shrinks = receptiveField([conv(0), conv(1), conv(0), conv(0), conv(0), conv(0)], [32, 32])
  t.equal(shrinks.sameAsInput, false)
  t.equal(shrinks.sameSize!.reason, 'conv p0 takes 32 × 32 to 30 × 30; conv p0 takes 30 × 30 to 28 × 28; conv p0 takes 28 × 28 to 26 × 26; 2 more: the output is 22 × 22, not 32 × 32 (keeping the size needs stride 1 and padding (k′ − 1)/2 at every layer)')
  t.equal(receptiveField([conv(0)], undefined).sameSize, undefined, 'no input size: nothing to compare')
})
