/**
 * A question's statement as a student reads it: the question's own Markdown for their params,
 * then how the answer will be graded, in the same language. Saying the comparison up front is
 * what lets a student give enough digits (question 1.4's default rtol of 1e-5 fails a
 * 3-digit answer) and type numbers the grader can read.
 */
import type { ResolvedComparison } from './comparison.js'
import { frenchSpacing, type Language } from './language.js'
import type { Question } from './questions.js'
import { texNumber } from './markdown.js'

/**
 * The fewest significant digits whose rounding error passes relabs at `rtol`: rounding to n
 * digits moves a number by at most half a unit of its n-th digit, 0.5·10^(1−n) of it relative
 * (when its leading digit is 1), so n = ⌈1 − log10(2·rtol)⌉.
 * @example digitsFor(1e-5) // 6
 * @example digitsFor(1e-2) // 3
 */
export function digitsFor (rtol: number): number {
  return Math.max(1, Math.ceil(1 - Math.log10(2 * rtol)))
}

/** How the answer will be graded, in Markdown: the rule and the number format. */
export function gradingSentence (comparison: ResolvedComparison, language: Language): string {
  const fr = language === 'fr'
  const format = fr
    ? 'Écrivez les nombres comme dans Python, avec un point décimal et sans séparateur de milliers : 284682, 0.4988, 2.5e-3.'
    : 'Write numbers as in Python, with a decimal point and no thousands separator: 284682, 0.4988, 2.5e-3.'
  let rule: string
  switch (comparison.mode) {
    case 'exact':
      rule = fr ? 'valeur exacte.' : 'exact value.'
      break
    case 'sigfig':
      rule = fr ? `à ${comparison.digits} chiffres significatifs.` : `to ${comparison.digits} significant digits.`
      break
    case 'decdig':
      rule = fr ? `à ${comparison.digits} décimales.` : `to ${comparison.digits} digits after the decimal point.`
      break
    case 'relabs': {
      const { rtol, atol } = comparison
      const test = `$|a - e| \\le ${texNumber(atol)} + ${texNumber(rtol)}\\,|e|$`
      const digits = rtol > 0 ? digitsFor(rtol) : undefined
      rule = fr
        ? `tolérance relative de $${texNumber(rtol)}$ et absolue de $${texNumber(atol)}$ (${test}, où $e$ est la valeur attendue)${digits === undefined ? '.' : ` : donnez au moins ${digits} chiffres significatifs.`}`
        : `relative tolerance $${texNumber(rtol)}$, absolute tolerance $${texNumber(atol)}$ (${test}, $e$ the expected value)${digits === undefined ? '.' : `: give at least ${digits} significant digits.`}`
    }
  }
  return `${fr ? '**Correction :**' : '**Graded:**'} ${rule} ${format}`
}

/** The statement of `question` for `params` in `language`, with its grading sentence. */
export function statementOf (question: Question, params: unknown, language: Language): string {
  const text = `${question.statement[language](params)}\n\n${gradingSentence(question.comparison, language)}`
  return language === 'fr' ? frenchSpacing(text) : text
}
