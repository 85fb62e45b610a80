/**
 * A student's page of statements (GET /statements?key=…): their variant of each question the
 * roster chose, the Markdown rendered to HTML and the math typeset by KaTeX on the server, so
 * the page needs no script and loads nothing but this service's stylesheet and fonts. With
 * `Accept: application/json`, the same variants as data.
 *
 * Pure and synchronous: it runs in a worker (the pool's `statements` task) as well as inline.
 */
import MarkdownIt, { type PluginWithOptions } from 'markdown-it'
import markdownKatex from '@vscode/markdown-it-katex'
import { createHash } from 'node:crypto'
import { LANGUAGES, type Language, type Localized } from '../grading/language.js'
import { questions, questionsById } from '../grading/questions.js'
import { statementOf } from '../grading/statements.js'
import { studentVariants, type StatementsTask } from '../grading/roster.js'
import { escapeHtml, page } from './html.js'

/**
 * CommonMark without raw HTML (a statement's text, an architecture string say, stays text);
 * KaTeX in strict mode, so LaTeX it would only warn about shows as an error a test catches,
 * and an error renders in place rather than failing the page.
 */
// A CommonJS module whose `exports.default` is the plugin, typed against markdown-it's
// CommonJS types where this module gets the ESM ones: the same object, typed twice.
const katexPlugin = markdownKatex.default as unknown as PluginWithOptions<object>
const markdown = new MarkdownIt({ html: false, linkify: false }).use(katexPlugin, { throwOnError: false, strict: 'error' })

/** A statement's Markdown as HTML. */
export const renderStatement = (text: string): string => markdown.render(text)

const TEXT: Localized<{ title: string, intro: (student: string) => string, other: string, question: string, format: string }> = {
  en: {
    title: 'Your questions',
    intro: (student) => `The questions of the assignment as drawn for <strong>${escapeHtml(student)}</strong>: the numbers are yours alone, and your answers are graded against them.`,
    other: 'Version française',
    question: 'Question',
    format: 'Each question says how its answer is graded. Your instructor tells you where to hand in your answers.'
  },
  fr: {
    title: 'Vos questions',
    intro: (student) => `Les questions du devoir tirées pour <strong>${escapeHtml(student)}</strong>\u00a0: ces nombres sont les vôtres, et vos réponses sont corrigées avec eux.`,
    other: 'English version',
    question: 'Question',
    format: 'Chaque question dit comment sa réponse est corrigée. Votre enseignant vous dit où remettre vos réponses.'
  }
}

const STYLE = `<link rel="stylesheet" href="/assets/katex/katex.min.css">
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }
section { border-top: 1px solid #ccc; padding-top: 0.5rem; }
code { background: #f4f4f4; padding: 0 0.2em; overflow-wrap: anywhere; }
.katex-display, .katex { overflow-x: auto; overflow-y: hidden; }
nav { float: right; }
</style>`

/**
 * What a page's bytes depend on besides its key, language and format: this module's words
 * and style, and how statements are drawn and written, fingerprinted from every question's
 * statement for its defaults and for a probe student, in both languages. A page's ETag hashes
 * it with the key (src/http/grading.ts), so a browser revalidates a page for a hash rather
 * than a render, and a deploy that changes what a page shows changes its ETag. Computed on
 * first use: the worker threads, which load this module to render, never need it.
 */
let fingerprint: Buffer | undefined
export function pageFingerprint (): Buffer {
  if (fingerprint !== undefined) return fingerprint
  const hash = createHash('sha256').update(JSON.stringify(TEXT)).update(STYLE)
  const probe = Buffer.from('dlcheck page fingerprint')
  for (const language of LANGUAGES) hash.update(JSON.stringify([...studentVariants(probe, 'probe', questions, language), ...questions.map((question) => statementOf(question, question.defaults, language))]))
  return (fingerprint = hash.digest())
}

/**
 * Estimated CPU of a page, in nanoseconds (bench/cost.ts times it): per question, its variant,
 * and for HTML its Markdown and KaTeX rendering.
 */
export const STATEMENT_NS = { html: 800_000, json: 30_000 }
export const statementsCost = (task: StatementsTask): number => task.questions.length * STATEMENT_NS[task.format]

/** The page (HTML) or its data (JSON) for a student and the questions of their key. */
export function statementsText (task: StatementsTask): string {
  const chosen = task.questions.map((id) => questionsById.get(id)!)
  const variants = studentVariants(task.secret, task.student, chosen, task.language)
  if (task.format === 'json') return JSON.stringify({ student: task.student, language: task.language, variants })
  const text = TEXT[task.language]
  const other: Language = task.language === 'en' ? 'fr' : 'en'
  const sections = variants.map((variant, i) => `<section id="${escapeHtml(variant.question)}">
<h2>${text.question} ${escapeHtml(chosen[i].question)} — ${escapeHtml(variant.title)}</h2>
${renderStatement(variant.statement)}</section>`)
  return page(`dlcheck — ${text.title}`, `<main>
<nav><a href="/statements?key=${task.key}&amp;lang=${other}" hreflang="${other}" lang="${other}">${text.other}</a></nav>
<h1>${text.title}</h1>
<p>${text.intro(task.student)}</p>
<p>${text.format}</p>
${sections.join('\n')}
</main>`, STYLE, task.language)
}
