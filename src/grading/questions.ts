/**
 * The question bank: one entry per computational question of the assignment. Each question
 * names the computation that answers it (an entry of src/operations), the request it sends
 * for given params, the part of the response that is the answer, its default comparison, and
 * how a per-student variant draws its params.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ArchitectureNotation } from '../operations/architecture-input.js'
import { convMatrixOperation } from '../operations/conv-matrix.js'
import { hessianSpectrumOperation } from '../operations/hessian-spectrum.js'
import { hvpOperation } from '../operations/hvp.js'
import { logisticMixtureOperation } from '../operations/logistic-mixture.js'
import { ExpressionModelSchema, MlpModelSchema, ModelSchema, QuadraticModelSchema, type ModelInput } from '../operations/models.js'
import type { Operation } from '../operations/operation.js'
import { paramCountOperation } from '../operations/param-count.js'
import { receptiveFieldOperation } from '../operations/receptive-field.js'
import { reluDecompositionOperation } from '../operations/relu-decomposition.js'
import { PairInput } from '../operations/schemas.js'
import { softmaxStableOperation } from '../operations/softmax-stable.js'
import { swishOperation } from '../operations/swish.js'
import type { ResolvedComparison } from './comparison.js'
import type { Language, Localized } from './language.js'
import { code, texMatrix, texNumber, texPair, texSize, texVector } from './markdown.js'
import type { VariantRandom } from './variants.js'

/** An answer: a number, a vector, or a matrix (row-major). */
export type Answer = number | number[] | number[][]

export const ANSWER_SHAPES = ['number', 'integer', 'integer-pair', 'vector', 'matrix'] as const
export type AnswerShape = typeof ANSWER_SHAPES[number]

export interface Question<P extends TSchema = TSchema, B extends TSchema = TSchema, R extends TSchema = TSchema> {
  /** stable id: the assignment's question number and what is asked */
  id: string
  title: Localized<string>
  /** the assignment's question number */
  question: string
  operation: Operation<B, R>
  params: P
  /** the assignment's own numbers */
  defaults: Static<P>
  answer: { shape: AnswerShape, description: string }
  comparison: ResolvedComparison
  /**
   * The question for these params, in Markdown with LaTeX math between `$…$` (KaTeX renders
   * it); the comparison's sentence is added by statementOf, from the question's comparison.
   */
  statement: Localized<(params: Static<P>) => string>
  /** the body of the computation's request that answers the question */
  request: (params: Static<P>) => Static<B>
  /** the answer, out of the computation's response; null (or null entries): a result outside float64 */
  expected: (result: Static<R>) => Answer | Array<number | null> | null
  variant: (random: VariantRandom) => Static<P>
}

/** Type-checks a question's functions against its params and its operation's schemas. */
function defineQuestion<P extends TSchema, B extends TSchema, R extends TSchema> (question: Question<P, B, R>): Question {
  return question as unknown as Question
}

/** Exact integers: pl-integer-input's rule. */
const EXACT: ResolvedComparison = { mode: 'exact' }
/**
 * Floating-point answers: NumPy's allclose defaults (rtol 1e-5, atol 1e-8), which PrairieLearn's
 * is_correct_ndarray2D_ra also uses; loose enough for a float32 computation, tight enough to
 * catch a wrong formula.
 */
const CLOSE: ResolvedComparison = { mode: 'relabs', rtol: 1e-5, atol: 1e-8 }
/**
 * A maximum a student may find on a grid as well as in closed form: pl-number-input's sigfig
 * rule at 3 digits (0.51 units of the third significant digit, about 0.05–0.5 % of the value).
 */
const THREE_DIGITS: ResolvedComparison = { mode: 'sigfig', digits: 3 }

/** "a, b and c" (or "et"): the parts given, in order; empty ones left out. */
function listing (conjunction: 'and' | 'et', parts: readonly string[]): string {
  const given = parts.filter((part) => part !== '')
  return `${given.slice(0, -1).join(', ')} ${conjunction} ${given.at(-1)!}`
}

/** [lo, hi] in LaTeX. */
const interval = (pair: readonly number[]): string => `[${texNumber(pair[0])}, ${texNumber(pair[1])}]`
/** w_1 = (…), w_2 = (…), each in math. */
const weights = (rows: readonly number[][]): string => rows.map((w, k) => `$w_{${k + 1}} = ${texVector(w)}$`).join(', ')
/** 32 → 512 → 10 in LaTeX. */
const widths = (sizes: readonly number[]): string => sizes.join(' \\to ')
/** Question 3.6's f: a formula as the student types it into /hvp, or another model as its JSON. */
function hvpModel (model: ModelInput, language: Language): string {
  if (model.kind === 'expression') return `$f(${model.variables.join(', ')}) =$ ${code(model.expression)}`
  const text = code(JSON.stringify(model))
  return language === 'en' ? `$f$ be the ${model.kind === 'mlp' ? 'MLP' : 'quadratic'} model ${text}` : `$f$ le modèle ${model.kind === 'mlp' ? 'MLP' : 'quadratique'} ${text}`
}
const strict = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })

/**
 * Grader-given params are bounded to what a variant plausibly needs, with headroom: one /grade
 * request computes up to GRADE_MAX_ITEMS expected answers and compares each with a student's
 * answer of the same size, so the largest params one item may carry must cost at most a few
 * milliseconds. Each bound is in the schema (GET /questions shows it); the computation's own
 * route takes larger inputs, under its own limits. Questions 1.1 and 1.2 take a fixed number of
 * numbers, whose values change nothing of the cost.
 */
const variantSized = (bound: string, operation: { path: string }): string =>
  `${bound} (variant-sized: larger inputs go to the computation's own route, POST ${operation.path})`
