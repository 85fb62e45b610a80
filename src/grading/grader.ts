/**
 * The grading door's logic, shared by REST and GraphQL: the question list, variants, and
 * grading an answer sheet. Expected answers come from the same computations as the
 * computation routes (each question's operation.run), never from a second implementation.
 */
import { createHmac } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import { AJV_OPTIONS, schemaErrorFormatter } from '../validation.js'
import { ComputationError, ImpossibleInputError, LimitExceededError } from '../math/errors.js'
import { LocatedError, NotFoundError, SchemaValidationError } from '../errors.js'
import type { Limits } from '../operations/limits.js'
import type { GradingLimits } from './limits.js'
import { resolveComparison, type ResolvedComparison } from './comparison.js'
import { compareAnswer } from './feedback.js'
import { LANGUAGES, type Language, type Localized } from './language.js'
import { PersonalLinks, rosterQuestions, type RosterTask, type StatementsTask } from './roster.js'
import { statementOf } from './statements.js'
import { questions, questionsById, type Answer, type Question } from './questions.js'
import { ANSWER_MAX_NESTING, type GradeBody, type RosterBody, type GradedItem, type GradeResult, type QuestionList } from './schemas.js'
import { identity, studentId, VariantRandom } from './variants.js'

/** The question list in each language: built once, since it never changes (GET /questions serves it as is). */
const QUESTION_LISTS = Object.fromEntries(LANGUAGES.map((language) => [language, {
  questions: questions.map((question) => ({
    id: question.id,
    title: question.title[language],
    question: question.question,
    statement: statementOf(question, question.defaults, language),
    computation: { name: question.operation.name, path: question.operation.path, request: question.request(question.defaults) },
    params: question.defaults as Record<string, unknown>,
    paramsSchema: question.params as unknown,
    answer: question.answer,
    comparison: question.comparison
  }))
}])) as Localized<QuestionList>

export class Grader {
  private readonly validators: ReadonlyMap<string, ValidateFunction>
  private readonly links: PersonalLinks

  /**
   * @param secret - VARIANT_SECRET's bytes: the HMAC key of every variant
   */
  private readonly secret: Buffer

  constructor (secret: Buffer, private readonly limits: Limits & GradingLimits) {
    // A copy in a buffer of its own: Buffer.from on a short string returns a view into Node's
    // shared pool, and a task cloned to a worker would carry the whole pool with it.
    this.secret = Buffer.from(Uint8Array.prototype.slice.call(secret))
    const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
    this.validators = new Map(questions.map((question) => [question.id, ajv.compile(question.params)]))
    this.links = new PersonalLinks(this.secret)
  }

  /** GET /questions: every question with its default params. */
  list (language: Language = 'en'): QuestionList {
    return QUESTION_LISTS[language]
  }

  /**
   * @param where - the field naming the id in the request, for the 404's message
   * @throws {NotFoundError} for an unknown id
   */
  question (id: string, where: string): Question {
    const question = questionsById.get(id)
    if (question === undefined) throw new NotFoundError(`${where}: no question '${id}'; the ids are ${questions.map((q) => q.id).join(', ')} (GET /questions)`)
    return question
  }

  /** The params of `student`'s variant, drawn from HMAC-SHA256(VARIANT_SECRET, id, student). */
  variantParams (question: Question, student: string): unknown {
    return question.variant(new VariantRandom(this.secret, question.id, student))
  }

  /**
   * GET /questions/{id}/variant, for the student's identity (studentId)
   * @param where - the field naming the student in the request, for the 400's message
   */
  variant (id: string, given: string, language: Language = 'en', where = 'querystring/student') {
    const question = this.question(id, 'id')
    const student = identity(given, where)
    const params = this.variantParams(question, student)
    return { question: id, title: question.title[language], student, params: params as Record<string, unknown>, statement: statementOf(question, params, language) }
  }

