/**
 * The grading routes' schemas: REST validates and documents with them, GraphQL's resolvers
 * validate `input` with the same ones (src/graphql), openapi.yaml is generated from them.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Comparison } from './comparison.js'
import { ANSWER_SHAPES } from './questions.js'
import { STUDENT_MAX_LENGTH } from './variants.js'

const QuestionId = Type.String({ minLength: 1, maxLength: 100, description: 'a question id from GET /questions, e.g. "3.2-param-count"' })
export const Student = Type.String({
  minLength: 1,
  maxLength: STUDENT_MAX_LENGTH,
  description: 'the student\'s identifier (e.g. an e-mail or a Gradescope user id); one identity whatever the spelling: NFKC, trimmed, lower-cased (the answer echoes it); it seeds the variant'
})
const Params = Type.Object({}, { additionalProperties: true, description: 'the question\'s parameters; their schema is the question\'s paramsSchema' })
/** Any JSON: the answer a student gave, or a computed answer. */
const AnyJson = (description: string) => Type.Unknown({ description })

const ResolvedComparison = Type.Object({
  mode: Type.Union([Type.Literal('relabs'), Type.Literal('sigfig'), Type.Literal('decdig'), Type.Literal('exact')], { title: 'ComparisonMode' }),
  rtol: Type.Optional(Type.Number()),
  atol: Type.Optional(Type.Number()),
  digits: Type.Optional(Type.Integer({ minimum: 0, maximum: 17 }))
}, { title: 'Comparison', description: 'the comparison, PrairieLearn\'s defaults filled in' })

const STATEMENT = 'the question in Markdown with LaTeX math between $…$ (KaTeX renders it), ending with how the answer is graded; in the language Accept-Language asks for (en, the default, or fr)'

/** Accept-Language, documented: the language of statements and feedback. */
export const LanguageHeaders = Type.Object({
  'accept-language': Type.Optional(Type.String({ description: 'the language of statements and feedback: en (the default) or fr, e.g. "fr-CA,fr;q=0.9" (RFC 9110 §12.5.4)' }))
})

export const QuestionSummary = Type.Object({
  id: QuestionId,
  title: Type.String(),
  question: Type.String({ description: 'the assignment\'s question number' }),
  statement: Type.String({ description: STATEMENT }),
  computation: Type.Object({
    name: Type.String({ description: 'the GraphQL field' }),
    path: Type.String({ description: 'the REST route (POST)' }),
    request: AnyJson('the body that computes the answer for the default params')
  }, { title: 'QuestionComputation', description: 'the computation that answers the question' }),
  params: Params,
  paramsSchema: AnyJson('JSON Schema of params'),
  answer: Type.Object({
    shape: Type.Union(ANSWER_SHAPES.map((shape) => Type.Literal(shape))),
    description: Type.String()
  }, { title: 'AnswerShape' }),
  comparison: ResolvedComparison
}, { title: 'Question' })

export const QuestionList = Type.Object({ questions: Type.Array(QuestionSummary) })
export type QuestionList = Static<typeof QuestionList>

export const VariantQuery = Type.Object({ student: Student }, { additionalProperties: false })
export const VariantParams = Type.Object({ id: QuestionId })
export const Variant = Type.Object({
  question: QuestionId,
  student: Student,
  params: Params,
  title: Type.String(),
  statement: Type.String({ description: `${STATEMENT}; with this student's params` })
}, { title: 'Variant' })

export const GradeBody = Type.Object({
  student: Type.Optional(Student),
  items: Type.Array(Type.Object({
    question: QuestionId,
    params: Type.Optional(Params),
    // Optional: JSON.stringify drops a key whose value is undefined, so a missing answer is
    // the student's blank, graded incorrect, not the grader's error.
    answer: Type.Optional(AnyJson('the student\'s answer: a number, a list, or a list of lists, where a number may be a string that reads as a plain decimal number ("284682", "2.5e-3"); anything else, or nothing, is invalid (score 0, feedback saying the format)')),
    comparison: Type.Optional(Comparison),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6, default: 1, description: 'points for a correct answer (PrairieLearn\'s weight)' }))
  }, { additionalProperties: false, title: 'GradeItem' }), { minItems: 1, description: 'the answers to grade; at most GRADE_MAX_ITEMS (default 100)' })
}, { additionalProperties: false, title: 'Grade' })
export type GradeBody = Static<typeof GradeBody>

