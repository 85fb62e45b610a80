/**
 * The grading door's logic, shared by REST and GraphQL: the question list, variants, and
 * grading an answer sheet. Expected answers come from the same computations as the
 * computation routes (each question's operation.run), never from a second implementation.
 */
import { createHmac } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import { describeValue, AJV_OPTIONS, schemaErrorFormatter } from '../validation.js'
import { ComputationError, ImpossibleInputError, LimitExceededError } from '../math/errors.js'
import { LocatedError, NotFoundError, SchemaValidationError } from '../errors.js'
import type { Limits } from '../operations/limits.js'
import type { GradingLimits } from './limits.js'
import { isClose, resolveComparison, type ResolvedComparison } from './comparison.js'
import { questions, questionsById, type Answer, type Question } from './questions.js'
import { ANSWER_MAX_NESTING, STUDENT_MAX_LENGTH, type GradeBody, type GradedItem, type GradeResult } from './schemas.js'
import { studentId, VariantRandom } from './variants.js'

type Nested = number | Nested[]

/** "the answer", "[2]", "[1][0]": where in the answer something is. */
const at = (path: string): string => path === '' ? 'the answer' : `entry ${path}`

function shapeText (expected: Answer): string {
  if (typeof expected === 'number') return 'a number'
  if (expected.length > 0 && Array.isArray(expected[0])) return `a ${expected.length} × ${(expected[0]).length} matrix (a list of ${expected.length} rows of ${(expected[0]).length} numbers)`
  return `a list of ${expected.length} number${expected.length === 1 ? '' : 's'}`
}

/**
 * The answer's numbers in the expected answer's order, or what is wrong with its shape.
 * JSON.parse turns 1e999 into Infinity, so a number can still be non-finite here.
 */
function flatten (answer: unknown, expected: Nested, path: string, into: number[]): string | undefined {
  if (answer === undefined) return 'no answer was given'
  if (typeof expected === 'number') {
    if (typeof answer === 'string') {
      const number = readNumber(answer)
      if (number !== undefined) {
        into.push(number)
        return undefined
      }
      return `${at(path)} must be a number, got ${describeValue(answer)}${answer.includes(',') ? ': write it with a point for decimals and no thousands separator (284682, 0.4988, 2.5e-3)' : ''}`
    }
    if (typeof answer !== 'number') return `${at(path)} must be a number, got ${describeValue(answer)}`
    if (!Number.isFinite(answer)) return `${at(path)} must be a finite number, got ${describeValue(answer)}`
    into.push(answer)
    return undefined
  }
  if (!Array.isArray(answer)) return `${at(path)} must be a list of ${expected.length}, got ${describeValue(answer)}`
  if (answer.length !== expected.length) return `${at(path)} must have ${expected.length} entries, got ${answer.length}`
  for (let i = 0; i < expected.length; i++) {
    const problem = flatten(answer[i], expected[i], `${path}[${i}]`, into)
    if (problem !== undefined) return problem
  }
  return undefined
}

/**
 * A number as a student types it: a string that reads as a plain decimal number, optionally
 * signed, with an exponent (`"284682"`, `"-0.4988"`, `"2.5e-3"`, white space around it
 * allowed), is that number, as PrairieLearn's pl-number-input reads a submission. Anything
 * else (`"284,682"`, `"0,4988"`, `"1/2"`, `"Infinity"`) cannot be read: the answer is invalid.
 */
