import { Type } from '@sinclair/typebox'
import { LimitExceededError } from '../math/errors.js'
import { SYMBOL_PATTERN } from '../math/linear-form.js'
import { evaluateReluDecomposition, reluDecomposition } from '../math/relu-decomposition.js'
import { defineOperation } from './operation.js'
import { wave } from './sample-inputs.js'
import { reluDecompositionNanoseconds } from './relu-decomposition-cost.js'

/** Terms evaluated: one decomposition, then every term at every point. */
const work = (input: { breakpoints: unknown[], x?: unknown[] }): number => (input.breakpoints.length + 1) * (1 + (input.x?.length ?? 0))

/**
 * A number or a symbol of the question (β, −b): one GraphQL scalar for every input that may
 * be either, as the schema's pattern says which strings.
 */
const NumberOrSymbol = Type.Union([Type.Number(), Type.String({ pattern: SYMBOL_PATTERN })], {
  title: 'NumberOrSymbol',
  description: 'a number, or a symbol: an optional sign (- or +) then a Greek letter\'s name (alpha, beta, … omega) or one Latin letter other than x (x is the variable), e.g. "beta", "-b"'
})
/** What the answer writes in symbols: a number, or a linear form as `formula` writes it. */
const NumberOrLinearForm = Type.Union([Type.Number(), Type.String()], {
  title: 'NumberOrLinearForm',
  description: 'a number, or with symbolic inputs a linear form in plain text as formula writes it ("a", "−b", "a − c", "−β")'
})
const Values = (description: string, minItems: number) => Type.Array(NumberOrSymbol, { minItems, description })

