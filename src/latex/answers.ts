/**
 * Every computation's answer as a student writes it in a LaTeX write-up (the assignment asks
 * « Utilisez LaTeX » and « Montrez vos traces »): the formula with its numbers, vectors and
 * matrices as `bmatrix`, per-layer tables as `array`. One entry per operation of the table
 * (a test checks that none is missing), each drawn from the answer and the request body, as
 * the pictures of src/svg/ are. Sent for `Accept: application/x-latex` and as GraphQL's
 * `latex`; src/latex/fragment.ts says which LaTeX is allowed and why.
 *
 * Numbers are the JSON answer's, as shortest round-trip decimals (`1.5 \times 10^{-7}` for
 * an exponent): the fragment says exactly what the JSON says.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { latexConvMatrix } from '../math/conv-matrix.js'
import { LimitExceededError } from '../math/errors.js'
import { toPair } from '../math/pair.js'
import { SWISH_PEAK } from '../math/swish.js'
import { convMatrixLayout, type convMatrixOperation } from '../operations/conv-matrix.js'
import type { cornerExperimentOperation } from '../operations/corner-experiment.js'
import type { hessianSpectrumOperation } from '../operations/hessian-spectrum.js'
import type { hvpOperation } from '../operations/hvp.js'
import type { Limits } from '../operations/limits.js'
import type { logisticMixtureOperation } from '../operations/logistic-mixture.js'
import type { newtonStepOperation } from '../operations/newton-step.js'
import type { paramCountOperation } from '../operations/param-count.js'
import type { receptiveFieldOperation } from '../operations/receptive-field.js'
import type { reluDecompositionOperation } from '../operations/relu-decomposition.js'
import type { softmaxStableOperation } from '../operations/softmax-stable.js'
import type { swishOperation } from '../operations/swish.js'
import { aligned, entry, LatexBudget, latexNumber, matrix, numberMatrix, shape, table, text } from './fragment.js'

type Answer<O extends { response: TSchema }> = Static<O['response']>
type Body<O extends { body: TSchema }> = Static<O['body']>

/** Past this many entries a row vector runs off the page: it is written as a column. */
const ROW_VECTOR_MAX = 10

/** A vector as the assignment writes them, flat (`[x_{0,0} x_{0,1} …]`), or as a column when long. */
function row (values: ReadonlyArray<number | null>, budget: LatexBudget, what: string): string {
  return numberMatrix(values.length <= ROW_VECTOR_MAX ? [values] : values.map((value) => [value]), budget, what)
}

/** One vector, or one row per input row, as the answer gave them. */
function rows (values: ReadonlyArray<number | null> | ReadonlyArray<ReadonlyArray<number | null>>, budget: LatexBudget, what: string): string {
  return Array.isArray(values[0]) ? numberMatrix(values as Array<Array<number | null>>, budget, what) : row(values as Array<number | null>, budget, what)
}

/** `(j = 2)`, or `(j = 2, 0)` per row: where the maximum is, 0-based as in the JSON. */
function at (index: number | number[]): string {
  return Array.isArray(index) ? `\\quad (j = ${index.join(', ')}${text(' by row, 0-based')})` : `\\quad (j = ${index}${text(', 0-based')})`
}

