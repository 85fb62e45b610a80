/**
 * Statements as students read them: Markdown with LaTeX that KaTeX typesets without an error
 * for every question, in both languages, for the defaults and many variants; each ends with
 * the comparison that will be applied.
 */
import t from 'tap'
import katex from 'katex'
import { questions } from '../../src/grading/questions.js'
import { LANGUAGES, languageFor } from '../../src/grading/language.js'
import { code, texMatrix, texNumber, texPair, texSize } from '../../src/grading/markdown.js'
import { digitsFor, gradingSentence, statementOf } from '../../src/grading/statements.js'
import { VariantRandom } from '../../src/grading/variants.js'
import { renderStatement } from '../../src/pages/statements.js'
import { isClose } from '../../src/grading/comparison.js'

const SECRET = Buffer.from('statements-test-secret-0123456789')

t.test('every statement typesets, in English and French, for the defaults and 12 variants', async (t) => {
  let statements = 0
  for (const question of questions) {
    const params = [question.defaults, ...Array.from({ length: 12 }, (_, i) => question.variant(new VariantRandom(SECRET, question.id, `student${i}`)))]
    for (const language of LANGUAGES) {
      for (const given of params) {
        const text = statementOf(question, given, language)
        // KaTeX itself, strict, on each formula: an error or a mere warning fails here.
        for (const [, formula] of text.matchAll(/\$([^$]+)\$/g)) {
          try {
            katex.renderToString(formula, { throwOnError: true, strict: 'error' })
          } catch (error) {
            t.fail(`${question.id} (${language}): ${(error as Error).message} in $${formula}$`)
          }
        }
        const html = renderStatement(text)
        if (html.includes('katex-error')) t.fail(`${question.id} (${language}): ${html}`)
        // Every $ became math: none is left in the text outside KaTeX's annotations.
        if (html.replace(/<annotation[^>]*>[^<]*<\/annotation>/g, '').includes('$')) t.fail(`${question.id} (${language}): a stray $ in ${html}`)
        statements++
      }
    }
    t.match(statementOf(question, question.defaults, 'en'), /\n\n\*\*Graded:\*\* /, `${question.id}: says how it is graded`)
    t.match(statementOf(question, question.defaults, 'fr'), /\n\n\*\*Correction\u00a0:\*\* /, `${question.id}: dit comment elle est corrigée`)
    t.not(question.statement.fr(question.defaults), question.statement.en(question.defaults), `${question.id}: the French is not the English`)
  }
  t.equal(statements, questions.length * 2 * 13)
})

t.test('the grading sentence states the rule, the digits to give and the number format', async (t) => {
  t.match(gradingSentence({ mode: 'sigfig', digits: 3 }, 'fr'), '**Correction :** à 3 chiffres significatifs. Écrivez les nombres comme dans Python, avec un point décimal')
  t.match(gradingSentence({ mode: 'sigfig', digits: 3 }, 'en'), '**Graded:** to 3 significant digits. Write numbers as in Python, with a decimal point and no thousands separator')
  t.match(gradingSentence({ mode: 'decdig', digits: 2 }, 'en'), 'to 2 digits after the decimal point')
  t.match(gradingSentence({ mode: 'decdig', digits: 2 }, 'fr'), 'à 2 décimales')
  t.match(gradingSentence({ mode: 'exact' }, 'en'), '**Graded:** exact value.')
  t.match(gradingSentence({ mode: 'relabs', rtol: 1e-5, atol: 1e-8 }, 'en'), 'relative tolerance $10^{-5}$, absolute tolerance $10^{-8}$ ($|a - e| \\le 10^{-8} + 10^{-5}\\,|e|$, $e$ the expected value): give at least 6 significant digits.')
  t.match(gradingSentence({ mode: 'relabs', rtol: 1e-5, atol: 1e-8 }, 'fr'), 'donnez au moins 6 chiffres significatifs')
  t.notMatch(gradingSentence({ mode: 'relabs', rtol: 0, atol: 0.5 }, 'en'), 'significant digits', 'an absolute tolerance alone: no digit count')
  t.match(gradingSentence({ mode: 'relabs', rtol: 0, atol: 0.5 }, 'fr'), 'où $e$ est la valeur attendue). Écrivez')
})

t.test('digitsFor: the fewest significant digits a rounded answer needs to pass relabs', async (t) => {
  t.equal(digitsFor(1e-5), 6)
  t.equal(digitsFor(1e-2), 3)
  t.equal(digitsFor(0.5), 1)
  // The claim itself: every number rounded to digitsFor(rtol) digits passes, one digit fewer may not.
  for (const rtol of [1e-2, 1e-3, 1e-5, 2.5e-4]) {
    const digits = digitsFor(rtol)
    for (const expected of [1.04999999, 1.5, 9.99, 123.456789, 0.000104999]) {
      t.ok(isClose(Number(expected.toPrecision(digits)), expected, { mode: 'relabs', rtol, atol: 0 }), `${expected} at ${digits} digits passes rtol ${rtol}`)
    }
    // 1.00…049: one digit fewer rounds it to 1, off by 0.49 units of the digit before.
    const edge = 1 + 0.49 * 10 ** -(digits - 2)
    t.ok(isClose(Number(edge.toPrecision(digits)), edge, { mode: 'relabs', rtol, atol: 0 }))
    t.notOk(isClose(Number(edge.toPrecision(digits - 1)), edge, { mode: 'relabs', rtol, atol: 0 }), `${digits - 1} digits can fail rtol ${rtol}`)
  }
})

t.test('LaTeX pieces', async (t) => {
  t.equal(texNumber(1e-5), '10^{-5}')
  t.equal(texNumber(1e-8), '10^{-8}')
  t.equal(texNumber(0.001), '0.001', 'a short decimal stays one')
  t.equal(texNumber(2.5e-7), '2.5 \\times 10^{-7}')
  t.equal(texNumber(1e21), '10^{21}')
  t.equal(texNumber(-3), '-3')
  t.equal(texMatrix([[1, 2], [3, 4]]), '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}')
  t.equal(texSize(32), '32 \\times 32')
  t.equal(texSize([24, 32]), '24 \\times 32')
  t.equal(texPair([1, 2]), '(1, 2)')
  t.equal(code('Conv-3x3'), '`Conv-3x3`')
  t.equal(code('a ``b`` c'), '```a ``b`` c```')
  t.equal(code('`x`'), '`` `x` ``', 'a space where the text starts or ends with a backtick')
  t.match(renderStatement(`see ${code('<script>alert(1)</script> $x$')}`), '<code>&lt;script&gt;alert(1)&lt;/script&gt; $x$</code>', 'text in code stays text, math included')
  t.notMatch(renderStatement('<b>raw</b>'), '<b>', 'no raw HTML')
})

t.test('Accept-Language picks the language, English by default', async (t) => {
  t.equal(languageFor(undefined), 'en')
  t.equal(languageFor('fr'), 'fr')
  t.equal(languageFor('fr-CA,fr;q=0.9,en;q=0.8'), 'fr')
  t.equal(languageFor('en-US,en;q=0.9,fr;q=0.8'), 'en')
  t.equal(languageFor('de-DE'), 'en', 'a language the service has not: English')
  t.equal(languageFor('de, fr;q=0.5'), 'fr')
  t.equal(languageFor('*'), 'en')
  t.equal(languageFor('fr;q=0'), 'en', 'q=0 refuses French')
})