  /**
   * POST /grade and the grade mutation, step one, on the main thread: checks the sheet and
   * resolves each item's question, params (given, the student's variant, or the defaults) and
   * comparison. Bounded work: GRADE_MAX_ITEMS items whose params are variant-sized (each
   * question's params schema). The expected answers are computed by gradeSheet, in a worker
   * when the sheet's estimate calls for one.
   *
   * @param dataVar - "body" (REST) or "input" (GraphQL), to root the messages' paths
   * @throws {ComputationError} 404 for an unknown question, 400 for params that fail the
   *   question's schema, 413 over GRADE_MAX_ITEMS, each naming the item
   */
  prepare (sheet: GradeBody, dataVar: string, language: Language = 'en'): PreparedSheet {
    if (sheet.items.length > this.limits.gradeMaxItems) {
      throw new LimitExceededError(`${dataVar}/items has ${sheet.items.length} entries, over the limit of ${this.limits.gradeMaxItems} (GRADE_MAX_ITEMS); send them in several requests`)
    }
    const student = sheet.student === undefined ? undefined : identity(sheet.student, `${dataVar}/student`)
    const items = sheet.items.map((item, i): PreparedItem => {
      const where = `${dataVar}/items/${i}`
      const question = this.question(item.question, `${where}/question`)
      let params: unknown = item.params
      if (params === undefined) {
        params = student === undefined ? question.defaults : this.variantParams(question, student)
      } else {
        const validate = this.validators.get(question.id)!
        if (!validate(params)) throw new SchemaValidationError(schemaErrorFormatter(validate.errors!, `${where}/params`).message)
      }
      // A worker gets the sheet by structured cloning, which recurses: a deep answer would
      // overflow its stack, and no answer is deeper than a matrix.
      if (nesting(item.answer, ANSWER_MAX_NESTING) > ANSWER_MAX_NESTING) {
        throw new SchemaValidationError(`${where}/answer nests lists more than ${ANSWER_MAX_NESTING} deep; an answer is a number, a list or a matrix`)
      }
      const comparison = item.comparison === undefined ? question.comparison : resolveComparison(item.comparison)
      return { where, question: question.id, params, answer: item.answer, comparison, weight: item.weight ?? 1 }
    })
    return student === undefined ? { items, language } : { student, items, language }
  }

  /**
   * The audit trail of a graded sheet, one record per item, for the log: what a dispute needs
   * (question, score, the comparison applied) and the student as a keyed hash, never in clear
   * (Québec's Law 25 applies to a course's grades). The hash is HMAC-SHA256(VARIANT_SECRET,
   * "audit", student), its first 16 hex digits: stable across replicas and restarts, so an
   * instructor who knows the student can find their lines (`auditId`), and nobody without the
   * secret can tell whose they are.
   */
  audit (result: GradeResult): AuditRecord[] {
    const student = result.student === undefined ? undefined : this.auditId(result.student)
    return result.items.map((item) => ({ question: item.question, ...(student === undefined ? {} : { student }), score: item.score, maxScore: item.maxScore, correct: item.correct, invalid: item.invalid, comparison: item.comparison }))
  }

  /**
   * POST /variants, on the main thread: the roster's size and question ids, bounded checks.
   * The students' identities, variants and links are the task's (src/grading/roster.ts), in a
   * worker when the roster is large.
   *
   * @param origin - scheme and host of the personal links
   * @throws {ComputationError} 413 over ROSTER_MAX_STUDENTS, 404 for an unknown question
   */
  roster (body: RosterBody, language: Language, origin: string, format: 'json' | 'csv'): RosterTask {
    if (body.students.length > this.limits.rosterMaxStudents) {
      throw new LimitExceededError(`body/students has ${body.students.length} entries, over the limit of ${this.limits.rosterMaxStudents} (ROSTER_MAX_STUDENTS); send the roster in several requests`)
    }
    rosterQuestions(body.questions, 'body')
    return { secret: this.secret, request: body, language, origin, format }
  }

  /**
   * GET /statements: the student and questions of a personal link's key.
   * @throws {NotFoundError} for a key this service did not make (mistyped, cut short, or made
   *   under another VARIANT_SECRET)
   */
  statements (key: string, language: Language, format: 'html' | 'json'): StatementsTask {
    const content = this.links.read(key)
    if (content === undefined) {
      throw new NotFoundError('querystring/key is not the key of a personal link of this service: check that the link was copied whole, or ask your instructor for it again (links change when the service\'s VARIANT_SECRET does)')
    }
    return { secret: this.secret, student: content.student, questions: content.questions.map((question) => question.id), language, format, key }
  }

