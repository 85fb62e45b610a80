/**
 * The pictures of the operations that have one: operation name → the SVG of an answer, drawn
 * from the answer and the request body. Used by the REST door (src/http/pictures.ts) and by a
 * worker when the answer was computed there (src/runtime/worker.ts).
 */
import type { Static } from '@sinclair/typebox'
import type { receptiveFieldOperation } from '../operations/receptive-field.js'
import { convMatrixSvg, type ConvMatrixResponse } from './conv-matrix.js'
import { hvpSweepSvg, type HvpResponse } from './hvp-sweep.js'
import { receptiveFieldSvg, type ReceptiveFieldResponse } from './receptive-field.js'
import { spectralDensitySvg, type HessianSpectrumResponse } from './spectral-density.js'

export const PICTURES: Readonly<Record<string, (answer: unknown, body: unknown) => string>> = {
  hvp: (answer) => hvpSweepSvg(answer as HvpResponse),
  hessianSpectrum: (answer) => spectralDensitySvg(answer as HessianSpectrumResponse),
  convMatrix: (answer) => convMatrixSvg(answer as ConvMatrixResponse),
  receptiveField: (answer, body) => receptiveFieldSvg(answer as ReceptiveFieldResponse, (body as Static<typeof receptiveFieldOperation.body>).input)
}