function readNumber (text: string): number | undefined {
  // One way to match each digit (no backtracking blow-up on a long answer), and a length no
  // typed number needs.
  if (text.length > 100 || !/^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(text)) return undefined
  const number = Number(text)
  return Number.isFinite(number) ? number : undefined
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

function ruleName (comparison: ResolvedComparison): string {
  switch (comparison.mode) {
    case 'relabs': return `relabs, rtol = ${comparison.rtol}, atol = ${comparison.atol}`
    case 'sigfig': return `sigfig, ${comparison.digits} significant digit${comparison.digits === 1 ? '' : 's'}`
    case 'decdig': return `decdig, ${comparison.digits} decimal digit${comparison.digits === 1 ? '' : 's'}`
    case 'exact': return 'exact'
  }
}

/**
 * An answer against the reference, element-wise, never an error. An answer that cannot be read
 * as the expected shape of numbers (none, a wrong shape, text that is not a number) is invalid,
 * as PrairieLearn marks a format error: score 0, and feedback saying the format, so the student
 * fixes it rather than rethinks it. The feedback is meant for students: it names the rule, the
 * shape expected and the first entry off, but never the expected value, nor a tolerance from
 * which it could be worked out (relabs' atol + rtol·|e| would give |e|).
 */
export function compareAnswer (answer: unknown, expected: Answer, comparison: ResolvedComparison): { correct: boolean, invalid: boolean, feedback: string } {
  const numbers: number[] = []
  const problem = flatten(answer, expected, '', numbers)
  if (problem !== undefined) return { correct: false, invalid: true, feedback: `invalid, expected ${shapeText(expected)}: ${problem}` }
  const references = typeof expected === 'number' ? [expected] : expected.flat()
  let wrong = 0
  let first = ''
  for (let i = 0; i < references.length; i++) {
    // The path is worked out for the first wrong entry only: most answers have none.
    if (!isClose(numbers[i], references[i], comparison) && wrong++ === 0) first = `${at(pathOf(expected, i))}, ${numbers[i]},`
  }
  const count = references.length === 1 ? '' : ` (${references.length} entries)`
  if (wrong === 0) return { correct: true, invalid: false, feedback: `correct${count}, ${ruleName(comparison)}` }
  const where = references.length === 1 ? `${first} is off` : `${wrong} of ${references.length} entries are off, the first: ${first} is off`
  return { correct: false, invalid: false, feedback: `incorrect: ${where} (${ruleName(comparison)})` }
}

/** The question list: built once, since it never changes (GET /questions serves it as is). */
const QUESTION_LIST = {
  questions: questions.map((question) => ({
    id: question.id,
    title: question.title,
    question: question.question,
    statement: question.statement(question.defaults),
    computation: { name: question.operation.name, path: question.operation.path, request: question.request(question.defaults) },
    params: question.defaults as Record<string, unknown>,
    paramsSchema: question.params as unknown,
    answer: question.answer,
    comparison: question.comparison
  }))
}

export class Grader {
  private readonly validators: ReadonlyMap<string, ValidateFunction>

  /**
   * @param secret - VARIANT_SECRET's bytes: the HMAC key of every variant
   */
  constructor (private readonly secret: Buffer, private readonly limits: Limits & GradingLimits) {
    const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })
    this.validators = new Map(questions.map((question) => [question.id, ajv.compile(question.params)]))
  }

  /** GET /questions: every question with its default params. */
  list (): typeof QUESTION_LIST {
    return QUESTION_LIST
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
  variant (id: string, given: string, where = 'querystring/student') {
    const question = this.question(id, 'id')
    const student = identity(given, where)
    const params = this.variantParams(question, student)
    return { question: id, student, params: params as Record<string, unknown>, statement: question.statement(params) }
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
  prepare (sheet: GradeBody, dataVar: string): PreparedSheet {
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
    return student === undefined ? { items } : { student, items }
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

  /** A student's id in the audit lines (see `audit`). */
  auditId (student: string): string {
    return createHmac('sha256', this.secret).update(`audit\0${studentId(student)}`).digest('hex').slice(0, 16)
  }

  /** POST /grade in one step, inline (tests and the examples; the doors go through prepare and the pool). */
  grade (sheet: GradeBody, dataVar: string): GradeResult {
    return gradeSheet(this.prepare(sheet, dataVar), this.limits)
  }
}

/**
 * The student's identity (studentId).
 * @throws {SchemaValidationError} when nothing is left once normalised and trimmed
 */
function identity (given: string, where: string): string {
  const student = studentId(given)
  if (student === '') throw new SchemaValidationError(`${where} is blank once trimmed; send the student's identifier (an e-mail or an LMS user id)`)
  // NFKC can lengthen a string (ﷺ is 18 characters): the schema's bound holds for the identity too.
  if (student.length > STUDENT_MAX_LENGTH) throw new SchemaValidationError(`${where} is longer than ${STUDENT_MAX_LENGTH} characters once normalised (NFKC); send a shorter identifier`)
  return student
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
export interface PreparedSheet { student?: string, items: PreparedItem[] }
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
  if (typeof result !== 'number' && hasNull(result)) {
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
    const { correct, invalid, feedback } = compareAnswer(item.answer, expected, item.comparison)
    return { question: question.id, correct, invalid, score: correct ? item.weight : 0, maxScore: item.weight, expected, feedback, params: item.params as Record<string, unknown>, comparison: item.comparison }
  })
  return {
    ...(sheet.student === undefined ? {} : { student: sheet.student }),
    score: items.reduce((sum, item) => sum + item.score, 0),
    maxScore: items.reduce((sum, item) => sum + item.maxScore, 0),
    items
  }
}
