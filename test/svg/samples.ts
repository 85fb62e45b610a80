/**
 * Answers to draw: the operations' own examples run through `run`, the assignment's cases, and
 * answers built by hand where the edge lies outside what the operations return today (hostile
 * symbols and layer names: the pictures must not trust their input's strings).
 */
import { convMatrixOperation } from '../../src/operations/conv-matrix.js'
import { hvpOperation } from '../../src/operations/hvp.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { receptiveFieldOperation } from '../../src/operations/receptive-field.js'
import type { ConvMatrixResponse } from '../../src/svg/conv-matrix.js'
import type { HvpResponse } from '../../src/svg/hvp-sweep.js'
import type { ReceptiveFieldResponse } from '../../src/svg/receptive-field.js'

/** Strings that break naive SVG: markup, entities, quotes, a CDATA end, an event handler, controls, a lone surrogate. */
export const HOSTILE = [
  '<script>alert(1)</script>',
  '& &amp; &#x3c; "double" \'single\'',
  ']]> <![CDATA[ x ]]>',
  '</text></svg><svg onload="alert(1)">',
  'x" onmouseover="alert(1)',
  'tab\there\nnewline',
  'nul\u0000bell\u0007 lone\uD800 pair😀 \uFFFE'
]
/** What each hostile string reads as once parsed: the characters XML cannot carry become U+FFFD. */
// eslint-disable-next-line no-control-regex -- the control characters are the point: XML cannot carry them
export const HOSTILE_AS_READ = HOSTILE.map((s) => s.replace(/[\u0000\u0007\uFFFE]|\uD800(?![\uDC00-\uDFFF])/g, '\uFFFD'))

export const hvp = (body: unknown): HvpResponse => hvpOperation.run(body as never, DEFAULT_LIMITS)
export const convMatrix = (body: unknown): ConvMatrixResponse => convMatrixOperation.run(body as never, DEFAULT_LIMITS)
export const receptiveField = (body: unknown): ReceptiveFieldResponse => receptiveFieldOperation.run(body as never, DEFAULT_LIMITS)

export const HVP_MLP = () => hvp(hvpOperation.examples[2].value)
/** A quadratic: its differences are exact at r = 1 (error 0), and method central gives the step used. */
export const HVP_QUADRATIC = () => hvp({ model: { kind: 'quadratic', A: [[2, 1], [0, 3]], b: [1, -1] }, w: [1, 2], v: [1, 0], sweep: true, method: 'central' })

export const CONV_SYMBOLIC = () => convMatrix(convMatrixOperation.examples[0].value)
export const CONV_TRANSPOSED = () => convMatrix({ input: 2, kernelSize: 2, stride: 2, transposed: true })
export const CONV_NUMERIC = () => convMatrix({ input: [4, 4], kernel: [[1, -2, 0.5], [0, 3, -1], [2, 1, -3]], padding: 1 })
export const CONV_SPARSE = () => convMatrix({ input: [6, 6], kernel: [[1, -1], [0.5, 2]], format: 'sparse' })
export const CONV_HOSTILE = (): ConvMatrixResponse => ({
  outputShape: [1, HOSTILE.length],
  shape: [1, HOSTILE.length + 1],
  matrix: [[...HOSTILE, '0']]
})

export const RF_41 = () => receptiveField(receptiveFieldOperation.examples[0].value)
export const RF_53 = () => receptiveField(receptiveFieldOperation.examples[1].value)
export const RF_NO_INPUT = () => receptiveField(receptiveFieldOperation.examples.find((example) => example.summary === 'layers as JSON')!.value)
export const RF_PIXEL = () => receptiveField({ input: 32, architecture: 'Conv-3x3 -> ReLU -> MaxPool-2x2 -> Conv-3x3(padding=1)', pixel: [5, 9] })
export const RF_HOSTILE = (): ReceptiveFieldResponse => {
  const result = receptiveField({ input: 16, layers: HOSTILE.map(() => ({ type: 'conv', kernel: 3 })) })
  result.layers.forEach((layer, k) => { layer.name = HOSTILE[k] })
  return result
}