export const GradedItem = Type.Object({
  question: QuestionId,
  correct: Type.Boolean(),
  invalid: Type.Boolean({ description: 'the answer could not be read as the expected shape of numbers (none, a wrong shape, text that is not a plain decimal number such as "0,4988"): a format error, as PrairieLearn marks one, score 0, the feedback says the format; distinct from an incorrect answer' }),
  score: Type.Number({ description: 'weight when correct, else 0' }),
  maxScore: Type.Number({ description: 'the weight' }),
  expected: AnyJson('the reference answer'),
  feedback: Type.String({ description: 'why: the rule, and the first entry off or the shape expected' }),
  params: Params,
  comparison: ResolvedComparison
}, { title: 'GradedItem' })
export type GradedItem = Static<typeof GradedItem>

export const GradeResult = Type.Object({
  student: Type.Optional(Student),
  score: Type.Number({ description: 'Σ item scores' }),
  maxScore: Type.Number({ description: 'Σ item weights' }),
  items: Type.Array(GradedItem)
}, { title: 'GradeResult' })
export type GradeResult = Static<typeof GradeResult>

/** Request examples for POST /grade, shown in openapi.yaml and tested to run. */
export const GRADE_EXAMPLES: Array<{ summary: string, value: GradeBody }> = [
  {
    summary: 'the assignment\'s own numbers: question 3.2, and question 1.4 at 3 significant digits',
    value: {
      items: [
        { question: '3.2-param-count', answer: 284682 },
        { question: '3.2-hessian-shape', answer: [284682, 284682] },
        { question: '1.4-log-softmax', answer: [-2.41, -1.41, -0.408], comparison: { mode: 'sigfig', digits: 3 } }
      ]
    }
  },
  {
    summary: 'a student\'s variant (params drawn from VARIANT_SECRET and the student), with an answer of the wrong shape',
    value: { student: 'ada@example.edu', items: [{ question: '5.3-receptive-field', answer: [9, 9] }, { question: '4.4-transposed-conv-matrix', answer: [[1, 2], [3, 4]], weight: 2 }] }
  }
]

/**
 * Values (list entries and object keys) a /grade body may hold, counted from its bytes before
 * it is parsed: room for a hundred answers of a hundred numbers, or ten of the largest
 * variant's matrix (144 × 64), while a megabyte of empty lists would cost tens of
 * milliseconds to parse on the main thread.
 */
export const GRADE_MAX_VALUES = 100_000

/** How deep an answer's lists may nest: a matrix is 2; deeper is a malformed request. */
export const ANSWER_MAX_NESTING = 8

/** POST /variants: a roster. */
export const RosterBody = Type.Object({
  students: Type.Array(Student, { minItems: 1, description: 'the students, as the roster or the LMS export spells them; at most ROSTER_MAX_STUDENTS (default 1000); two spellings of one student (once normalised) are refused' }),
  questions: Type.Optional(Type.Array(QuestionId, { minItems: 1, maxItems: 100, description: 'the questions to draw, by id (GET /questions); default: all of them. The answer keeps the bank\'s order' }))
}, { additionalProperties: false, title: 'Roster' })
export type RosterBody = Static<typeof RosterBody>

export const RosterResult = Type.Object({
  language: Type.String({ description: 'the statements\' language (Accept-Language)' }),
  questions: Type.Array(Type.Object({ id: QuestionId, title: Type.String(), comparison: ResolvedComparison }, { title: 'RosterQuestion' })),
  students: Type.Array(Type.Object({
    student: Student,
    page: Type.String({ description: 'the student\'s personal link: a page of their statements (HTML, or JSON with Accept: application/json); unguessable, the same every time for this student and these questions; send it to the student only' }),
    variants: Type.Array(Type.Object({ question: QuestionId, params: Params, statement: Type.String({ description: STATEMENT }) }, { title: 'RosterVariant' }))
  }, { title: 'RosterStudent' }))
}, { title: 'RosterResult' })

export const StatementsQuery = Type.Object({
  key: Type.String({ minLength: 40, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$', description: 'the key of a personal link from POST /variants' }),
  lang: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('fr')], { description: 'the page\'s language; default: Accept-Language\'s, else English' }))
}, { description: 'other parameters (a mailer\'s utm_source, say) are ignored: the link still opens' })

export const StatementsResult = Type.Object({
  student: Student,
  language: Type.String(),
  variants: Type.Array(Type.Object({ question: QuestionId, title: Type.String(), params: Params, statement: Type.String({ description: STATEMENT }) }, { title: 'StudentVariant' }))
}, { title: 'Statements' })
