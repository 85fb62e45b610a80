/**
 * Pictures by content negotiation (RFC 9110 §12.5.1): the same POST with
 * `Accept: image/svg+xml` answers a self-contained SVG of the result (src/svg/) instead of JSON.
 */
import type { Static } from '@sinclair/typebox'
import type { receptiveFieldOperation } from '../operations/receptive-field.js'
import { convMatrixSvg, type ConvMatrixResponse } from '../svg/conv-matrix.js'
import { hvpSweepSvg, type HvpResponse } from '../svg/hvp-sweep.js'
import { receptiveFieldSvg, type ReceptiveFieldResponse } from '../svg/receptive-field.js'

export const SVG_TYPE = 'image/svg+xml'

/** Operation name → its picture, from the answer and the request body. */
export const PICTURES: Readonly<Record<string, (answer: unknown, body: unknown) => string>> = {
  hvp: (answer) => hvpSweepSvg(answer as HvpResponse),
  convMatrix: (answer) => convMatrixSvg(answer as ConvMatrixResponse),
  receptiveField: (answer, body) => receptiveFieldSvg(answer as ReceptiveFieldResponse, (body as Static<typeof receptiveFieldOperation.body>).input)
}

/** The q-value an Accept header gives `type` (its best matching range), 0 if none matches. */
function quality (accept: string, type: string): number {
  const [major] = type.split('/')
  let best = 0
  let bestSpecificity = -1
  for (const range of accept.split(',')) {
    const [media, ...parameters] = range.trim().toLowerCase().split(';')
    const specificity = media === type ? 2 : media === `${major}/*` ? 1 : media === '*/*' ? 0 : -1
    if (specificity <= bestSpecificity) continue
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='))
    best = q === undefined ? 1 : Number(q.slice(2)) || 0
    bestSpecificity = specificity
  }
  return best
}

/**
 * Whether the client would rather have SVG than JSON: the most specific range matching each
 * decides its q-value (RFC 9110 §12.5.1), and SVG must rank strictly higher, so `*∕*`, a
 * missing header and ties keep JSON, the service's default.
 */
export function prefersSvg (accept: string | undefined): boolean {
  if (accept === undefined) return false
  return quality(accept, SVG_TYPE) > quality(accept, 'application/json')
}