function softmaxStable (answer: Answer<typeof softmaxStableOperation>, body: Body<typeof softmaxStableOperation>, budget: LatexBudget): string {
  const temperature = body.temperature ?? 1
  const z = temperature === 1 ? 'x' : 'z'
  const perRow = Array.isArray(answer.softmax[0])
  const j = perRow ? '_{r,j}' : '_j'
  const lines = temperature === 1 ? [] : [`z &= x / T, \\quad T = ${latexNumber(temperature)}`]
  const scalarOrColumn = (value: number | null | Array<number | null>, what: string): string => Array.isArray(value) ? numberMatrix(value.map((v) => [v]), budget, what) : entry(value)
  lines.push(
    `m &= \\max_j ${z}${j} = ${scalarOrColumn(answer.max, 'the maxima')}${at(answer.argmax)}`,
    `\\log \\sum_j e^{${z}${j}} &= m + \\log \\sum_j e^{${z}${j} - m} = ${scalarOrColumn(answer.logSumExp, 'log-sum-exp')}`,
    `\\log S(${z}) &= ${z} - \\log \\sum_j e^{${z}${j}} = ${rows(answer.logSoftmax, budget, 'log-softmax')}`,
    `S(${z}) &= e^{\\log S(${z})} = ${rows(answer.softmax, budget, 'softmax')}`
  )
  if (answer.naive !== undefined) {
    const anyRow = (flag: boolean | boolean[]): boolean => [flag].flat().some(Boolean)
    const what = anyRow(answer.naive.overflow) ? 'overflows' : anyRow(answer.naive.underflow) ? 'underflows' : 'stays finite'
    lines.push(`\\frac{e^{${z}_i}}{\\sum_j e^{${z}_j}} &= ${rows(answer.naive.softmax, budget, 'naive softmax')} \\quad ${text(`(unshifted, float64: the sum ${what})`)}`)
  }
  return aligned(lines)
}

