/**
 * The pieces of a LaTeX answer (`Accept: application/x-latex`, GraphQL's `latex`): math a
 * student pastes between `\[` and `\]` of a write-up that loads amsmath and nothing else
 * (the assignment's template). So only base LaTeX and amsmath commands, each one KaTeX knows
 * too (https://katex.org/docs/supported), and only ASCII: pdfLaTeX's default fonts have no
 * glyph for `×` or `→` in text, and KaTeX's strict mode refuses Unicode in math.
 *
 * KaTeX expands some commands as macros (`\operatorname`, `\,`, `\quad`) and stops a formula
 * at 1000 expansions by default (its maxExpand option): none is written once per entry.
 *
 * Text in an answer can come from the request (layer names of an architecture), so it only
 * ever goes in through `text`, which escapes what LaTeX would read as a command.
 */
import { latexBmatrix, latexNumber } from '../math/conv-matrix.js'
import { LimitExceededError } from '../math/errors.js'

export { latexNumber }

/** What pdfLaTeX cannot print in text as written, in ASCII the reader recognises. */
const ASCII: Record<string, string> = { '×': 'x', '→': '->', '−': '-', '′': "'", '…': '...', '·': '.', '–': '-', '—': '-', '≤': '<=', '≥': '>=', π: 'pi', σ: 'sigma' }
/**
 * LaTeX's special characters in text mode, as commands both LaTeX and KaTeX print; and `<`,
 * `>` and `|`, which the OT1 font encoding pdfLaTeX uses by default prints as ¡, ¿ and —.
 */
const SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}', '{': '\\{', '}': '\\}', $: '\\$', '&': '\\&', '#': '\\#', _: '\\_', '%': '\\%', '^': '\\textasciicircum{}', '~': '\\textasciitilde{}', '<': '\\textless{}', '>': '\\textgreater{}', '|': '\\textbar{}'
}

/**
 * `\text{…}` of any string: LaTeX's special characters escaped, what has no ASCII form in
 * ASCII or `?`, control characters dropped.
 * @example text('Conv-3x3 (out=16) & 50 %') // '\\text{Conv-3x3 (out=16) \\& 50 \\%}'
 */
export function text (value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const ascii = value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[^\u0020-\u007e]/gu, (c) => ASCII[c] ?? '?')
  return `\\text{${ascii.replace(/[\\{}$&#_%^~<>|]/g, (c) => SPECIAL[c])}}`
}

/** A number, or a value float64 could not hold (sent as null in JSON, with a warning). */
export function entry (value: number | null): string {
  return value === null ? text('(not finite)') : latexNumber(value)
}

/**
 * Bounds what one answer typesets: a matrix or a table past this many cells is for reading
 * as JSON, not for a write-up, and building it would cost the main thread or a worker for
 * nothing. Counted before each piece is built.
 */
export class LatexBudget {
  private used = 0
  constructor (private readonly maxEntries: number, private readonly path: string) {}

  /**
   * @throws {LimitExceededError} (413) when `entries` more would pass LATEX_MAX_ENTRIES
   */
  spend (entries: number, what: string): void {
    this.used += entries
    if (this.used > this.maxEntries) {
      throw new LimitExceededError(`the LaTeX answer would typeset ${this.used} numbers or cells (${what} among them), over the limit of ${this.maxEntries} (LATEX_MAX_ENTRIES): ask POST ${this.path} for JSON, or send a smaller input`)
    }
  }
}

/** Cells already in LaTeX as a bracketed matrix (latexBmatrix: `bmatrix`, or an array beyond 10 columns). */
export const matrix = latexBmatrix

/** A matrix of numbers, counted against the budget. */
export function numberMatrix (rows: ReadonlyArray<ReadonlyArray<number | null>>, budget: LatexBudget, what: string): string {
  budget.spend(rows.reduce((sum, row) => sum + row.length, 0), what)
  return matrix(rows.map((row) => row.map(entry)))
}

/**
 * A table as an `array`: a header row of text, a rule, one row per item; `align` is the
 * column specification (`l` for names, `r` for numbers).
 */
export function table (align: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>, budget: LatexBudget, what: string): string {
  budget.spend(rows.length * header.length, what)
  return `\\begin{array}{${align}}\n${header.join(' & ')} \\\\\n\\hline\n${rows.map((row) => row.join(' & ')).join(' \\\\\n')}\n\\end{array}`
}

/** Lines aligned at `&` (amsmath's `aligned`), one equation or statement per line. */
export function aligned (lines: readonly string[]): string {
  return `\\begin{aligned}\n${lines.join(' \\\\\n')}\n\\end{aligned}`
}

/** `a \times b`: a shape as the assignment writes it (`32 \times 32`). */
export function shape (sizes: readonly unknown[]): string {
  return sizes.map((size) => latexNumber(size as number)).join(' \\times ')
}