const Numbers = (maxItems: number, description: string) => Type.Array(Type.Number(), { minItems: 1, maxItems, description })

const Pair = (description: string) => Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description })
/** Logits of question 1.4: the variants' 3–5 with headroom. */
const LOGITS_MAX = 32
const mixture = logisticMixtureOperation.body.properties
/** Components K and features d of question 2: the variants' 2–3 with headroom. */
const MIXTURE_MAX = 10

/**
 * A convolution's matrix has one row per output pixel and one column per input pixel, and
 * grading checks and compares every entry, which costs far more than computing them: these
 * bounds keep it under 10,000 entries. The sizes are the variants' (inputs 2–5, 2×2 or 3×3
 * kernels, stride 1–2, padding 0–1) with headroom.
 */
const CONV_MAX_KERNEL = 5
const convBound = (bound: string) => variantSized(bound, convMatrixOperation)
/** Question 4.3's and 4.4's params but the input size. */
const ConvSettings = {
  kernel: Type.Array(Type.Array(Type.Number(), { minItems: 1, maxItems: CONV_MAX_KERNEL }), {
    minItems: 1, maxItems: CONV_MAX_KERNEL, description: convBound(`a numeric kernel kh × kw, so the answer is numbers; at most ${CONV_MAX_KERNEL} × ${CONV_MAX_KERNEL}`)
  }),
  stride: Type.Optional(PairInput(1, 3, convBound('stride (default 1)'))),
  padding: Type.Optional(PairInput(0, 2, convBound('zero padding on each side (default 0)'))),
  dilation: Type.Optional(PairInput(1, 2, convBound('dilation (default 1)')))
}
/**
 * Question 4.3: an 8 × 8 input with padding 2 and a 1 × 1 kernel gives the largest matrix,
 * 144 × 64.
 */
const CONV_MAX_INPUT = 8
/**
 * Question 4.4: the output grows as (in − 1)·stride + dilation·(k − 1), so a transposed
 * convolution's input is bounded tighter; 4 × 4 at stride 3, dilation 2, 5 × 5, outputPadding
 * 2 gives at most a 400 × 16 matrix.
 */
const TRANSPOSED_MAX_INPUT = 4

/** MLP widths and depths of question 3.2: the variants' (≤ 512, 1–3 hidden layers) with headroom. */
const MLP_MAX_WIDTH = 4096
const MLP_MAX_SIZES = 12
const Sizes = Type.Array(Type.Integer({ minimum: 1, maximum: MLP_MAX_WIDTH }), {
  minItems: 2, maxItems: MLP_MAX_SIZES, description: variantSized(`MLP layer widths, input first: at most ${MLP_MAX_SIZES} widths of at most ${MLP_MAX_WIDTH}`, paramCountOperation)
})
/** Question 3.2's params, for both of its questions. */
const MlpParams = strict({ sizes: Sizes, bias: Type.Optional(Type.Boolean({ description: 'layers have biases (default true)' })) })
/** An MLP of readable widths: {16…128} → 1–3 hidden layers of {64…512} → 2–10 classes. */
const drawMlp = (random: VariantRandom): Static<typeof MlpParams> => ({
  sizes: [random.pick([16, 32, 64, 128]), ...Array.from({ length: random.integer(1, 3) }, () => random.pick([64, 128, 256, 512])), random.integer(2, 10)]
})

/**
 * Architectures of questions 4.1, 5.1 and 5.3: a variant has at most six layers (about 200
 * characters); 1000 is thirty-odd layers. The input side changes nothing of the cost, but 256
 * covers the usual image sizes (32, 64, 224, 256) and the variants' 24–64.
 */
const ARCHITECTURE_MAX_LENGTH = 1000
const IMAGE_MAX_SIDE = 256
const Architecture = Type.String({
  minLength: 1,
  maxLength: ARCHITECTURE_MAX_LENGTH,
  description: variantSized(`${ArchitectureNotation.description!} At most ${ARCHITECTURE_MAX_LENGTH} characters.`, receptiveFieldOperation)
})
const ShapeParams = strict({
  input: PairInput(1, IMAGE_MAX_SIDE, variantSized('input image size [H, W]', receptiveFieldOperation)),
  architecture: Architecture
})

/**
 * Question 3.6's model: a variant is a formula of three variables; a grader may also give a
 * small quadratic or MLP (a 16 → 16 → 16 → 16 MLP has 816 parameters), but not the
 * assignment's 284,682-parameter MLP: its product is POST /hvp's work.
 */
const HVP_MAX_VARIABLES = 16
const HVP_MAX_EXPRESSION = 256
const HVP_MAX_WIDTH = 16
const HVP_MAX_LAYERS = 3
const HVP_MAX_BATCH = 16
/** w and v: one entry per parameter, as many as the largest MLP allowed has. */
const HVP_MAX_PARAMETERS = HVP_MAX_LAYERS * (HVP_MAX_WIDTH + 1) * HVP_MAX_WIDTH
const hvpBound = (bound: string) => variantSized(bound, hvpOperation)
const spectrumBound = (bound: string) => variantSized(bound, hessianSpectrumOperation)
const BoundedRows = (rows: number, columns: number, description: string) =>
  Type.Array(Type.Array(Type.Number(), { maxItems: columns }), { minItems: 1, maxItems: rows, description })
