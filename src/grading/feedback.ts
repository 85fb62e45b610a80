/**
 * A student's answer against the reference: read as numbers the way PrairieLearn's
 * pl-number-input reads a submission, compared element-wise, and explained in the student's
 * language. Pure: it runs in a worker as well as inline.
 */
import { describeValue } from '../validation.js'
import { isClose, type ResolvedComparison } from './comparison.js'
import { frenchSpacing, type Language, type Localized } from './language.js'
import type { Answer } from './questions.js'

type Nested = number | Nested[]

/** What a value is, for a student (the English is the validation messages' own); never undefined (flatten says so first). */
function describeFrench (value: unknown): string {
  if (typeof value === 'string') return `la chaîne ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value} (un nombre hors de float64, p. ex. 1e999)`
  if (Array.isArray(value)) return 'une liste'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'un objet' : String(value)
}

/** Every sentence of the feedback, in each language. */
interface Messages {
  at: (path: string) => string
  describe: (value: unknown) => string
  number: string
  list: (count: number) => string
  matrix: (rows: number, columns: number) => string
  noAnswer: string
  notANumber: (at: string, got: string) => string
  decimalComma: string
  notFinite: (at: string, got: string) => string
  notAList: (at: string, count: number, got: string) => string
  entries: (at: string, count: number, got: number) => string
  invalid: (shape: string, problem: string) => string
  correct: (entries: number, rule: string) => string
  /** @param first - the first entry off and the student's value there */
  incorrect: (first: string, wrong: number, entries: number, rule: string) => string
  rule: (comparison: ResolvedComparison) => string
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`

const MESSAGES: Localized<Messages> = {
  en: {
    at: (path) => path === '' ? 'the answer' : `entry ${path}`,
    describe: describeValue,
    number: 'a number',
    list: (count) => `a list of ${plural(count, 'number', 'numbers')}`,
    matrix: (rows, columns) => `a ${rows} × ${columns} matrix (a list of ${plural(rows, 'row', 'rows')} of ${plural(columns, 'number', 'numbers')})`,
    noAnswer: 'no answer was given',
    notANumber: (at, got) => `${at} must be a number, got ${got}`,
    decimalComma: ': write it with a point for decimals and no thousands separator (284682, 0.4988, 2.5e-3)',
    notFinite: (at, got) => `${at} must be a finite number, got ${got}`,
    notAList: (at, count, got) => `${at} must be a list of ${count}, got ${got}`,
    entries: (at, count, got) => `${at} must have ${plural(count, 'entry', 'entries')}, got ${got}`,
    invalid: (shape, problem) => `invalid, expected ${shape}: ${problem}`,
    correct: (entries, rule) => `correct${entries === 1 ? '' : ` (${entries} entries)`}, ${rule}`,
    incorrect: (first, wrong, entries, rule) => entries === 1
      ? `incorrect: ${first}, is off (${rule})`
      : `incorrect: ${wrong} of ${entries} entries ${wrong === 1 ? 'is' : 'are'} off, the first: ${first}, is off (${rule})`,
    rule: (comparison) => {
      switch (comparison.mode) {
        case 'relabs': return `relabs, rtol = ${comparison.rtol}, atol = ${comparison.atol}`
        case 'sigfig': return `sigfig, ${plural(comparison.digits, 'significant digit', 'significant digits')}`
        case 'decdig': return `decdig, ${plural(comparison.digits, 'decimal digit', 'decimal digits')}`
        case 'exact': return 'exact'
      }
    }
  },
  fr: {
    at: (path) => path === '' ? 'la réponse' : `l’entrée ${path}`,
    describe: describeFrench,
    number: 'un nombre',
    list: (count) => `une liste de ${plural(count, 'nombre', 'nombres')}`,
    matrix: (rows, columns) => `une matrice ${rows} × ${columns} (une liste de ${plural(rows, 'ligne', 'lignes')} de ${plural(columns, 'nombre', 'nombres')})`,
    noAnswer: 'aucune réponse n’a été donnée',
    notANumber: (at, got) => `${at} doit être un nombre, et non ${got}`,
    decimalComma: ' : écrivez-le avec un point décimal et sans séparateur de milliers (284682, 0.4988, 2.5e-3)',
    notFinite: (at, got) => `${at} doit être un nombre fini, et non ${got}`,
    notAList: (at, count, got) => `${at} doit être une liste de ${count}, et non ${got}`,
    entries: (at, count, got) => `${at} doit avoir ${plural(count, 'entrée', 'entrées')}, et non ${got}`,
    invalid: (shape, problem) => `invalide, attendu ${shape} : ${problem}`,
    correct: (entries, rule) => `correct${entries === 1 ? '' : ` (${entries} entrées)`}, ${rule}`,
    incorrect: (first, wrong, entries, rule) => entries === 1
      ? `incorrect : ${first}, ne correspond pas (${rule})`
      : `incorrect : ${wrong === 1 ? `1 entrée sur ${entries} ne correspond pas, la voici` : `${wrong} entrées sur ${entries} ne correspondent pas, la première`} : ${first} (${rule})`,
    rule: (comparison) => {
      switch (comparison.mode) {
        case 'relabs': return `relabs, rtol = ${comparison.rtol}, atol = ${comparison.atol}`
        case 'sigfig': return `sigfig, ${plural(comparison.digits, 'chiffre significatif', 'chiffres significatifs')}`
        case 'decdig': return `decdig, ${plural(comparison.digits, 'décimale', 'décimales')}`
        case 'exact': return 'comparaison exacte'
      }
    }
  }
}

function shapeText (expected: Answer, text: Messages): string {
  if (typeof expected === 'number') return text.number
  if (expected.length > 0 && Array.isArray(expected[0])) return text.matrix(expected.length, expected[0].length)
  return text.list(expected.length)
}

/**
 * A number as a student types it: a string that reads as a plain decimal number, optionally
 * signed, with an exponent (`"284682"`, `"-0.4988"`, `"2.5e-3"`, white space around it
 * allowed), is that number, as PrairieLearn's pl-number-input reads a submission. Anything
 * else (`"284,682"`, `"0,4988"`, `"1/2"`, `"Infinity"`) cannot be read: the answer is invalid.
 */
export function readNumber (text: string): number | undefined {
  // One way to match each digit (no backtracking blow-up on a long answer), and a length no
  // typed number needs.
  if (text.length > 100 || !/^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(text)) return undefined
  const number = Number(text)
  return Number.isFinite(number) ? number : undefined
}

/**
 * The answer's numbers in the expected answer's order, or what is wrong with its shape.
 * JSON.parse turns 1e999 into Infinity, so a number can still be non-finite here.
 */
function flatten (answer: unknown, expected: Nested, path: string, into: number[], text: Messages): string | undefined {
  if (answer === undefined) return text.noAnswer
  if (typeof expected === 'number') {
    if (typeof answer === 'string') {
      const number = readNumber(answer)
      if (number !== undefined) {
        into.push(number)
        return undefined
      }
      return `${text.notANumber(text.at(path), text.describe(answer))}${answer.includes(',') ? text.decimalComma : ''}`
    }
    if (typeof answer !== 'number') return text.notANumber(text.at(path), text.describe(answer))
    if (!Number.isFinite(answer)) return text.notFinite(text.at(path), text.describe(answer))
    into.push(answer)
    return undefined
  }
  if (!Array.isArray(answer)) return text.notAList(text.at(path), expected.length, text.describe(answer))
  if (answer.length !== expected.length) return text.entries(text.at(path), expected.length, answer.length)
  for (let i = 0; i < expected.length; i++) {
    const problem = flatten(answer[i], expected[i], `${path}[${i}]`, into, text)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** The path of the `index`-th number of `expected` in row-major order ("", "[2]", "[1][0]"). */
function pathOf (expected: Nested, index: number): string {
  if (typeof expected === 'number') return ''
  let i = 0
  let rest = index
  // index < count(expected): the loop stops inside it.
  while (rest >= count(expected[i])) rest -= count(expected[i++])
  return `[${i}]${pathOf(expected[i], rest)}`
}
const count = (value: Nested): number => typeof value === 'number' ? 1 : value.reduce((total: number, inner) => total + count(inner), 0)

/**
 * An answer against the reference, element-wise, never an error. An answer that cannot be read
 * as the expected shape of numbers (none, a wrong shape, text that is not a number) is invalid,
 * as PrairieLearn marks a format error: score 0, and feedback saying the format, so the student
 * fixes it rather than rethinks it. The feedback is meant for students: it names the rule, the
 * shape expected and the first entry off, but never the expected value, nor a tolerance from
 * which it could be worked out (relabs' atol + rtol·|e| would give |e|).
 */
export function compareAnswer (answer: unknown, expected: Answer, comparison: ResolvedComparison, language: Language = 'en'): { correct: boolean, invalid: boolean, feedback: string } {
  const text = MESSAGES[language]
  // French spaced as French is (frenchSpacing), the whole sentence at once.
  const say = language === 'fr' ? frenchSpacing : (sentence: string) => sentence
  const numbers: number[] = []
  const problem = flatten(answer, expected, '', numbers, text)
  if (problem !== undefined) return { correct: false, invalid: true, feedback: say(text.invalid(shapeText(expected, text), problem)) }
  const references = typeof expected === 'number' ? [expected] : expected.flat()
  let wrong = 0
  let first = ''
  for (let i = 0; i < references.length; i++) {
    // The path is worked out for the first wrong entry only: most answers have none.
    if (!isClose(numbers[i], references[i], comparison) && wrong++ === 0) first = `${text.at(pathOf(expected, i))}, ${numbers[i]}`
  }
  const rule = text.rule(comparison)
  if (wrong === 0) return { correct: true, invalid: false, feedback: say(text.correct(references.length, rule)) }
  return { correct: false, invalid: false, feedback: say(text.incorrect(first, wrong, references.length, rule)) }
}
