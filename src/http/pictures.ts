/**
 * Renderings by content negotiation (RFC 9110 §12.5.1): the same POST with
 * `Accept: image/svg+xml` answers a self-contained SVG of the result (src/svg/), with
 * `Accept: application/x-latex` the LaTeX answer (src/latex/), instead of JSON.
 */
import { operations } from '../operations/index.js'
import { DEFAULT_LIMITS } from '../operations/limits.js'
import { RENDERING_TYPES, type Rendering } from '../renderings.js'
import { PICTURES } from '../svg/pictures.js'

export { PICTURES }

export const SVG_TYPE = RENDERING_TYPES.svg
export const LATEX_TYPE = RENDERING_TYPES.latex

/** The q-value an Accept header gives `type` (its best matching range), 0 if none matches. */
function quality (accept: string, type: string): number {
  const [major] = type.split('/')
  let best = 0
  let bestSpecificity = -1
  for (const range of accept.split(',')) {
    const [untrimmed, ...parameters] = range.toLowerCase().split(';')
    const media = untrimmed.trim() // RFC 9110 allows whitespace before ';'
    const specificity = media === type ? 2 : media === `${major}/*` ? 1 : media === '*/*' ? 0 : -1
    if (specificity <= bestSpecificity) continue
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='))
    best = q === undefined ? 1 : Number(q.slice(2)) || 0
    bestSpecificity = specificity
  }
  return best
}

/**
 * The rendering of `offered` the client would rather have than JSON, if any: the most specific
 * range matching each type decides its q-value (RFC 9110 §12.5.1), and a rendering must rank
 * strictly higher than JSON, so `*∕*`, `application/*`, a missing header and ties keep JSON,
 * the service's default; between two renderings a tie picks the first offered.
 */
export function preferredRendering (accept: string | undefined, offered: readonly Rendering[]): Rendering | undefined {
  if (accept === undefined) return undefined
  let best: Rendering | undefined
  let bestQuality = quality(accept, 'application/json')
  for (const rendering of offered) {
    const q = quality(accept, RENDERING_TYPES[rendering])
    if (q > bestQuality) {
      best = rendering
      bestQuality = q
    }
  }
  return best
}

/** Whether the client would rather have SVG than JSON (preferredRendering between the two). */
export function prefersSvg (accept: string | undefined): boolean {
  return preferredRendering(accept, ['svg']) === 'svg'
}

/** The pictures shown on the landing page and in docs/api.md (docs/pictures/, `npm run pictures`). */
export const PICTURE_EXAMPLES = [
  {
    file: 'hvp-sweep.svg',
    operation: 'hvp',
    caption: 'POST /hvp with sweep: true — forward and central differences against the step r (question 3.6)',
    body: { model: { kind: 'expression', expression: 'exp(x)*sin(y) + x^3*y', variables: ['x', 'y'] }, w: [0.5, 1], v: [1, -1], method: 'central', sweep: true }
  },
  {
    file: 'spectral-density.svg',
    operation: 'hessianSpectrum',
    caption: 'POST /hessian-spectrum with density: true — the Hessian\'s eigenvalue density of a small tanh MLP, its top eigenvalue marked (question 3.1)',
    body: { model: { kind: 'mlp', sizes: [2, 6, 2], activation: 'tanh', loss: 'cross-entropy', inputs: [[0.5, -1], [1.5, 0.25], [-0.3, 0.8], [1, 1]], targets: [0, 1, 1, 0] }, w: [0.3, -0.5, 0.8, 0.2, -0.6, 0.9, 0.4, -0.7, 1.1, -0.2, 0.5, 0.6, 0.1, -0.1, 0.2, 0, 0.05, -0.05, 0.7, -0.4, 0.9, -1, 0.3, 0.6, -0.8, 0.5, 0.2, -0.3, 0.1, -0.1, 0.4, -0.2], density: true, top: 2, points: 300 }
  },
  {
    file: 'conv-matrix.svg',
    operation: 'convMatrix',
    caption: 'POST /conv-matrix — question 4.3: a 3×3 kernel, stride 2, padding 1, on a 3×3 input',
    body: { input: 3, kernelSize: 3, stride: 2, padding: 1 }
  },
  {
    file: 'receptive-field.svg',
    operation: 'receptiveField',
    caption: 'POST /receptive-field — question 5.3: four padded 3×3 convolutions, the region of output pixel [0, 0]',
    body: { input: 12, architecture: 'Conv-3x3(padding=1) → Conv-3x3(padding=1) → Conv-3x3(padding=1) → Conv-3x3(padding=1)', pixel: [0, 0] }
  }
] as const

/** Each example rendered: what docs/pictures/ holds and the landing page shows. */
export function renderPictureExamples (): Array<{ file: string, caption: string, svg: string }> {
  return PICTURE_EXAMPLES.map(({ file, operation, caption, body }) => {
    const run = operations.find((entry) => entry.name === operation)!
    return { file, caption, svg: PICTURES[operation](run.run(body, DEFAULT_LIMITS), body) }
  })
}