export const reluDecompositionOperation = defineOperation({
  name: 'reluDecomposition',
  path: '/relu-decomposition',
  summary: 'A continuous piecewise-linear function written with ReLU and arithmetic only',
  description: 'Question 1.2. Given breakpoints b₁ < … < b_n and slopes s₀ … s_n (s₀ left of b₁, s_i right of b_i), ' +
    'f(x) = c − s₀·ReLU(b₁ − x) + s₁·ReLU(x − b₁) + Σ_{i≥2} (s_i − s_{i−1})·ReLU(x − b_i), zero terms dropped; ' +
    'c makes the graph pass through `at` (default (b₁, 0)). For the question\'s slopes [−b, 0, a] at [β, α] this is b·ReLU(β − x) + a·ReLU(x − α) + c. ' +
    'Breakpoints, slopes and at may be symbols ("beta", "-b"): coefficients are then linear forms (a − c), the order of a breakpoint next to a symbol is assumed and listed in assumptions, ' +
    'and at.x must be the first breakpoint (c = at.y) unless every breakpoint and at.x is a number. ' +
    'A term with reflected: true is coefficient·ReLU(shift − x), otherwise coefficient·ReLU(x − shift). With x (numeric inputs only), also f at those points, from the terms. ' +
    'Limit: (breakpoints + 1) × (1 + points) ≤ EVALUATION_MAX_WORK (default 10,000,000).',
  questions: ['1.2'],
  body: Type.Object({
    breakpoints: Values('b₁ < … < b_n, strictly increasing where both neighbours are numbers, assumed in this order where one is a symbol', 1),
    slopes: Values('s₀ … s_n: one per segment, one more than breakpoints', 2),
    at: Type.Optional(Type.Object({ x: NumberOrSymbol, y: NumberOrSymbol }, {
      additionalProperties: false,
      title: 'GraphPoint',
      description: 'a point (x, y) of the graph; default (breakpoints[0], 0). With a symbolic breakpoint or x, x must be breakpoints[0]'
    })),
    x: Type.Optional(Type.Array(Type.Number(), { minItems: 1, description: 'points where f is wanted (numeric inputs only)' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    terms: Type.Array(Type.Object({
      coefficient: NumberOrLinearForm,
      shift: NumberOrLinearForm,
      reflected: Type.Boolean({ description: 'true: coefficient·ReLU(shift − x); false: coefficient·ReLU(x − shift)' })
    }, { title: 'ReluTerm' }), { description: 'the non-zero ReLU terms, the reflected one first, then by breakpoint' }),
    constant: Type.Union([Type.Number(), Type.String()], { title: 'NumberOrLinearForm', description: 'c: a number, or a linear form in plain text' }),
    formula: Type.String({ description: 'f(x) in plain text, zero terms dropped, e.g. "2·ReLU(-1 − x) + 3·ReLU(x − 2)" or "b·ReLU(β − x) + a·ReLU(x − α) + c"' }),
    latex: Type.String({ description: 'the line to paste into display math: "h(x) = " and the formula in LaTeX (ASCII: \\alpha, \\cdot, \\mathrm{ReLU}), then "\\qquad \\text{assuming } …" when there are assumptions' }),
    assumptions: Type.Optional(Type.Array(Type.String(), { description: 'with a symbolic input: the order of neighbouring breakpoints assumed where one is a symbol, in plain text, e.g. "β < α"' })),
    y: Type.Optional(Type.Array(Type.Number(), { description: 'f(x) at each x' }))
  }),
  examples: [
    { summary: 'question 1.2 in symbols: slopes −b, 0, a at β < α, through (β, c)', value: { breakpoints: ['beta', 'alpha'], slopes: ['-b', 0, 'a'], at: { x: 'beta', y: 'c' } } },
    { summary: 'question 1.2 in numbers: slopes −b, 0, a = −2, 0, 3 with β = −1, α = 2', value: { breakpoints: [-1, 2], slopes: [-2, 0, 3], x: [-2, 0, 3] } },
    { summary: 'hard tanh: −1 left of −1, slope 1 between, 1 right of 1', value: { breakpoints: [-1, 1], slopes: [0, 1, 0], at: { x: 0, y: 0 } } }
  ],
  edgeCases: [
    { breakpoints: [0], slopes: [0, 1], at: { x: -3, y: 2 }, x: [-1, 1] },
    { breakpoints: [-2, -1, 0, 1, 2], slopes: [1, 1, 1, 1, 1, 1], at: { x: 0, y: 0 } },
    { breakpoints: [-1e300, 1e300], slopes: [1, 0, -1], x: [-1e300, 1e300] },
    { breakpoints: [0], slopes: [0, 1] },
    { breakpoints: [-1, 0.5, 2, 3], slopes: [1, 1, -2, 0, 0.25], at: { x: 10, y: -3 }, x: [-5, -1, 0.5, 2.5, 1e6] },
    { breakpoints: [1e-300, 1e300], slopes: [-1e-300, 0, 1e300], x: [-1e300, 0, 1e300] },
    { breakpoints: ['-omega', 0, 'z'], slopes: ['-b', 'c', 'a', '+a'], at: { x: '-omega', y: -1.5 } },
    { breakpoints: ['beta'], slopes: [0, 0], at: { x: 'beta', y: 0 } },
    { breakpoints: [-1, 2], slopes: ['-b', 'b', 2], at: { x: 1e300, y: 'c' } }
  ],
  cost: reluDecompositionNanoseconds,
  costLadder: () => [
    { summary: 'question 1.2', value: { breakpoints: [-1, 2], slopes: [-2, 0, 3] } },
    { summary: 'question 1.2 at 1,000 points', value: { breakpoints: [-1, 2], slopes: [-2, 0, 3], x: wave(1000) } },
    { summary: '1,000 breakpoints', value: { breakpoints: Array.from({ length: 1000 }, (_, i) => i), slopes: wave(1001) } },
    { summary: '1,000 breakpoints, slopes in symbols', value: { breakpoints: Array.from({ length: 1000 }, (_, i) => i), slopes: Array.from({ length: 1001 }, (_, i) => ['a', '-b', 'c'][i % 3]), at: { x: 0.5, y: 'c' } } },
    { summary: '1,000 breakpoints at 1,000 points', value: { breakpoints: Array.from({ length: 1000 }, (_, i) => i), slopes: wave(1001), x: wave(1000, 1000) } }
  ],
  run (input, limits) {
    if (work(input) > limits.evaluationMaxWork) {
      throw new LimitExceededError(`(breakpoints + 1) × (1 + x points) = ${work(input)} term evaluations, over the limit of ${limits.evaluationMaxWork} (EVALUATION_MAX_WORK); send fewer points or breakpoints`)
    }
    const decomposition = reluDecomposition(input)
    return {
      ...decomposition,
      ...(input.x !== undefined && { y: input.x.map((x) => evaluateReluDecomposition(decomposition, x)) })
    }
  }
})
