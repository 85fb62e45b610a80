/**
 * The forms of an answer besides JSON: an SVG picture (the operations src/svg/pictures.ts
 * draws) and a LaTeX answer (every operation, src/latex/answers.ts). REST sends one instead of
 * JSON by content negotiation (RFC 9110 §12.5.1, src/http/pictures.ts); GraphQL has each as a
 * field of the result type (`svg`, `latex`), filled in when the query selects it. Either is
 * drawn where the answer was computed: on the main thread for an inline answer, else in the
 * worker, which sends the text instead of (or inside) the JSON.
 */
import { latexAnswer, LATEX_OPERATIONS } from './latex/answers.js'
import type { Limits } from './operations/limits.js'
import type { Operation } from './operations/operation.js'
import { PICTURES } from './svg/pictures.js'

export type Rendering = 'svg' | 'latex'

/** Each rendering's media type. `application/x-latex` is the type Apache's and nginx's mime.types give `.latex` files. */
export const RENDERING_TYPES: Readonly<Record<Rendering, string>> = { svg: 'image/svg+xml', latex: 'application/x-latex' }

/** What each rendering is, as openapi.yaml and the GraphQL schema describe it. */
export const RENDERING_DESCRIPTIONS: Readonly<Record<Rendering, string>> = {
  svg: 'a self-contained SVG picture of it',
  latex: 'the answer as LaTeX math for a write-up (amsmath, no preamble: paste it between \\[ and \\])'
}

/**
 * The renderings an operation offers, in the order a tie in Accept picks them: LaTeX first,
 * which every answer has, while some have no picture (an HVP without its sweep).
 */
export function renderingsOf (operation: Pick<Operation, 'name'>): Rendering[] {
  const renderings: Rendering[] = []
  if (LATEX_OPERATIONS.has(operation.name)) renderings.push('latex')
  if (PICTURES[operation.name] !== undefined) renderings.push('svg')
  return renderings
}

/**
 * The answer in that form.
 * @throws {LimitExceededError} (413) a picture or LaTeX answer over its own size limit
 * @throws {InvalidRequestError} (400) a picture of an answer that has nothing to draw (an HVP without its sweep)
 */
export function render (operation: Pick<Operation, 'name' | 'path'>, rendering: Rendering, answer: unknown, body: unknown, limits: Limits): string {
  return rendering === 'svg' ? PICTURES[operation.name](answer, body) : latexAnswer(operation.name, answer, body, limits, operation.path)
}

/** The JSON answer with the renderings asked for as fields of the same names, as GraphQL selects them. */
export function withRenderings (operation: Pick<Operation, 'name' | 'path'>, answer: unknown, body: unknown, limits: Limits, renderings: readonly Rendering[]): unknown {
  if (renderings.length === 0) return answer
  const fields = Object.fromEntries(renderings.map((rendering) => [rendering, render(operation, rendering, answer, body, limits)]))
  return { ...(answer as object), ...fields }
}