function convMatrix (answer: Answer<typeof convMatrixOperation>, body: Body<typeof convMatrixOperation>, _budget: LatexBudget, limits: Limits): string {
  const [rowCount, columnCount] = answer.shape as [number, number]
  // The matrix's own LaTeX limit, as format "latex" has it, checked before a cell is built.
  if (rowCount * columnCount > limits.convMaxLatexEntries) {
    throw new LimitExceededError(`A is ${rowCount} × ${columnCount} = ${rowCount * columnCount} entries, over the limit of ${limits.convMaxLatexEntries} for LaTeX (CONV_MAX_LATEX_ENTRIES): ask POST /conv-matrix for JSON with format "sparse", or a smaller input`)
  }
  const layout = convMatrixLayout(body)
  const lines: string[] = []
  if (answer.outputMap !== undefined) lines.push(`Y &= ${matrix(answer.outputMap)}`)
  lines.push(
    `\\operatorname{vec}(Y) &= A \\operatorname{vec}(X) \\quad ${text(`(${body.transposed === true ? 'transposed convolution, ' : ''}row-major: `)}${shape(answer.outputShape)}${text(' output, ')}${shape(layout.geometry.input)}${text(' input)')}`,
    `A &= ${matrix(latexConvMatrix(layout, body.kernel))}`
  )
  if (answer.y !== undefined) lines.push(`Y &= ${matrix(answer.y.map((values) => values.map(entry)))}`)
  return aligned(lines)
}

function receptiveField (answer: Answer<typeof receptiveFieldOperation>, body: Body<typeof receptiveFieldOperation>, budget: LatexBudget): string {
  const withShape = answer.outputShape !== undefined
  const layerRows = answer.layers.map((layer) => [
    text(layer.name), shape(layer.kernel), shape(layer.stride), shape(layer.padding), shape(layer.dilation),
    ...(withShape ? [shape(layer.outputShape!)] : []), shape(layer.receptiveField), shape(layer.jump)
  ])
  const header = [text('layer'), 'k', 's', 'p', 'd', ...(withShape ? [text('output')] : []), 'r', 'j']
  const lines = [`&${table(`l${'c'.repeat(header.length - 1)}`, header, layerRows, budget, 'the layer table')}`]
  lines.push(
    "r_l &= r_{l-1} + (k'_l - 1) \\, j_{l-1}, \\quad j_l = j_{l-1} \\, s_l, \\quad k'_l = d_l (k_l - 1) + 1",
    `r &= ${shape(answer.receptiveField)} \\quad ${text('(the input region one output feature sees)')}`
  )
  if (answer.outputShape !== undefined && body.input !== undefined) {
    const input = toPair(body.input)
    lines.push(`${shape(input)} &\\to ${shape(answer.outputShape)} \\quad ${text(answer.sameAsInput === true ? '(the output keeps the input\'s size)' : '(the output does not keep the input\'s size)')}`)
  }
  if (answer.region !== undefined) {
    const { top, left, bottom, right } = answer.region
    lines.push(`${text('pixel ')}(${body.pixel!.join(', ')}) &\\leftarrow ${text('rows ')}{${top}} \\ldots {${bottom}}, ${text(' columns ')}{${left}} \\ldots {${right}}${text(' of the input (negative: padding)')}`)
  }
  lines.push(`&${text(`variable-size inputs: ${answer.variableSize.accepted ? 'yes' : 'no'}${answer.variableSize.minimumInput !== undefined ? ` (at least ${answer.variableSize.minimumInput.join(' x ')})` : ''}`)}`)
  return aligned(lines)
}

function paramCount (answer: Answer<typeof paramCountOperation>, _body: Body<typeof paramCountOperation>, budget: LatexBudget): string {
  const layerRows = answer.layers.map((layer) => [text(layer.name), latexNumber(layer.weights), latexNumber(layer.biases), latexNumber(layer.params), shape(layer.outputShape!)])
  const { hessian } = answer
  return aligned([
    `&${table('lrrrc', [text('layer'), text('weights'), text('biases'), text('parameters'), text('output')], layerRows, budget, 'the layer table')}`,
    `n &= ${answer.layers.filter((layer) => layer.params > 0).map((layer) => latexNumber(layer.params)).join(' + ') || '0'} = ${latexNumber(answer.total)}`,
    `H &\\in \\mathbf{R}^{${hessian.shape[0]} \\times ${hessian.shape[1]}}: \\quad n^2 = ${hessian.entriesExact}${text(' entries')}, \\quad \\frac{n(n+1)}{2} = ${hessian.uniqueExact}${text(' unique')}`,
    `&${text(`float32: ${hessian.bytesFloat32} bytes, float64: ${hessian.bytesFloat64} bytes`)}`
  ])
}

const HVP_METHOD: Record<string, string> = {
  exact: 'Hv &= \\left.\\frac{\\partial}{\\partial r} \\nabla f(w + r v)\\right|_{r=0} \\quad ' + text('(R-operator, exact)'),
  forward: 'Hv &\\approx \\frac{\\nabla f(w + r v) - \\nabla f(w)}{r}',
  central: 'Hv &\\approx \\frac{\\nabla f(w + r v) - \\nabla f(w - r v)}{2 r}'
}

function hvp (answer: Answer<typeof hvpOperation>, _body: Body<typeof hvpOperation>, budget: LatexBudget): string {
  const lines = [
    `f(w) &= ${entry(answer.value)}`,
    `\\nabla f(w) &= ${row(answer.gradient, budget, '∇f(w)')}`,
    `${HVP_METHOD[answer.method]}${answer.r === undefined ? '' : `, \\quad r = ${latexNumber(answer.r)}`}`,
    `&= ${row(answer.hv, budget, 'Hv')}`
  ]
  if (answer.sweep !== undefined) {
    const sweepRows = answer.sweep.map((point) => [latexNumber(point.r), entry(point.forwardError), entry(point.centralError)])
    lines.push(`&${table('rcc', ['r', text('forward error'), text('central error')], sweepRows, budget, 'the sweep')} \\quad ${text('(relative to the exact Hv)')}`)
  }
  return aligned(lines)
}

function newtonStep (answer: Answer<typeof newtonStepOperation>, body: Body<typeof newtonStepOperation>, budget: LatexBudget): string {
  const damping = body.damping ?? 0
  const matrixOf = damping === 0 ? 'H' : `(H + ${latexNumber(damping)} I)`
  // Only a converged CG solve is the Newton step; otherwise it is CG's last iterate.
  const exact = answer.converged && answer.negativeCurvature === undefined
  const lines = [
    `s &${exact ? '=' : '\\approx'} -${matrixOf}^{-1} \\nabla f(w) = ${row(answer.step, budget, 'the step')} \\quad ${text(`(${answer.iterations} conjugate-gradient iterations, ${exact ? 'converged' : 'stopped before converging: the last iterate'})`)}`,
    `w + s &= ${row(answer.w, budget, 'w + s')}`,
    `f(w) &= ${entry(answer.value)}, \\quad f(w + s) = ${entry(answer.newValue)}, \\quad \\lVert \\nabla f(w) \\rVert = ${entry(answer.gradientNorm)}`
  ]
  if (answer.negativeCurvature !== undefined) {
    lines.push(`p^\\top ${matrixOf} p &= ${entry(answer.negativeCurvature.curvature)} \\le 0 \\quad ${text(`(met at CG iteration ${answer.negativeCurvature.iteration}: a direction of non-positive curvature, not followed)`)}`)
  }
  return aligned(lines)
}

function hessianSpectrum (answer: Answer<typeof hessianSpectrumOperation>, _body: Body<typeof hessianSpectrumOperation>, budget: LatexBudget): string {
  budget.spend(2 * answer.eigenvalues.length, 'the eigenvalues')
  const lines = answer.eigenvalues.map((value, i) => `\\lambda_{${i + 1}} &= ${entry(value)} \\quad (\\lVert H x - \\lambda x \\rVert = ${entry(answer.residuals[i])})`)
  lines.push(`&${text(`(${answer.method === 'exact' ? 'exact' : 'Lanczos'}, ${answer.hessianVectorProducts} Hessian-vector products)`)}`)
  const vectors = answer.eigenvectors
  if (vectors !== undefined && vectors.length > 0) {
    const columns = Array.from({ length: vectors[0].length }, (_, i) => vectors.map((vector) => vector[i]))
    lines.push(`X &= ${numberMatrix(columns, budget, 'the eigenvectors')} \\quad ${text('(the eigenvectors as columns, in the same order)')}`)
  }
  const trace = answer.trace
  if (trace !== undefined) {
    const exact = trace.exact === undefined ? '' : `, \\quad ${text('exact')} = ${entry(trace.exact)}`
    lines.push(`\\operatorname{tr} H &\\approx ${entry(trace.estimate)} \\pm ${entry(trace.standardError)} \\quad ${text(`(Hutchinson, ${trace.samples} Rademacher probes)`)}${exact}`)
  }
  if (answer.density !== undefined) lines.push(`&${text('(the spectral density: ask for image/svg+xml)')}`)
  return aligned(lines)
}

function swish (answer: Answer<typeof swishOperation>, body: Body<typeof swishOperation>, budget: LatexBudget): string {
  const [low, high] = answer.interval
  const over = `\\max_{x \\in [${latexNumber(low)}, ${latexNumber(high)}]}`
  // Inside the interval the maximum is at |x| = t*/β (src/math/swish.ts); else at an end.
  const peakInside = Math.abs(Math.abs(answer.argmaxRelu) * body.beta - SWISH_PEAK) <= 1e-12 * SWISH_PEAK
  const lines = [
    `h(x) &= x \\, \\sigma(\\beta x), \\quad \\beta = ${latexNumber(body.beta)}`,
    `${over} \\lvert h(x) - \\mathrm{ReLU}(x) \\rvert &= ${latexNumber(answer.distanceToRelu)} \\quad (x = ${latexNumber(answer.argmaxRelu)}${peakInside ? ' = -t^*/\\beta' : text(', an end of the interval')})`,
    `t^* &= ${latexNumber(SWISH_PEAK)} \\quad \\bigl(1 + e^{t^*} = t^* e^{t^*}: \\ \\lvert h(x) - \\mathrm{ReLU}(x) \\rvert = \\lvert x \\rvert \\, \\sigma(-\\beta \\lvert x \\rvert)${text(' peaks at ')}\\lvert x \\rvert = t^*/\\beta${text(', where it is ')}(t^* - 1)/\\beta\\bigr)`,
    `${over} \\lvert h(x) - x/2 \\rvert &= ${latexNumber(answer.distanceToHalfIdentity)} \\quad (x = ${latexNumber(answer.argmaxHalfIdentity)})`
  ]
  if (answer.values !== undefined && body.x !== undefined) {
    const pointRows = body.x.map((x, i) => [latexNumber(x), latexNumber(answer.values![i]), latexNumber(answer.derivatives![i])])
    lines.push(`&${table('rrr', ['x', 'h(x)', "h'(x)"], pointRows, budget, 'the points')}`)
  }
  return aligned(lines)
}

function reluDecomposition (answer: Answer<typeof reluDecompositionOperation>, _body: Body<typeof reluDecompositionOperation>, budget: LatexBudget): string {
  budget.spend(2 * answer.terms.length + 1, 'the terms')
  return answer.latex
}

function logisticMixture (answer: Answer<typeof logisticMixtureOperation>, body: Body<typeof logisticMixtureOperation>, budget: LatexBudget): string {
  const pi = body.pi
  // No \, between the factors: KaTeX expands it as a macro, at most 1000 in a formula by default.
  const terms = pi.map((weight, k) => `${latexNumber(weight)} \\sigma(w_{${k + 1}}^\\top x)`).join(' + ')
  budget.spend(pi.length, 'π')
  const lines = [
    `p(y = 1 \\mid x) &= \\sum_{k=1}^{${pi.length}} \\pi_k \\, \\sigma(w_k^\\top x) = ${terms}`,
    `&= \\pi^\\top \\sigma(W x), \\quad W = ${numberMatrix(body.weights, budget, 'W')}, \\quad \\pi = ${row(pi, budget, 'π')}`,
    `&${text(`(a network: ${answer.network.input.size} inputs, ${answer.network.hidden.units} sigmoid hidden units without bias, one linear output unit weighted by pi)`)}`
  ]
  if (Array.isArray(answer.probability)) lines.push(`p(y = 1 \\mid x_i) &= ${row(answer.probability, budget, 'the probabilities')} \\quad ${text('(one per row of x)')}`)
  else lines.push(`p(y = 1 \\mid x) &= ${latexNumber(answer.probability)} \\quad ${text('at ')}x = ${row(body.x as number[], budget, 'x')}`)
  return aligned(lines)
}

function cornerExperiment (answer: Answer<typeof cornerExperimentOperation>, _body: Body<typeof cornerExperimentOperation>, budget: LatexBudget): string {
  const percent = (fraction: number): string => `${latexNumber(Math.round(fraction * 1000) / 10)}\\%`
  const runRows = answer.runs.map((run) => [
    text(run.residual ? 'with residual' : 'without residual'), latexNumber(run.epochs), percent(run.accuracy.corners), percent(run.accuracy.pixels),
    run.firstPerfectEpoch === null ? text('never') : latexNumber(run.firstPerfectEpoch), latexNumber(run.finalLoss)
  ])
  const header = [text('network'), text('epochs'), text('corners'), text('pixels'), text('100 % from epoch'), text('final loss')]
  return aligned([
    `&${table('lrrrrr', header, runRows, budget, 'the runs')}`,
    `&${text(`(the receptive field of every output corner: ${answer.runs[0].receptiveField.size} x ${answer.runs[0].receptiveField.size}, covering the opposite input corner)`)}`
  ])
}

type Fragment = (answer: never, body: never, budget: LatexBudget, limits: Limits) => string

/** Operation name → its LaTeX answer. */
const FRAGMENTS: Readonly<Record<string, Fragment>> = {
  softmaxStable, convMatrix, receptiveField, paramCount, hvp, newtonStep, hessianSpectrum, swish, reluDecomposition, logisticMixture, cornerExperiment
}

/** The operations that have a LaTeX answer (all of them: test/latex/answers.test.ts). */
export const LATEX_OPERATIONS: ReadonlySet<string> = new Set(Object.keys(FRAGMENTS))

/**
 * The LaTeX answer of `operation` for this answer and body.
 * @param path - the operation's REST path, for the 413's advice
 * @throws {LimitExceededError} (413) over LATEX_MAX_ENTRIES, or CONV_MAX_LATEX_ENTRIES for a conv matrix
 */
export function latexAnswer (operation: string, answer: unknown, body: unknown, limits: Limits, path: string): string {
  return FRAGMENTS[operation](answer as never, body as never, new LatexBudget(limits.latexMaxEntries, path), limits)
}