const BoundedQuadratic = Type.Object({
  kind: QuadraticModelSchema.properties.kind,
  A: BoundedRows(HVP_MAX_VARIABLES, HVP_MAX_VARIABLES, hvpBound(`${QuadraticModelSchema.properties.A.description!}; at most ${HVP_MAX_VARIABLES} × ${HVP_MAX_VARIABLES}`)),
  b: Type.Optional(Type.Array(Type.Number(), { maxItems: HVP_MAX_VARIABLES, description: hvpBound(`${QuadraticModelSchema.properties.b.description!}; at most ${HVP_MAX_VARIABLES}`) }))
}, { additionalProperties: false, title: 'QuadraticModel', description: QuadraticModelSchema.description })
const BoundedExpression = Type.Object({
  kind: ExpressionModelSchema.properties.kind,
  expression: Type.String({
    minLength: 1,
    maxLength: HVP_MAX_EXPRESSION,
    description: hvpBound(`${ExpressionModelSchema.properties.expression.description!}; at most ${HVP_MAX_EXPRESSION} characters`)
  }),
  variables: Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 32 }), {
    maxItems: HVP_MAX_VARIABLES, description: hvpBound(`${ExpressionModelSchema.properties.variables.description!}; at most ${HVP_MAX_VARIABLES} names of at most 32 characters`)
  })
}, { additionalProperties: false, title: 'ExpressionModel' })
const mlp = MlpModelSchema.properties
const BoundedMlp = Type.Object({
  kind: mlp.kind,
  sizes: Type.Array(Type.Integer({ minimum: 1, maximum: HVP_MAX_WIDTH }), {
    minItems: 2, maxItems: HVP_MAX_LAYERS + 1, description: hvpBound(`${mlp.sizes.description!}; at most ${HVP_MAX_LAYERS + 1} widths (${HVP_MAX_LAYERS} layers) of at most ${HVP_MAX_WIDTH}`)
  }),
  activation: mlp.activation,
  loss: mlp.loss,
  inputs: BoundedRows(HVP_MAX_BATCH, HVP_MAX_WIDTH, hvpBound(`${mlp.inputs.description!}; a batch of at most ${HVP_MAX_BATCH}`)),
  targets: Type.Union([
    Type.Array(Type.Integer({ minimum: 0 }), { maxItems: HVP_MAX_BATCH }),
    Type.Array(Type.Array(Type.Number(), { maxItems: HVP_MAX_WIDTH }), { maxItems: HVP_MAX_BATCH })
  ], { description: hvpBound(`${mlp.targets.description!}; at most ${HVP_MAX_BATCH}`) })
}, { additionalProperties: false, title: 'MlpModel', description: MlpModelSchema.description })
/** As ModelSchema: a oneOf discriminated by `kind`, so an error is reported against the right branch. */
const BoundedModel = Type.Unsafe<ModelInput>({
  type: 'object',
  oneOf: [BoundedQuadratic, BoundedExpression, BoundedMlp],
  discriminator: { propertyName: 'kind' },
  description: ModelSchema.description
})

const drawKernel = (random: VariantRandom, height: number, width: number): number[][] =>
  Array.from({ length: height }, () => Array.from({ length: width }, () => random.nonZero(-9, 9)))

/** "3*x^2*y - sin(y)*z + 2*x*z^2": integer coefficients written as a person would. */
export function polynomial (terms: ReadonlyArray<readonly [number, string]>): string {
  return terms.map(([coefficient, monomial], i) => {
    const magnitude = Math.abs(coefficient) === 1 ? monomial : `${Math.abs(coefficient)}*${monomial}`
    if (i === 0) return coefficient < 0 ? `-${magnitude}` : magnitude
    return `${coefficient < 0 ? '-' : '+'} ${magnitude}`
  }).join(' ')
}

/** Question 1.1's β: Swish from near x/2 (β = 0.5) to near ReLU (β = 20). */
const SWISH_BETAS = [0.5, 1, 2, 5, 10, 20] as const

/**
 * n₁ … n_K ≥ 1 summing to `total`, uniformly over the compositions' first parts in turn: the
 * numerators of π in units of 1/total.
 */
function drawParts (random: VariantRandom, count: number, total: number): number[] {
  const parts: number[] = []
  let left = total
  for (let k = count - 1; k > 0; k--) {
    const part = random.integer(1, left - k)
    parts.push(part)
    left -= part
  }
  return [...parts, left]
}

/** [input, stride, padding] of question 4.3's variants, with 3 × 3 kernels. */
const CONV_SETTINGS = [[3, 2, 1], [3, 1, 0], [3, 1, 1], [4, 1, 0], [4, 2, 1], [4, 2, 0], [5, 2, 1], [5, 2, 0]] as const

const chain = (count: number, layer: (i: number) => string): string => Array.from({ length: count }, (_, i) => layer(i)).join(' → ')

/** Question 5's network: `count` convolutions k×k with the given padding, 16 channels, 1 out. */
const question5Network = (count: number, kernel: number, padding: number): string =>
  chain(count, (i) => `Conv-${kernel}x${kernel}(padding=${padding}, out=${i === count - 1 ? 1 : 16})`)

