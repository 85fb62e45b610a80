/**
 * Rosters: every student's variant of every question, in one request (POST /variants), each
 * student with a personal link to a page of their statements (GET /statements?key=…).
 *
 * The link's key is the student's identity and the questions chosen, encrypted and
 * authenticated under a key derived from VARIANT_SECRET: the service keeps no table of links,
 * any replica reads any key, the same roster gives the same links every time, and a key
 * cannot be guessed or forged, nor read for another student's (AES-256-GCM, an AEAD: NIST SP
 * 800-38D). Its nonce is synthetic, an HMAC of the content, as SIV does (RFC 5297 §2.4): the
 * same content gets the same nonce, so nonces repeat only for the very same message. The key
 * rides in the query string, which request logs drop; rotating VARIANT_SECRET changes every
 * variant and every link.
 *
 * Pure and synchronous: it runs in a worker (the pool's `roster` task) as well as inline.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto'
import { NotFoundError, SchemaValidationError } from '../errors.js'
import type { Language } from './language.js'
import { questions, questionsById, type Question } from './questions.js'
import { statementOf } from './statements.js'
import { identity, VariantRandom } from './variants.js'

const NONCE_BYTES = 12
const TAG_BYTES = 16

/** The keys of the personal links, derived from VARIANT_SECRET (HKDF, RFC 5869) apart from the variants' own use of it. */
export class PersonalLinks {
  private readonly encryption: Buffer
  private readonly nonce: Buffer

  constructor (secret: Buffer) {
    const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, 'dlcheck personal links', info, 32))
    this.encryption = derive('encryption')
    this.nonce = derive('nonce')
  }

  /**
   * The key of `student`'s page of `chosen` questions: base64url of nonce, ciphertext and tag.
   * The questions are a bit mask over the bank's order (question ids are only ever appended).
   */
  key (student: string, chosen: readonly Question[]): string {
    const mask = Buffer.alloc(Math.ceil(questions.length / 8))
    for (const question of chosen) {
      const index = questions.indexOf(question)
      mask[index >> 3] |= 1 << (index & 7)
    }
    const message = Buffer.concat([Buffer.from([mask.length]), mask, Buffer.from(student, 'utf8')])
    const nonce = createHmac('sha256', this.nonce).update(message).digest().subarray(0, NONCE_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.encryption, nonce)
    return Buffer.concat([nonce, cipher.update(message), cipher.final(), cipher.getAuthTag()]).toString('base64url')
  }

  /** The student and questions of a key, or undefined for a key this service did not make. */
  read (key: string): { student: string, questions: Question[] } | undefined {
    const bytes = Buffer.from(key, 'base64url')
    // Node's decoder ignores a stray last character and the unused bits of the last one: only
    // the key as written here opens the page, so one page has one address.
    if (bytes.length < NONCE_BYTES + 1 + TAG_BYTES || bytes.toString('base64url') !== key) return undefined
    const decipher = createDecipheriv('aes-256-gcm', this.encryption, bytes.subarray(0, NONCE_BYTES))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    let message: Buffer
    try {
      message = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
    } catch {
      return undefined
    }
    const mask = message.subarray(1, 1 + message[0])
    return {
      student: message.subarray(1 + message[0]).toString('utf8'),
      // A mask shorter than the bank (a question added since) reads as 0 there: undefined >> n is 0.
      questions: questions.filter((_, index) => (mask[index >> 3] >> (index & 7) & 1) === 1)
    }
  }
}

/** A roster request, as the route validated it. */
export interface RosterRequest {
  students: string[]
  questions?: string[]
}

/** What a worker needs to answer a roster, the secret included (threads share the process). */
export interface RosterTask {
  secret: Buffer
  request: RosterRequest
  language: Language
  /** where the links point: PUBLIC_URL, or the request's own origin */
  origin: string
  format: 'json' | 'csv'
}

/** What a worker needs to answer a student's page (src/pages/statements.ts), the secret included. */
export interface StatementsTask {
  secret: Buffer
  student: string
  /** question ids, in the bank's order */
  questions: string[]
  language: Language
  format: 'html' | 'json'
  /** the page's key, for the link to the other language */
  key: string
}