  /** A student's id in the audit lines (see `audit`). */
  auditId (student: string): string {
    return createHmac('sha256', this.secret).update(`audit\0${studentId(student)}`).digest('hex').slice(0, 16)
  }

  /** POST /grade in one step, inline (tests and the examples; the doors go through prepare and the pool). */
  grade (sheet: GradeBody, dataVar: string, language: Language = 'en'): GradeResult {
    return gradeSheet(this.prepare(sheet, dataVar, language), this.limits)
  }
}

/** How deep lists and objects nest in `value`, counted up to `max + 1` and no further (iterative). */
function nesting (value: unknown, max: number): number {
  let deepest = 0
  const stack: Array<{ value: unknown, depth: number }> = [{ value, depth: 0 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!
    if (value === null || typeof value !== 'object') continue
    if (depth + 1 > deepest) deepest = depth + 1
    if (deepest > max) return deepest
    for (const inner of Object.values(value)) stack.push({ value: inner, depth: depth + 1 })
  }
  return deepest
}

/** A graded item with everything resolved: what a worker needs, and no secret. */
export interface PreparedItem {
  /** the item's path in the request, for messages */
  where: string
  question: string
  params: unknown
  answer: unknown
  comparison: ResolvedComparison
  weight: number
}
/** `language`: the feedback's. */
export interface PreparedSheet { student?: string, items: PreparedItem[], language: Language }
/** One graded item in the audit log (Grader.audit). */
export interface AuditRecord { question: string, student?: string, score: number, maxScore: number, correct: boolean, invalid: boolean, comparison: unknown }

/** The estimated CPU of grading a sheet, in nanoseconds: its items' computations. */
export function sheetCost (sheet: PreparedSheet): number {
  let total = 0
  for (const item of sheet.items) {
    const question = questionsById.get(item.question)!
    const request = question.request(item.params)
    // The params passed the question's schema, narrower than the operation's: the estimate is finite.
    total += question.operation.cost(request)
  }
  return total
}

function hasNull (values: Array<number | null | Array<number | null>>): boolean {
  for (const value of values) {
    if (value === null || (Array.isArray(value) && value.includes(null))) return true
  }
  return false
}

/**
 * The reference answer for `params`, from the question's computation.
 *
 * @throws {ImpossibleInputError} when the answer has entries outside float64
 */
export function expectedAnswer (question: Question, params: unknown, limits: Limits): Answer {
  const result = question.expected(question.operation.run(question.request(params), limits))
  if (result === null || (typeof result !== 'number' && hasNull(result))) {
    throw new ImpossibleInputError(`the answer for these params has entries outside float64 (${JSON.stringify(result)}); choose params whose answer is finite`)
  }
  return result as Answer
}

/**
 * POST /grade, step two: each item's expected answer from its question's computation, then
 * the comparison. Pure (no secret), so it runs in a worker as well as inline.
 *
 * @throws {ComputationError} the computation's own 4xx, naming the item
 */
export function gradeSheet (sheet: PreparedSheet, limits: Limits): GradeResult {
  const items: GradedItem[] = sheet.items.map((item) => {
    const question = questionsById.get(item.question)!
    let expected: Answer
    try {
      expected = expectedAnswer(question, item.params, limits)
    } catch (error) {
      if (error instanceof ComputationError) throw new LocatedError(`${item.where} (${question.id})`, error)
      throw error
    }
    const { correct, invalid, feedback } = compareAnswer(item.answer, expected, item.comparison, sheet.language)
    return { question: question.id, correct, invalid, score: correct ? item.weight : 0, maxScore: item.weight, expected, feedback, params: item.params as Record<string, unknown>, comparison: item.comparison }
  })
  return {
    ...(sheet.student === undefined ? {} : { student: sheet.student }),
    score: items.reduce((sum, item) => sum + item.score, 0),
    maxScore: items.reduce((sum, item) => sum + item.maxScore, 0),
    items
  }
}