export const questions: readonly Question[] = [
  defineQuestion({
    id: '1.1-swish',
    title: { en: 'How far Swish is from ReLU', fr: 'Distance entre Swish et ReLU' },
    question: '1.1',
    operation: swishOperation,
    params: strict({
      beta: swishOperation.body.properties.beta,
      interval: Pair('[lo, hi], lo ≤ hi')
    }),
    defaults: { beta: 10, interval: [-5, 5] },
    answer: { shape: 'number', description: 'max over [lo, hi] of |x·σ(βx) − ReLU(x)|' },
    comparison: THREE_DIGITS,
    statement: {
      en: (p) => String.raw`Swish is $h(x) = x\,\sigma(\beta x)$, with $\sigma(t) = 1/(1 + e^{-t})$; it tends to ReLU as $\beta \to \infty$. ` +
        String.raw`For $\beta = ${texNumber(p.beta)}$, what is the largest distance between $h$ and ReLU on the interval $${interval(p.interval)}$, ` +
        String.raw`that is, $\max_{${texNumber(p.interval[0])} \le x \le ${texNumber(p.interval[1])}} |x\,\sigma(\beta x) - \mathrm{ReLU}(x)|$?`,
      fr: (p) => String.raw`La fonction Swish est $h(x) = x\,\sigma(\beta x)$, avec $\sigma(t) = 1/(1 + e^{-t})$; elle tend vers ReLU quand $\beta \to \infty$. ` +
        String.raw`Pour $\beta = ${texNumber(p.beta)}$, quelle est la plus grande distance entre $h$ et ReLU sur l’intervalle $${interval(p.interval)}$, ` +
        String.raw`c’est-à-dire $\max_{${texNumber(p.interval[0])} \le x \le ${texNumber(p.interval[1])}} |x\,\sigma(\beta x) - \mathrm{ReLU}(x)|$?`
    },
    request: (p) => ({ beta: p.beta, interval: p.interval }),
    expected: (result) => result.distanceToRelu,
    variant: (random) => {
      // Endpoints on a grid of step 1/(4β), a short decimal for every β of the set, at most
      // 10 steps from 0. The maximiser ±t*/β (t* = 1.278…) is 5.11 steps from 0: about half
      // the intervals hold it (the answer is then (t* − 1)/β), the others have the maximum at
      // the endpoint of |x| nearest it, on either side. |x| reaches 1 to 10 steps, so the
      // distance is at least min(0.25·σ(−0.25), 2.5·σ(−2.5))/β ≈ 0.11/β: never a tiny number.
      const beta = random.pick(SWISH_BETAS)
      const lo = random.integer(-10, 9)
      const hi = random.integer(lo + 1, 10)
      return { beta, interval: [lo / (4 * beta), hi / (4 * beta)] }
    }
  }),
  defineQuestion({
    id: '1.2-relu-decomposition',
    title: { en: 'A piecewise-linear function with ReLUs', fr: 'Une fonction affine par morceaux avec des ReLU' },
    question: '1.2',
    operation: reluDecompositionOperation,
    params: strict({
      breakpoints: Pair('[β, α], β < α'),
      slopes: Pair('[−b, a]: the slope of f left of β and right of α; f is constant between β and α'),
      at: Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false, description: 'a point (x, y) of the graph of f' })
    }),
    defaults: { breakpoints: [-1, 2], slopes: [-2, 3], at: { x: 4, y: 1 } },
    answer: { shape: 'vector', description: '[b, a, c] with f(x) = b·ReLU(β − x) + a·ReLU(x − α) + c' },
    comparison: CLOSE,
    statement: {
      en: (p) => String.raw`A continuous function $f$ has slope $${texNumber(p.slopes[0])}$ for $x < \beta$, is constant for $\beta < x < \alpha$, and has slope $${texNumber(p.slopes[1])}$ for $x > \alpha$, ` +
        String.raw`where $\beta = ${texNumber(p.breakpoints[0])}$ and $\alpha = ${texNumber(p.breakpoints[1])}$; its graph passes through $(${texNumber(p.at.x)}, ${texNumber(p.at.y)})$. ` +
        'Written with ReLU and arithmetic only, $f(x) = b\\,\\mathrm{ReLU}(\\beta - x) + a\\,\\mathrm{ReLU}(x - \\alpha) + c$. Give $[b, a, c]$.',
      fr: (p) => String.raw`Une fonction continue $f$ a une pente de $${texNumber(p.slopes[0])}$ pour $x < \beta$, est constante pour $\beta < x < \alpha$ et a une pente de $${texNumber(p.slopes[1])}$ pour $x > \alpha$, ` +
        String.raw`où $\beta = ${texNumber(p.breakpoints[0])}$ et $\alpha = ${texNumber(p.breakpoints[1])}$; son graphe passe par le point $(${texNumber(p.at.x)}, ${texNumber(p.at.y)})$. ` +
        'Écrite avec ReLU et des opérations arithmétiques seulement, $f(x) = b\\,\\mathrm{ReLU}(\\beta - x) + a\\,\\mathrm{ReLU}(x - \\alpha) + c$. Donnez $[b, a, c]$.'
    },
    request: (p) => ({ breakpoints: p.breakpoints, slopes: [p.slopes[0], 0, p.slopes[1]], at: p.at }),
    expected: (result) => {
      // The operation drops zero terms: with the middle slope 0, the only unreflected term is
      // a·ReLU(x − α), and a missing term is a coefficient 0. The params are numbers, so the
      // coefficients and c are too (only a symbolic input gives strings).
      const coefficient = (reflected: boolean): number => Number(result.terms.find((term) => term.reflected === reflected)?.coefficient ?? 0)
      return [coefficient(true), coefficient(false), Number(result.constant)]
    },
    variant: (random) => {
      // Small integers, so [b, a, c] are integers; the point lies left of β, on the flat part
      // or right of α depending on the draw, so c is not always y.
      const beta = random.integer(-4, 2)
      return {
        breakpoints: [beta, beta + random.integer(1, 4)],
        slopes: [random.nonZero(-4, 4), random.nonZero(-4, 4)],
        at: { x: random.integer(-6, 6), y: random.integer(-6, 6) }
      }
    }
  }),
  defineQuestion({
    id: '1.4-log-softmax',
    title: { en: 'Stable log-softmax', fr: 'Log-softmax stable' },
    question: '1.4',
    operation: softmaxStableOperation,
    params: strict({
      x: Numbers(LOGITS_MAX, variantSized(`the logits, at most ${LOGITS_MAX}`, softmaxStableOperation)),
      temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'T > 0 (default 1)' }))
    }),
    defaults: { x: [1000, 1001, 1002] },
    answer: { shape: 'vector', description: 'log S(x)_i for every i, one number per entry of x' },
    comparison: CLOSE,
    statement: {
      en: (p) => String.raw`Compute $\log S(x)_i = x_i - \log \sum_j e^{x_j}$ for every $i$, with $x = ${texVector(p.x)}$${p.temperature === undefined ? '' : ` divided by the temperature $T = ${texNumber(p.temperature)}$`}. ` +
        'Evaluated as written, $e^{x_j}$ overflows when every $x_j$ is large and underflows to $\\log 0$ when every $x_j$ is very negative: ' +
        'subtract $\\max_j x_j$ first. Give the list $[\\log S(x)_1, \\dots, \\log S(x)_n]$.',
      fr: (p) => String.raw`Calculez $\log S(x)_i = x_i - \log \sum_j e^{x_j}$ pour tout $i$, avec $x = ${texVector(p.x)}$${p.temperature === undefined ? '' : ` divisé par la température $T = ${texNumber(p.temperature)}$`}. ` +
        'Évaluée telle quelle, $e^{x_j}$ déborde si tous les $x_j$ sont grands, et s’annule (d’où $\\log 0$) si tous les $x_j$ sont très négatifs : ' +
        'soustrayez d’abord $\\max_j x_j$. Donnez la liste $[\\log S(x)_1, \\dots, \\log S(x)_n]$.'
    },
    request: (p) => ({ x: p.x, temperature: p.temperature }),
    expected: (result) => result.logSoftmax as Array<number | null>,
    variant: (random) => {
      // |x_j| ≥ 791: e^{x_j} overflows (x > 709.8) or underflows to 0 (x < −745.1) in float64.
      const base = random.pick([1, -1]) * 100 * random.integer(8, 20)
      return { x: Array.from({ length: random.integer(3, 5) }, () => base + random.integer(-9, 9)) }
    }
  }),
  defineQuestion({
    id: '2-logistic-mixture',
    title: { en: 'A mixture of logistic regressions', fr: 'Un mélange de régressions logistiques' },
    question: '2',
    operation: logisticMixtureOperation,
    params: strict({
      pi: Numbers(MIXTURE_MAX, variantSized(`${mixture.pi.description!}, K ≤ ${MIXTURE_MAX}`, logisticMixtureOperation)),
      weights: Type.Array(Numbers(MIXTURE_MAX, `w_k, d ≤ ${MIXTURE_MAX}`), {
        minItems: 1, maxItems: MIXTURE_MAX, description: variantSized(`${mixture.weights.description!}, K ≤ ${MIXTURE_MAX} and d ≤ ${MIXTURE_MAX}`, logisticMixtureOperation)
      }),
      x: Numbers(MIXTURE_MAX, variantSized(`one input of d numbers, d ≤ ${MIXTURE_MAX}`, logisticMixtureOperation))
    }),
    defaults: { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [1, 2] },
    answer: { shape: 'number', description: 'p(y = 1 ∣ x) = Σ_k π_k·σ(w_kᵀx)' },
    comparison: CLOSE,
    statement: {
      en: (p) => String.raw`In a mixture of ${p.pi.length} logistic regressions, $z \sim \mathrm{Categorical}(\pi)$ with $\pi = ${texVector(p.pi)}$, ` +
        String.raw`and $y \mid z = k, x \sim \mathrm{Bernoulli}(\sigma(w_k^\top x))$ with ${weights(p.weights)}. What is $p(y = 1 \mid x)$ for $x = ${texVector(p.x)}$?`,
      fr: (p) => String.raw`Dans un mélange de ${p.pi.length} régressions logistiques, $z \sim \mathrm{Cat}(\pi)$ (loi catégorielle) avec $\pi = ${texVector(p.pi)}$, ` +
        String.raw`et $y \mid z = k, x \sim \mathrm{Bernoulli}(\sigma(w_k^\top x))$ avec ${weights(p.weights)}. Que vaut $p(y = 1 \mid x)$ pour $x = ${texVector(p.x)}$?`
    },
    request: (p) => ({ pi: p.pi, weights: p.weights, x: p.x }),
    expected: (result) => result.probability,
    variant: (random) => {
      // π in twentieths, each ≥ 0.05: n/20 is the double nearest the decimal, so π prints as
      // 0.35, and Σπ is within a few ulps of 1 (the operation allows 1e-9). The logits w_kᵀx
      // are redrawn until they differ, so π matters (equal logits t give σ(t) whatever π, and
      // all zero give 1/2); x has no zero entry, which would make them all 0. |w_kᵀx| ≤ 27.
      const [components, features] = [random.integer(2, 3), random.integer(2, 3)]
      const pi = drawParts(random, components, 20).map((n) => n / 20)
      const x = Array.from({ length: features }, () => random.nonZero(-3, 3))
      let weights: number[][]
      do weights = Array.from({ length: components }, () => Array.from({ length: features }, () => random.integer(-3, 3)))
      while (new Set(weights.map((w) => w.reduce((sum, weight, j) => sum + weight * x[j], 0))).size < components)
      return { pi, weights, x }
    }
  }),
  defineQuestion({
    id: '3.2-param-count',
    title: { en: 'Parameters of an MLP', fr: 'Paramètres d’un MLP' },
    question: '3.2',
    operation: paramCountOperation,
    params: MlpParams,
    defaults: { sizes: [32, 512, 512, 10] },
    answer: { shape: 'integer', description: 'the number of parameters n, biases included' },
    comparison: EXACT,
    statement: {
      en: (p) => String.raw`A multilayer perceptron has layer widths $${widths(p.sizes)}$ (${p.sizes[0]} input features, ${p.sizes.at(-1)!} outputs), ` +
        String.raw`fully connected${p.bias === false ? ', without biases' : ', with biases'}. How many parameters does it have?`,
      fr: (p) => String.raw`Un perceptron multicouche a des couches de largeurs $${widths(p.sizes)}$ (${p.sizes[0]} caractéristiques en entrée, ${p.sizes.at(-1)!} sorties), ` +
        String.raw`entièrement connectées${p.bias === false ? ', sans biais' : ', avec biais'}. Combien de paramètres le modèle a-t-il?`
    },
    request: (p) => ({ sizes: p.sizes, bias: p.bias }),
    expected: (result) => result.total,
    variant: drawMlp
  }),
  defineQuestion({
    id: '3.2-hessian-shape',
    title: { en: 'Shape of the Hessian of an MLP', fr: 'Taille de la hessienne d’un MLP' },
    question: '3.2',
    operation: paramCountOperation,
    params: MlpParams,
    defaults: { sizes: [32, 512, 512, 10] },
    answer: { shape: 'integer-pair', description: '[n, n], the shape of the Hessian of the loss with respect to the n parameters' },
    comparison: EXACT,
    statement: {
      en: (p) => String.raw`A multilayer perceptron has layer widths $${widths(p.sizes)}$${p.bias === false ? ', without biases' : ', with biases'}. ` +
        'What is the shape of the Hessian matrix $H$ of the loss with respect to all its parameters? Give $[n, n]$.',
      fr: (p) => String.raw`Un perceptron multicouche a des couches de largeurs $${widths(p.sizes)}$${p.bias === false ? ', sans biais' : ', avec biais'}. ` +
        'Quelle est la taille de la matrice hessienne $H$ de la perte par rapport à tous ses paramètres? Donnez $[n, n]$.'
    },
    request: (p) => ({ sizes: p.sizes, bias: p.bias }),
    expected: (result) => result.hessian.shape,
    variant: drawMlp
  }),
  defineQuestion({
    id: '3.6-hvp',
    title: { en: 'Exact Hessian-vector product', fr: 'Produit hessienne-vecteur exact' },
    question: '3.6',
    operation: hvpOperation,
    params: strict({
      model: BoundedModel,
      w: Type.Array(Type.Number(), { maxItems: HVP_MAX_PARAMETERS, description: hvpBound(`the point, one entry per parameter, at most ${HVP_MAX_PARAMETERS}`) }),
      v: Type.Array(Type.Number(), { maxItems: HVP_MAX_PARAMETERS, description: hvpBound(`the direction, one entry per parameter, at most ${HVP_MAX_PARAMETERS}`) })
    }),
    defaults: { model: { kind: 'expression', expression: 'x^2*y + sin(y)*z', variables: ['x', 'y', 'z'] }, w: [1, 2, 3], v: [1, 0, -1] },
    answer: { shape: 'vector', description: 'H(w)·v, one number per parameter' },
    comparison: CLOSE,
    statement: {
      en: (p) => String.raw`Let ${hvpModel(p.model, 'en')}. With Pearlmutter’s R-operator, $\mathcal{R}_v\{\nabla f(w)\} = \frac{\partial}{\partial r} \nabla f(w + r v)\big|_{r=0}$, ` +
        String.raw`compute the Hessian-vector product $H(w)\,v$ exactly at $w = ${texVector(p.w)}$ for $v = ${texVector(p.v)}$.`,
      fr: (p) => String.raw`Soit ${hvpModel(p.model, 'fr')}. Avec l’opérateur R de Pearlmutter, $\mathcal{R}_v\{\nabla f(w)\} = \frac{\partial}{\partial r} \nabla f(w + r v)\big|_{r=0}$, ` +
        String.raw`calculez exactement le produit hessienne-vecteur $H(w)\,v$ en $w = ${texVector(p.w)}$ pour $v = ${texVector(p.v)}$.`
    },
    request: (p) => ({ model: p.model, w: p.w, v: p.v }),
    expected: (result) => result.hv,
    variant: (random) => {
      const [a, b, c] = [random.nonZero(-5, 5), random.nonZero(-5, 5), random.nonZero(-5, 5)]
      return {
        model: { kind: 'expression' as const, expression: polynomial([[a, 'x^2*y'], [b, 'sin(y)*z'], [c, 'x*z^2']]), variables: ['x', 'y', 'z'] },
        w: [random.integer(-2, 2), random.integer(-2, 2), random.integer(-2, 2)],
        v: [random.nonZero(-2, 2), random.nonZero(-2, 2), random.nonZero(-2, 2)]
      }
    }
  }),
  defineQuestion({
    id: '4.1-output-shape',
    title: { en: 'Output resolution of a small CNN', fr: 'Résolution de sortie d’un petit CNN' },
    question: '4.1',
    operation: receptiveFieldOperation,
    params: ShapeParams,
    defaults: { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' },
    answer: { shape: 'integer-pair', description: '[H, W] of the output feature map' },
    comparison: EXACT,
    statement: {
      en: (p) => String.raw`An image of size $${texSize(p.input)}$ goes through ${code(p.architecture)}. Convolutions have stride 1 and no padding; pooling windows do not overlap. ` +
        'What is the resolution $[H, W]$ of the output?',
      fr: (p) => String.raw`Une image de taille $${texSize(p.input)}$ traverse ${code(p.architecture)}. Les convolutions ont un pas de 1 et aucun remplissage; les fenêtres de pooling ne se chevauchent pas. ` +
        'Quelle est la résolution $[H, W]$ de la sortie?'
    },
    request: (p) => ({ input: p.input, architecture: p.architecture }),
    expected: (result) => result.outputShape as number[],
    variant: (random) => {
      // Even sides keep the 2×2 pooling exact; ≥ 24 leaves at least one pixel with 5×5 kernels.
      const k = random.pick([3, 5])
      return {
        input: [2 * random.integer(12, 32), 2 * random.integer(12, 32)],
        architecture: `Image → Conv-${k}x${k} → ReLU → Conv-${k}x${k} → MaxPool-2x2 → Conv-${k}x${k} → ReLU → Output`
      }
    }
  }),
  defineQuestion({
    id: '4.3-conv-matrix',
    title: { en: 'A convolution as a matrix', fr: 'Une convolution comme une matrice' },
    question: '4.3',
    operation: convMatrixOperation,
    params: strict({ input: PairInput(1, CONV_MAX_INPUT, convBound('input size [H, W]')), ...ConvSettings }),
    defaults: { input: 3, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], stride: 2, padding: 1 },
    answer: { shape: 'matrix', description: 'A with y = A·x for x and y flattened row-major: one row per output pixel, one column per input pixel' },
    comparison: CLOSE,
    statement: {
      en: (p) => `A convolution (a cross-correlation, as in PyTorch) with ${listing('and', [`kernel $${texMatrix(p.kernel)}$`, `stride $${texPair(p.stride ?? 1)}$`,
        `zero padding $${texPair(p.padding ?? 0)}$`, p.dilation === undefined ? '' : `dilation $${texPair(p.dilation)}$`])} is applied to an input of size $${texSize(p.input)}$. ` +
        'Write it as $y = A x$ with $x$ and $y$ flattened row-major ($x_{0,0}, x_{0,1}, \\dots$): what is $A$?',
      fr: (p) => String.raw`Une convolution (une corrélation croisée, comme dans PyTorch) de noyau $${texMatrix(p.kernel)}$, de pas $${texPair(p.stride ?? 1)}$, avec un remplissage de zéros $${texPair(p.padding ?? 0)}$` +
        String.raw`${p.dilation === undefined ? '' : ` et une dilatation $${texPair(p.dilation)}$`}, est appliquée à une entrée de taille $${texSize(p.input)}$. ` +
        'Écrivez-la sous la forme $y = A x$, où $x$ et $y$ sont aplatis ligne par ligne ($x_{0,0}, x_{0,1}, \\dots$) : que vaut $A$?'
    },
    request: (p) => ({ input: p.input, kernel: p.kernel, stride: p.stride, padding: p.padding, dilation: p.dilation }),
    expected: (result) => result.matrix as number[][],
    variant: (random) => {
      // [input, stride, padding] giving at most a 9 × 25 matrix: small enough to write by hand.
      const [input, stride, padding] = random.pick(CONV_SETTINGS)
      return { input, kernel: drawKernel(random, 3, 3), stride, padding }
    }
  }),
  defineQuestion({
    id: '4.4-transposed-conv-matrix',
    title: { en: 'A transposed convolution as a matrix', fr: 'Une convolution transposée comme une matrice' },
    question: '4.4',
    operation: convMatrixOperation,
    params: strict({
      input: PairInput(1, TRANSPOSED_MAX_INPUT, convBound('input size [H, W]')),
      ...ConvSettings,
      outputPadding: Type.Optional(PairInput(0, 2, convBound('extra rows/columns on one side, smaller than stride or dilation (default 0)')))
    }),
    defaults: { input: 2, kernel: [[1, 2], [3, 4]], stride: 2, padding: 0 },
    answer: { shape: 'matrix', description: 'A with y = A·x for x and y flattened row-major: one row per output pixel, one column per input pixel' },
    comparison: CLOSE,
    statement: {
      en: (p) => `A transposed convolution (PyTorch’s conv_transpose2d) with ${listing('and', [`kernel $${texMatrix(p.kernel)}$`, `stride $${texPair(p.stride ?? 1)}$`,
        `padding $${texPair(p.padding ?? 0)}$`, p.dilation === undefined ? '' : `dilation $${texPair(p.dilation)}$`, p.outputPadding === undefined ? '' : `output padding $${texPair(p.outputPadding)}$`])} ` +
        `is applied to an input of size $${texSize(p.input)}$. Write it as $y = A x$ with $x$ and $y$ flattened row-major: what is $A$?`,
      fr: (p) => `Une convolution transposée (conv_transpose2d de PyTorch) ${listing('et', [`de noyau $${texMatrix(p.kernel)}$`, `de pas $${texPair(p.stride ?? 1)}$`,
        `de remplissage $${texPair(p.padding ?? 0)}$`, p.dilation === undefined ? '' : `de dilatation $${texPair(p.dilation)}$`, p.outputPadding === undefined ? '' : `de remplissage de sortie $${texPair(p.outputPadding)}$`])} ` +
        `est appliquée à une entrée de taille $${texSize(p.input)}$. Écrivez-la sous la forme $y = A x$, où $x$ et $y$ sont aplatis ligne par ligne : que vaut $A$?`
    },
    request: (p) => ({ input: p.input, kernel: p.kernel, stride: p.stride, padding: p.padding, dilation: p.dilation, outputPadding: p.outputPadding, transposed: true }),
    expected: (result) => result.matrix as number[][],
    variant: (random) => {
      // A 2 × 2 input as in the assignment: at most a 25 × 4 matrix.
      const k = random.integer(2, 3)
      return { input: 2, kernel: drawKernel(random, k, k), stride: random.integer(1, 2), padding: 0 }
    }
  }),
  defineQuestion({
    id: '5.1-output-shape',
    title: { en: 'Output resolution of a padded CNN', fr: 'Résolution de sortie d’un CNN avec remplissage' },
    question: '5.1',
    operation: receptiveFieldOperation,
    params: ShapeParams,
    defaults: { input: 32, architecture: question5Network(4, 3, 1) },
    answer: { shape: 'integer-pair', description: '[H, W] of the output feature map' },
    comparison: EXACT,
    statement: {
      en: (p) => String.raw`An image of size $${texSize(p.input)}$ goes through ${code(p.architecture)} (stride 1). What is the resolution $[H, W]$ of the output?`,
      fr: (p) => String.raw`Une image de taille $${texSize(p.input)}$ traverse ${code(p.architecture)} (pas de 1). Quelle est la résolution $[H, W]$ de la sortie?`
    },
    request: (p) => ({ input: p.input, architecture: p.architecture }),
    expected: (result) => result.outputShape as number[],
    variant: (random) => {
      // ≥ 32 pixels leave an output even for six unpadded 5×5 convolutions (32 − 24 = 8).
      const k = random.pick([3, 5])
      return { input: random.integer(32, 64), architecture: question5Network(random.integer(3, 6), k, random.pick([0, (k - 1) / 2])) }
    }
  }),
  defineQuestion({
    id: '5.3-receptive-field',
    title: { en: 'Receptive field of the output features', fr: 'Champ récepteur des caractéristiques de sortie' },
    question: '5.3',
    operation: receptiveFieldOperation,
    params: strict({ architecture: Architecture }),
    defaults: { architecture: question5Network(4, 3, 1) },
    answer: { shape: 'integer-pair', description: '[h, w], the size of the input region one output feature sees' },
    comparison: EXACT,
    statement: {
      en: (p) => String.raw`For the network ${code(p.architecture)} (stride 1), what is the size $[h, w]$ of the receptive field of one output feature, ` +
        'that is, of the input region that can influence it?',
      fr: (p) => String.raw`Pour le réseau ${code(p.architecture)} (pas de 1), quelle est la taille $[h, w]$ du champ récepteur d’une caractéristique de sortie, ` +
        'c’est-à-dire de la région de l’entrée qui peut l’influencer?'
    },
    request: (p) => ({ architecture: p.architecture }),
    expected: (result) => result.receptiveField as number[],
    variant: (random) => {
      const k = random.pick([3, 5])
      return { architecture: question5Network(random.integer(3, 6), k, (k - 1) / 2) }
    }
  }),
  defineQuestion({
    id: '3.1-largest-eigenvalue',
    title: { en: 'Largest Hessian eigenvalue and the learning rate', fr: 'Plus grande valeur propre de la hessienne et taux d’apprentissage' },
    question: '3.1',
    operation: hessianSpectrumOperation,
    params: strict({ A: BoundedRows(HVP_MAX_VARIABLES, HVP_MAX_VARIABLES, spectrumBound(`the matrix A of f(w) = ½wᵀAw, n × n; at most ${HVP_MAX_VARIABLES} × ${HVP_MAX_VARIABLES}`)) }),
    defaults: { A: [[2, 1], [1, 3]] },
    answer: { shape: 'number', description: 'λ_max, the largest eigenvalue of the Hessian (A + Aᵀ)/2' },
    comparison: CLOSE,
    // The assignment's question 3.1 asks what Newton's step says about the learning rate:
    // along an eigenvector of eigenvalue λ, gradient descent multiplies the error by 1 − ηλ,
    // so it converges from every start only for 0 < η < 2/λ_max, where Newton's step divides
    // each direction by its own λ.
    statement: {
      en: (p) => String.raw`Let $f(w) = \tfrac{1}{2} w^\top A w$ with $A = ${texMatrix(p.A)}$. Its Hessian is $H = \tfrac{1}{2}(A + A^\top)$ at every $w$, ` +
        String.raw`so Newton’s step $w - H^{-1} \nabla f(w)$ reaches the point where $\nabla f = 0$ from any $w$ in one step (when $H$ is invertible), ` +
        String.raw`whereas gradient descent $w - \eta \nabla f(w)$, when $H$ is positive definite, converges from every start only for $0 < \eta < 2 / \lambda_{\max}$. ` +
        String.raw`Compute $\lambda_{\max}$, the largest eigenvalue of $H$.`,
      fr: (p) => String.raw`Soit $f(w) = \tfrac{1}{2} w^\top A w$ avec $A = ${texMatrix(p.A)}$. Sa hessienne est $H = \tfrac{1}{2}(A + A^\top)$ en tout $w$ : ` +
        String.raw`le pas de Newton $w - H^{-1} \nabla f(w)$ atteint le point où $\nabla f = 0$ en un seul pas depuis tout $w$ (si $H$ est inversible), ` +
        String.raw`alors que la descente de gradient $w - \eta \nabla f(w)$, si $H$ est définie positive, ne converge depuis tout point de départ que pour $0 < \eta < 2 / \lambda_{\max}$. ` +
        String.raw`Calculez $\lambda_{\max}$, la plus grande valeur propre de $H$.`
    },
    // The Hessian of a quadratic is the same at every w: the origin will do.
    request: (p) => ({ model: { kind: 'quadratic' as const, A: p.A }, w: p.A.map(() => 0), top: 1, which: 'largest' as const }),
    expected: (result) => result.eigenvalues[0],
    variant: (random) => {
      // Symmetric, each diagonal entry above the sum of its row's others: positive definite
      // (Gershgorin's circles lie right of 0), so the learning-rate bound applies.
      const n = random.integer(2, 3)
      const A = Array.from({ length: n }, () => new Array<number>(n).fill(0))
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) A[i][j] = A[j][i] = random.integer(-3, 3)
      }
      for (let i = 0; i < n; i++) A[i][i] = A[i].reduce((sum, entry) => sum + Math.abs(entry), 0) + random.integer(1, 6)
      return { A }
    }
  })
]

export const questionsById: ReadonlyMap<string, Question> = new Map(questions.map((question) => [question.id, question]))
