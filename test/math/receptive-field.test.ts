import t from 'tap'
import { parseArchitecture } from '../../src/math/architecture.js'
import { ImpossibleInputError } from '../../src/math/errors.js'
import type { LayerSpec } from '../../src/math/layers.js'
import type { Pair } from '../../src/math/pair.js'
import { receptiveField, resolveLayer } from '../../src/math/receptive-field.js'
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
