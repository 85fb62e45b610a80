/**
 * Linear forms c₀ + Σ c_k·s_k in named symbols, the coefficients float64: enough algebra to
 * answer in the assignment's letters (question 1.2's slopes −b, 0, a at β < α give the changes
 * of slope a − 0 and the reflected coefficient b) instead of only in numbers.
 *
 * A symbol is a Greek letter's name (alpha … omega) or one Latin letter other than x, the
 * variable of the function; a request may sign it (`-b`, `+a`). Plain text writes α and the
 * minus sign −; LaTeX writes \alpha and -. Omicron is not one: it is drawn as the Latin o (LaTeX
 * has no \omicron), so the two would read as one symbol.
 */
import { compensatedSum } from './compensated.js'
import { latexNumber } from './conv-matrix.js'
import { InvalidRequestError } from './errors.js'

/** The Greek letters' names and their plain-text letters, in the alphabet's order, but omicron. */
const GREEK: Readonly<Record<string, string>> = {
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: 'μ',
  nu: 'ν',
  xi: 'ξ',
  pi: 'π',
  rho: 'ρ',
  sigma: 'σ',
  tau: 'τ',
  upsilon: 'υ',
  phi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω'
}

/** A request's symbol: an optional sign, then a Greek letter's name or a Latin letter other than x. */
export const SYMBOL_PATTERN = `^[-+]?(?:${Object.keys(GREEK).join('|')}|[A-Za-wyz])$`
const SYMBOL = new RegExp(SYMBOL_PATTERN)

/** How numbers and symbols are written: plain text or LaTeX. */
export interface SymbolNotation {
  /** a number's magnitude, shortest round-trip digits */
  number: (value: number) => string
  minus: string
  symbol: (name: string) => string
  /** a number times a symbol: 2b, 2α; spaced where the number ends in an exponent */
  product: (number: string, symbol: string) => string
}

export const PLAIN_SYMBOLS: SymbolNotation = {
  number: String,
  minus: '−',
  symbol: (name) => GREEK[name] ?? name,
  // 1e+21b would read as a number with a b in it.
  product: (number, symbol) => /^[\d.]+$/.test(number) ? `${number}${symbol}` : `${number}·${symbol}`
}

export const LATEX_SYMBOLS: SymbolNotation = {
  number: latexNumber,
  minus: '-',
  symbol: (name) => name in GREEK ? `\\${name}` : name,
  product: (number, symbol) => number.includes('}') ? `${number} ${symbol}` : `${number}${symbol}`
}

/** One part of a sum with its sign taken out: −2b is { negative: true, text: '2b' }. */
export interface SignedPart { negative: boolean, text: string }

/**
 * Parts joined as a sum: a leading minus, then spaced binary operators (`− 3`, never `+ -3`).
 * @param before - the space before each operator: a newline keeps a long LaTeX formula's lines
 *   within what TeX reads in one line (its buffer of 200,000 characters), and reads as a space
 * @example signedSum([{ negative: true, text: 'a' }, { negative: true, text: '2' }], '−') // '−a − 2'
 */
export function signedSum (parts: readonly SignedPart[], minus: string, before = ' '): string {
  return parts.map(({ negative, text }, i) => {
    if (i === 0) return negative ? `${minus}${text}` : text
    return `${before}${negative ? minus : '+'} ${text}`
  }).join('')
}

/**
 * c₀ + Σ c_k·s_k. Immutable; a zero coefficient is dropped, so two equal forms have the same
 * symbols, in the order they first appeared (a − c stays a − c).
 */
export class LinearForm {
  readonly constant: number
  private readonly coefficients: ReadonlyMap<string, number>

  private constructor (constant: number, coefficients: Iterable<[string, number]>) {
    // + 0: a −0 is 0, in JSON and in the text.
    this.constant = constant + 0
    this.coefficients = new Map([...coefficients].filter(([, coefficient]) => coefficient !== 0))
  }

  static number (value: number): LinearForm {
    return new LinearForm(value, [])
  }

