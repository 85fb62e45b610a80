/**
 * Pieces of the statements' Markdown (CommonMark) with LaTeX math between `$…$`, as KaTeX
 * renders it: numbers, vectors, matrices and code spans written from a variant's params.
 * Numbers keep a decimal point in both languages, as students must type them (a French text
 * would write 0,35, which the grader cannot read as a number).
 */

/**
 * A number in LaTeX: a small power of ten as one (a tolerance reads 10^{-5}, not 0.00001),
 * what JavaScript prints with an exponent in scientific notation (2.5 \times 10^{-7}), others
 * as JavaScript prints them.
 * @example texNumber(1e-5) // '10^{-5}'
 */
export function texNumber (value: number): string {
  const decade = Math.round(Math.log10(value))
  if (decade <= -4 && value === Number(`1e${decade}`)) return `10^{${decade}}`
  const exponent = /^(-?[\d.]+)e([+-]\d+)$/.exec(String(value))
  if (exponent === null) return String(value)
  const power = `10^{${Number(exponent[2])}}`
  if (exponent[1] === '1' || exponent[1] === '-1') return `${exponent[1].slice(0, -1)}${power}`
  return `${exponent[1]} \\times ${power}`
}

/** A vector as (1, 2, 3). */
export const texVector = (values: readonly number[]): string => `(${values.map(texNumber).join(', ')})`

/** A matrix, row by row, with pmatrix's parentheses. */
export const texMatrix = (rows: readonly (readonly number[])[]): string =>
  `\\begin{pmatrix} ${rows.map((row) => row.map(texNumber).join(' & ')).join(' \\\\ ')} \\end{pmatrix}`

/** A pair as people write an image size: 32 and [32, 32] are "32 \times 32". */
export const texSize = (pair: number | readonly number[]): string => (typeof pair === 'number' ? [pair, pair] : pair).map(texNumber).join(' \\times ')

/** A stride, a padding or a dilation: one number, or (height, width). */
export const texPair = (pair: number | readonly number[]): string => typeof pair === 'number' ? texNumber(pair) : texVector(pair)

/**
 * Text shown as code, whatever backticks it holds: CommonMark §6.1, a code span's fence is a
 * run of backticks longer than any run inside, with a space when the text starts or ends with one.
 */
export function code (text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}
