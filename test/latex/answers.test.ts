/**
 * LaTeX answers (src/latex/, `Accept: application/x-latex`, GraphQL's `latex`): one per
 * operation; every documented example and edge case renders under KaTeX in strict mode and, where
 * pdfLaTeX is installed (.ci/run installs it), compiles in a document that loads amsmath and
 * nothing else, as the assignment's template; the numbers are the JSON answer's; the limits.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import katex from 'katex'
import t from 'tap'
import { LATEX_TYPE, preferredRendering } from '../../src/http/pictures.js'
import { LATEX_OPERATIONS } from '../../src/latex/answers.js'
import { LatexBudget, text } from '../../src/latex/fragment.js'
import { operations } from '../../src/operations/index.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { render, renderingsOf } from '../../src/renderings.js'
import { build, post } from '../helpers/app.js'
import { tableBodies } from '../helpers/bodies.js'
import { POOLED } from '../helpers/pool.js'

const LATEX = `${LATEX_TYPE}; charset=utf-8`
const PDFLATEX = '/usr/bin/pdflatex'

/** Renders under KaTeX's strict mode (an error for anything it would only warn about) or throws. */
function katexStrict (fragment: string): void {
  katex.renderToString(fragment, { displayMode: true, strict: 'error', throwOnError: true })
}

const answered: Array<{ operation: string, fragment: string }> = []

t.test('every operation has a LaTeX answer', async (t) => {
  t.strictSame([...LATEX_OPERATIONS].sort(), operations.map((operation) => operation.name).sort())
  for (const operation of operations) t.ok(renderingsOf(operation).includes('latex'), operation.name)
})

t.test('every example and edge case: Accept: application/x-latex, KaTeX strict, ASCII', async (t) => {
  const app = await build(t)
  for (const operation of operations) {
    for (const body of tableBodies(operation)) {
      const response = await post(app, operation.path, body, { accept: LATEX_TYPE })
      const what = `${operation.name} ${JSON.stringify(body).slice(0, 80)}`
      t.equal(response.statusCode, 200, what)
      t.equal(response.headers['content-type'], LATEX, what)
      t.equal(response.headers.vary, 'Accept', `${what}: caches keep JSON and LaTeX apart`)
      t.match(response.body, /^[\x20-\x7e\n]*$/, `${what}: ASCII only`)
      t.doesNotThrow(() => katexStrict(response.body), what)
      answered.push({ operation: operation.name, fragment: response.body })
    }
  }
  t.ok(answered.length >= 2 * operations.length, `${answered.length} fragments`)
})