  /**
   * A request's value: a number, or a symbol (SYMBOL_PATTERN) with its sign.
   * @throws {InvalidRequestError} a string that is not a symbol, naming `field`
   * @example LinearForm.of('-beta', 'breakpoints[0]').format(PLAIN_SYMBOLS) // '−β'
   */
  static of (value: number | string, field: string): LinearForm {
    if (typeof value === 'number') return LinearForm.number(value)
    if (!SYMBOL.test(value)) throw new InvalidRequestError(`${field} must be a number or a symbol (a Greek letter's name, alpha … omega, or a Latin letter other than x, optionally signed), got ${JSON.stringify(value)}`)
    const negative = value.startsWith('-')
    return new LinearForm(0, [[value.replace(/^[-+]/, ''), negative ? -1 : 1]])
  }

  /**
   * Σ forms, each coefficient by a compensated sum (compensatedSum's error bound, per symbol).
   * @example LinearForm.sum([LinearForm.of('a', 'a'), LinearForm.of('-b', 'b'), LinearForm.number(1)]).format(PLAIN_SYMBOLS) // 'a − b + 1'
   */
  static sum (forms: readonly LinearForm[]): LinearForm {
    const symbols = [...new Set(forms.flatMap((form) => form.symbols))]
    return new LinearForm(
      compensatedSum(forms.map((form) => form.constant)),
      symbols.map((symbol) => [symbol, compensatedSum(forms.map((form) => form.coefficient(symbol)))])
    )
  }

  /** The symbols with a non-zero coefficient, in the order they first appeared. */
  get symbols (): string[] {
    return [...this.coefficients.keys()]
  }

  /** Whether the form is a number (no symbol). */
  get isNumber (): boolean {
    return this.coefficients.size === 0
  }

  get isZero (): boolean {
    return this.isNumber && this.constant === 0
  }

  /** Whether every coefficient and the constant are finite in float64. */
  get isFinite (): boolean {
    return Number.isFinite(this.constant) && [...this.coefficients.values()].every(Number.isFinite)
  }

  coefficient (symbol: string): number {
    return this.coefficients.get(symbol) ?? 0
  }

  /** this + other, one float64 addition per coefficient. */
  plus (other: LinearForm): LinearForm {
    const symbols = [...new Set([...this.symbols, ...other.symbols])]
    return new LinearForm(this.constant + other.constant, symbols.map((symbol) => [symbol, this.coefficient(symbol) + other.coefficient(symbol)]))
  }

  /**
   * this − other: one float64 subtraction per coefficient (a − b is exactly a + (−b)).
   * @example LinearForm.of('a', 'a').minus(LinearForm.of('c', 'c')).format(LATEX_SYMBOLS) // 'a - c'
   */
  minus (other: LinearForm): LinearForm {
    return this.plus(other.times(-1))
  }

  /** factor·this; an absent part stays absent (0·∞ is 0 here: a form without a number has none). */
  times (factor: number): LinearForm {
    return new LinearForm(this.constant === 0 ? 0 : this.constant * factor, [...this.coefficients].map(([symbol, coefficient]) => [symbol, coefficient * factor]))
  }

  equals (other: LinearForm): boolean {
    return this.constant === other.constant && this.coefficients.size === other.coefficients.size &&
      [...this.coefficients].every(([symbol, coefficient]) => other.coefficient(symbol) === coefficient)
  }

  /** The non-zero parts, the symbols first (coefficient 1 omitted), then the number. */
  parts (notation: SymbolNotation): SignedPart[] {
    const parts = [...this.coefficients].map(([symbol, coefficient]) => {
      const name = notation.symbol(symbol)
      const magnitude = Math.abs(coefficient)
      return { negative: coefficient < 0, text: magnitude === 1 ? name : notation.product(notation.number(magnitude), name) }
    })
    if (this.constant !== 0) parts.push({ negative: this.constant < 0, text: notation.number(Math.abs(this.constant)) })
    return parts
  }

  /**
   * The form alone: a number as the notation writes it (`-3`), else its parts as a sum.
   * @example LinearForm.of('b', 'b').times(2).plus(LinearForm.number(-3)).format(PLAIN_SYMBOLS) // '2b − 3'
   */
  format (notation: SymbolNotation): string {
    return this.isNumber ? notation.number(this.constant) : signedSum(this.parts(notation), notation.minus)
  }
}