/**
 * The questions a roster asks for: all of them by default, in the bank's order.
 * @throws {ComputationError} 404 naming an unknown id
 */
export function rosterQuestions (ids: readonly string[] | undefined, dataVar: string): Question[] {
  if (ids === undefined) return [...questions]
  const chosen = new Set<Question>()
  ids.forEach((id, i) => {
    const question = questionsById.get(id)
    if (question === undefined) throw new NotFoundError(`${dataVar}/questions/${i}: no question '${id}'; the ids are ${questions.map((q) => q.id).join(', ')} (GET /questions)`)
    chosen.add(question)
  })
  return questions.filter((question) => chosen.has(question))
}

/**
 * The students' identities in the roster's order.
 * @throws {SchemaValidationError} for a blank id, and for two entries that are one student
 *   once normalised (the roster or the LMS export spells one student twice)
 */
export function rosterStudents (given: readonly string[], dataVar: string): string[] {
  const seen = new Map<string, number>()
  return given.map((text, i) => {
    const student = identity(text, `${dataVar}/students/${i}`)
    const first = seen.get(student)
    if (first !== undefined) throw new SchemaValidationError(`${dataVar}/students/${i} is the same student as ${dataVar}/students/${first} once normalised (NFKC, trimmed, lower-cased); list each student once`)
    seen.set(student, i)
    return student
  })
}

/** One student's variants of the chosen questions. */
export function studentVariants (secret: Buffer, student: string, chosen: readonly Question[], language: Language) {
  return chosen.map((question) => {
    const params = question.variant(new VariantRandom(secret, question.id, student)) as Record<string, unknown>
    return { question: question.id, title: question.title[language], params, statement: statementOf(question, params, language) }
  })
}

/** The roster as JSON: every student's page link and variants. */
export function rosterJson (task: RosterTask): string {
  const chosen = rosterQuestions(task.request.questions, 'body')
  const students = rosterStudents(task.request.students, 'body')
  const links = new PersonalLinks(task.secret)
  return JSON.stringify({
    language: task.language,
    questions: chosen.map((question) => ({ id: question.id, title: question.title[task.language], comparison: question.comparison })),
    students: students.map((student) => ({
      student,
      page: pageUrl(task.origin, links.key(student, chosen), task.language),
      variants: studentVariants(task.secret, student, chosen, task.language).map(({ question, params, statement }) => ({ question, params, statement }))
    }))
  })
}

const pageUrl = (origin: string, key: string, language: Language): string => `${origin}/statements?key=${key}${language === 'en' ? '' : `&lang=${language}`}`

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. A cell a
 * spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) gets a leading
 * apostrophe, as OWASP's CSV injection guidance advises, since rosters come from elsewhere.
 */
export function csvCell (text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/**
 * The roster as CSV for an LMS: one row per student, their identity and page link, then one
 * column per question holding the variant's params as JSON. CRLF line ends (RFC 4180).
 */
export function rosterCsv (task: RosterTask): string {
  const chosen = rosterQuestions(task.request.questions, 'body')
  const students = rosterStudents(task.request.students, 'body')
  const links = new PersonalLinks(task.secret)
  const rows = [['student', 'page', ...chosen.map((question) => question.id)]]
  for (const student of students) {
    rows.push([student, pageUrl(task.origin, links.key(student, chosen), task.language),
      ...chosen.map((question) => JSON.stringify(question.variant(new VariantRandom(task.secret, question.id, student))))])
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

/**
 * Estimated CPU of a roster, in nanoseconds (bench/cost.ts times it): per variant, drawing it
 * and, for JSON, writing its statement; per student, their link's key.
 */
export const ROSTER_NS = { variant: { json: 25_000, csv: 12_000 }, student: 15_000 }
export function rosterCost (task: RosterTask): number {
  const students = task.request.students.length
  // Questions named twice are drawn once (rosterQuestions).
  const count = task.request.questions === undefined ? questions.length : new Set(task.request.questions).size
  return students * (count * ROSTER_NS.variant[task.format] + ROSTER_NS.student)
}

/** The answer to a roster task, JSON or CSV. */
export const rosterText = (task: RosterTask): string => task.format === 'csv' ? rosterCsv(task) : rosterJson(task)