t.test('pdfLaTeX compiles every fragment with amsmath alone', { skip: existsSync(PDFLATEX) ? false : `${PDFLATEX} is not installed (apt-get install texlive-latex-base); .ci/run installs it` }, async (t) => {
  t.ok(answered.length >= 2 * operations.length, 'the fragments of the test before, to compile')
  const directory = mkdtempSync(join(tmpdir(), 'dlcheck-latex-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  const displays = answered.map(({ operation, fragment }) => `% ${operation}\n\\[\n${fragment}\n\\]`)
  writeFileSync(join(directory, 'answers.tex'), `\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n${displays.join('\n\n')}\n\\end{document}\n`)
  let log = ''
  try {
    execFileSync(PDFLATEX, ['-interaction=nonstopmode', '-halt-on-error', '-no-shell-escape', 'answers.tex'], { cwd: directory, stdio: 'pipe' })
  } catch {
    log = readFileSync(join(directory, 'answers.log'), 'utf8')
  }
  t.equal(log.split('\n').filter((line) => line.startsWith('!')).join('\n'), '', 'no LaTeX error')
  t.ok(existsSync(join(directory, 'answers.pdf')), `${answered.length} fragments typeset`)
})

t.test('what the answers say', async (t) => {
  const app = await build(t)
  const latexOf = async (path: string, body: unknown): Promise<string> => (await post(app, path, body, { accept: LATEX_TYPE })).body
  const softmax = await latexOf('/softmax-stable', { x: [1000, 1001, 1002], naive: true })
  t.match(softmax, '\\log \\sum_j e^{x_j} &= m + \\log \\sum_j e^{x_j - m} = 1002.4076059644444', 'the log-sum-exp, with the number JSON gives')
  t.match(softmax, 'm &= \\max_j x_j = 1002\\quad (j = 2\\text{, 0-based})')
  t.match(softmax, '\\text{(unshifted, float64: the sum overflows)}', 'the naive formula overflows')
  t.match(await latexOf('/softmax-stable', { x: [[1, 2], [3, 1]], temperature: 2 }), 'z &= x / T, \\quad T = 2', 'the temperature divides first')
  const conv = await latexOf('/conv-matrix', { input: 3, kernelSize: 3, stride: 2, padding: 1 })
  t.match(conv, 'Y &= \\begin{bmatrix}\nw_{1,1} x_{0,0} + w_{1,2} x_{0,1} + w_{2,1} x_{1,0} + w_{2,2} x_{1,1} & ', 'question 4.3: the output map first')
  t.match(conv, 'A &= \\begin{bmatrix}\nw_{1,1} & w_{1,2} & 0 & w_{2,1} & w_{2,2} & 0 & 0 & 0 & 0 \\\\', 'then A')
  t.match(await latexOf('/conv-matrix', { input: [2, 3], kernel: [[1, -1]], x: [[1, 2, 4], [8, 16, 32]] }), 'Y &= \\begin{bmatrix}\n-1 & -2 \\\\\n-8 & -16\n\\end{bmatrix}', 'a numeric kernel applied to x')
  const wide = await latexOf('/conv-matrix', { input: 4, kernelSize: 2 })
  t.match(wide, 'A &= \\left[\\begin{array}{cccccccccccccccc}', 'A wider than amsmath\'s 10 matrix columns is an array in brackets')
  const params = await latexOf('/param-count', { sizes: [32, 512, 512, 10] })
  t.match(params, 'n &= 16896 + 262656 + 5130 = 284682')
  t.match(params, 'H &\\in \\mathbf{R}^{284682 \\times 284682}', 'the Hessian\'s size as a student writes it')
  t.match(params, '\\text{Linear(32 -\\textgreater{} 512)} & 16384 & 512 & 16896 & 512', 'a row per layer')
  t.match(await latexOf('/param-count', { architecture: 'ReLU → Dropout', input: [1, 2, 2] }), 'n &= 0 = 0', 'no layer with parameters')
  const field = await latexOf('/receptive-field', { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' })
  t.match(field, '\\text{MaxPool-2x2} & 2 \\times 2 & 2 \\times 2 & 0 \\times 0 & 1 \\times 1 & 14 \\times 14 & 6 \\times 6 & 2 \\times 2', 'question 4.1, layer by layer')
  t.match(field, '32 \\times 32 &\\to 12 \\times 12')
  const sweep = await latexOf('/hvp', { model: { kind: 'expression', expression: 'exp(x)*cos(y)', variables: ['x', 'y'] }, w: [1, 2], v: [1, 1], method: 'forward', sweep: true })
  t.match(sweep, 'Hv &\\approx \\frac{\\nabla f(w + r v) - \\nabla f(w)}{r}, \\quad r = 2.3560804576936208 \\times 10^{-8}')
  t.match(sweep, '1 \\times 10^{-8} & 5.050270510032304 \\times 10^{-9} & 3.7037267204211063 \\times 10^{-9}', 'the sweep, a row per r')
  t.match(await latexOf('/newton-step', { model: { kind: 'quadratic', A: [[4, 1], [1, 3]], b: [1, 2] }, w: [0, 0] }), 's &= -H^{-1} \\nabla f(w) = \\begin{bmatrix}\n-0.09090909090909091 & -0.6363636363636364\n\\end{bmatrix}')
  t.match(await latexOf('/swish', { beta: 10 }), '\\max_{x \\in [-5, 5]} \\lvert h(x) - \\mathrm{ReLU}(x) \\rvert &= 0.02784645427610738 \\quad (x = -0.12784645427610736')
  t.match(await latexOf('/logistic-mixture', { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [1, 2] }), 'p(y = 1 \\mid x) &= 0.5865298952888205')
  const mlp = { kind: 'mlp', sizes: [20, 20, 1], activation: 'tanh', loss: 'mse', inputs: [Array(20).fill(0.5)], targets: [[1]] }
  const large = await latexOf('/hessian-spectrum', { model: mlp, w: Array.from({ length: 441 }, (_, i) => Math.sin(i) / 4), method: 'lanczos', steps: 3, trace: true, traceSamples: 2 })
  t.match(large, '\\operatorname{tr} H &\\approx ')
  t.notMatch(large, '\\text{exact} =', 'no exact trace past 400 parameters')
  t.match(await latexOf('/hessian-spectrum', { model: { kind: 'quadratic', A: [[4, 1, 0], [1, 3, 0], [0, 0, -1]] }, w: [0, 0, 0], top: 2, trace: true, traceSamples: 20, vectors: true }), '\\lambda_{1} &= 4.618033988749895')
  const stalled = await latexOf('/newton-step', { model: { kind: 'quadratic', A: [[-4, 1], [1, 3]], b: [1, 2] }, w: [0, 0] })
  t.match(stalled, 's &\\approx -H^{-1} \\nabla f(w) = ', 'CG stopped before converging: not the Newton step, its last iterate')
  t.match(stalled, 'stopped before converging')
  const many = await latexOf('/relu-decomposition', { breakpoints: Array.from({ length: 20 }, (_, i) => i), slopes: Array.from({ length: 21 }, (_, i) => i % 2) })
  t.equal(many.split('\n').length, 20, 'a long formula (20 terms, the constant 0 left out), a term per line: TeX reads at most 200,000 characters in one')
  t.doesNotThrow(() => katexStrict(many))
  const relu = await post(app, '/relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 0, 3] })
  t.equal((await latexOf('/relu-decomposition', { breakpoints: [-1, 2], slopes: [-2, 0, 3] })), relu.json().latex, 'question 1.2: the JSON\'s own latex')
})

t.test('the LaTeX limits: 413s that say what to do', async (t) => {
  const app = await build(t, { limits: { latexMaxEntries: 5, convMaxLatexEntries: 20 } })
  const softmax = await post(app, '/softmax-stable', { x: [1, 2, 3] }, { accept: LATEX_TYPE })
  t.equal(softmax.statusCode, 413)
  t.match(softmax.json().message, /the LaTeX answer would typeset 6 numbers or cells \(softmax among them\), over the limit of 5 \(LATEX_MAX_ENTRIES\): ask POST \/softmax-stable for JSON/)
  t.equal((await post(app, '/softmax-stable', { x: [1, 2, 3] })).statusCode, 200, 'the JSON answer has no such limit')
  const relu = await post(app, '/relu-decomposition', { breakpoints: [0, 1, 2], slopes: [0, 1, 0, 1] }, { accept: LATEX_TYPE })
  t.equal(relu.statusCode, 413, 'question 1.2\'s terms count too')
  t.match(relu.json().message, /\(the terms among them\)/)
  const conv = await post(app, '/conv-matrix', { input: 3, kernelSize: 2 }, { accept: LATEX_TYPE })
  t.equal(conv.statusCode, 413)
  t.match(conv.json().message, /A is 4 × 9 = 36 entries, over the limit of 20 for LaTeX \(CONV_MAX_LATEX_ENTRIES\)/)
  const budget = new LatexBudget(3, '/x')
  budget.spend(3, 'three')
  t.throws(() => budget.spend(1, 'one more'), /4 numbers or cells \(one more among them\)/)
})

t.test('text: what a request can put in \\text{} is escaped', async (t) => {
  const nasty = 'a\\b{c}$d&e#f_g%h^i~j × → − é\u0007 <|>'
  t.equal(text(nasty), '\\text{a\\textbackslash{}b\\{c\\}\\$d\\&e\\#f\\_g\\%h\\textasciicircum{}i\\textasciitilde{}j x -\\textgreater{} - ? \\textless{}\\textbar{}\\textgreater{}}', 'and < > |, which OT1 prints as other glyphs')
  t.doesNotThrow(() => katexStrict(text(nasty)))
  const app = await build(t)
  const layers = await post(app, '/receptive-field', { layers: [{ type: 'conv', kernel: 3, name: 'Conv_$1 & \\end{aligned}' }] }, { accept: LATEX_TYPE })
  t.equal(layers.statusCode, 400, 'a layer\'s name comes from the architecture notation, whose characters are few, never from free text')
  t.match(layers.json().message, /unknown property 'name'/)
})

t.test('negotiation: LaTeX when it ranks strictly above JSON', async (t) => {
  const cases: Array<[string | undefined, string | undefined, string]> = [
    [undefined, undefined, 'no Accept: JSON'],
    [LATEX_TYPE, 'latex', 'LaTeX alone'],
    ['application/*', undefined, 'application/* covers both: a tie keeps JSON'],
    [`${LATEX_TYPE}, application/json`, undefined, 'a tie at q = 1 keeps JSON'],
    [`application/json;q=0.5, ${LATEX_TYPE}`, 'latex', 'q-values decide'],
    [`image/svg+xml, ${LATEX_TYPE}`, 'svg', 'between two renderings a tie picks the first offered'],
    [`image/svg+xml;q=0.5, ${LATEX_TYPE}`, 'latex', 'else the higher q']
  ]
  for (const [accept, expected, why] of cases) t.equal(preferredRendering(accept, ['svg', 'latex']), expected, `${JSON.stringify(accept)}: ${why}`)
  t.equal(preferredRendering(LATEX_TYPE, ['svg']), undefined, 'not offered: JSON')
  const app = await build(t)
  const hvp = await post(app, '/hvp', { model: { kind: 'quadratic', A: [[1]] }, w: [1], v: [1] }, { accept: `image/svg+xml, ${LATEX_TYPE}` })
  t.equal(hvp.headers['content-type'], LATEX, 'a tie between the two: LaTeX, which every answer has (this HVP has no sweep to draw)')
})

t.test('drawn by the worker that computed the answer', async (t) => {
  const app = await build(t, { runtime: POOLED })
  const body = { x: [1000, 1001, 1002] }
  const pooled = await post(app, '/softmax-stable', body, { accept: LATEX_TYPE })
  t.equal(pooled.statusCode, 200)
  t.equal(pooled.headers['content-type'], LATEX)
  const softmax = operations.find((operation) => operation.name === 'softmaxStable')!
  t.equal(pooled.body, render(softmax, 'latex', softmax.run(body, DEFAULT_LIMITS), body, DEFAULT_LIMITS), 'the same fragment as drawn inline')
  const graphql = (await post(app, '/graphql', { query: 'query ($x: Logits!) { softmaxStable(input: {x: $x}) { max latex } }', variables: { x: body.x } })).json()
  t.strictSame(graphql.data.softmaxStable, { max: 1002, latex: pooled.body }, 'GraphQL\'s latex, attached to the worker\'s JSON')
  const small = await build(t, { limits: { latexMaxEntries: 2 }, runtime: POOLED })
  const refused = await post(small, '/softmax-stable', body, { accept: LATEX_TYPE })
  t.equal(refused.statusCode, 413, 'a worker\'s limit is the same 413')
})

t.test('GraphQL: latex and svg only where selected, through fragments too', async (t) => {
  const app = await build(t)
  const conv = { input: 3, kernelSize: 3, stride: 2, padding: 1 }
  const query = async (text: string): Promise<{ data?: Record<string, Record<string, unknown>>, errors?: unknown[] }> => (await post(app, '/graphql', { query: text, variables: { input: conv } })).json()
  const rest = await post(app, '/conv-matrix', conv, { accept: LATEX_TYPE })
  const svg = await post(app, '/conv-matrix', conv, { accept: 'image/svg+xml' })
  t.strictSame((await query('query ($input: ConvMatrixInput!) { convMatrix(input: $input) { latex svg } }')).data, { convMatrix: { latex: rest.body, svg: svg.body } })
  t.strictSame((await query('query ($input: ConvMatrixInput!) { convMatrix(input: $input) { ... on ConvMatrixResult { tex: latex } } }')).data, { convMatrix: { tex: rest.body } }, 'an inline fragment and an alias')
  t.strictSame((await query('query ($input: ConvMatrixInput!) { convMatrix(input: $input) { ...Both ...Both } } fragment Both on ConvMatrixResult { shape svg }')).data, { convMatrix: { shape: [4, 9], svg: svg.body } }, 'a named fragment, spread twice')
  const latexFormat = await query('query ($input: ConvMatrixInput!) { convMatrix(input: $input) { latex } }')
  t.equal(latexFormat.data!.convMatrix.latex, rest.body, 'the LaTeX answer, not the bmatrix of format "latex" alone')
  const hvp = (await post(app, '/graphql', { query: '{ hvp(input: {model: {kind: quadratic, A: [[1]]}, w: [1], v: [1]}) { hv svg } }' })).json()
  t.match(hvp.errors[0], { message: /sweep/, extensions: { statusCode: 400 } }, 'a picture that cannot be drawn is REST\'s 400')
  const conditional = 'query ($picture: Boolean!) { hvp(input: {model: {kind: quadratic, A: [[1]]}, w: [1], v: [1]}) { hv svg @include(if: $picture) ...Picture @skip(if: true) } } fragment Picture on HvpResult { svg }'
  for (let run = 0; run < 3; run++) {
    // Three times: the third runs the query graphql-jit compiled (src/graphql/compiled.ts).
    t.strictSame((await post(app, '/graphql', { query: conditional, variables: { picture: false } })).json(), { data: { hvp: { hv: [1] } } }, `a picture left out by @include and @skip is not drawn (run ${run + 1})`)
  }
  t.match((await post(app, '/graphql', { query: conditional, variables: { picture: true } })).json().errors[0], { extensions: { statusCode: 400 } }, 'included, it is')
})
