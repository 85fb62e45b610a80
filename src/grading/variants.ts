/**
 * Per-student variants without state: every number of a variant is drawn from
 * HMAC-SHA256(VARIANT_SECRET, question id, student), so any replica, before or after a restart,
 * derives the same variant for the same student, and without the secret nobody can predict
 * another student's (HMAC is a PRF: RFC 2104, Bellare 2006).
 */
import { createHmac } from 'node:crypto'
import { SchemaValidationError } from '../errors.js'

/** The longest student id, as given and once normalised (studentId). */
export const STUDENT_MAX_LENGTH = 256

/**
 * One identity per student, however a roster or an LMS export spells it: Unicode NFKC (UAX #15:
 * full-width and compatibility forms become their plain letters), invisible characters removed
 * (Default_Ignorable_Code_Point: zero-width spaces, soft hyphens, a stray BOM pasted from a
 * spreadsheet), white space trimmed at both ends, then lower-cased (String.prototype.toLowerCase,
 * Unicode's default lower-casing; it differs from full case folding on a few letters, ß stays
 * ß) and normalised again. So
 * `" Ada@Example.EDU "` and `ada@example.edu` are one student, with one variant. Every door
 * applies it (variants, /grade, GraphQL) and echoes the result.
 * @example studentId(' Ada@Example.EDU ') // 'ada@example.edu'
 * @example studentId('ａｄａ') // 'ada'
 */
export function studentId (given: string): string {
  return given.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '').trim().toLowerCase().normalize('NFKC')
}

/**
 * The student's identity (studentId), for every door and the rosters.
 * @throws {SchemaValidationError} when nothing is left once normalised and trimmed, or the
 *   normalised id is too long
 */
export function identity (given: string, where: string): string {
  const student = studentId(given)
  if (student === '') throw new SchemaValidationError(`${where} is blank once trimmed; send the student's identifier (an e-mail or an LMS user id)`)
  // NFKC can lengthen a string (ﷺ is 18 characters): the schema's bound holds for the identity too.
  if (student.length > STUDENT_MAX_LENGTH) throw new SchemaValidationError(`${where} is longer than ${STUDENT_MAX_LENGTH} characters once normalised (NFKC); send a shorter identifier`)
  return student
}

/**
 * A deterministic stream of uniform integers: HMAC blocks in counter mode, as HKDF-Expand
 * (RFC 5869) chains HMAC to get more bytes than one digest.
 */
export class VariantRandom {
  private block = new Uint8Array(0)
  private used = 0
  private counter = 0

  constructor (private readonly secret: Buffer, private readonly questionId: string, private readonly student: string) {}

  private nextUint32 (): number {
    if (this.used + 4 > this.block.length) {
      // The NUL separators keep ("a", "bc") and ("ab", "c") apart.
      this.block = createHmac('sha256', this.secret).update(`${this.questionId}\0${this.student}\0${this.counter++}`).digest()
      this.used = 0
    }
    const value = Buffer.from(this.block.buffer, this.block.byteOffset + this.used, 4).readUInt32BE(0)
    this.used += 4
    return value
  }

  /**
   * A uniform integer in [lo, hi]: rejection sampling, so no value is favoured by the modulo.
   *
   * @throws {RangeError} when hi < lo
   */
  integer (lo: number, hi: number): number {
    const span = hi - lo + 1
    if (!(span >= 1)) throw new RangeError(`integer(${lo}, ${hi}): empty range`)
    const limit = Math.floor(2 ** 32 / span) * span
    let value: number
    do value = this.nextUint32()
    while (value >= limit)
    return lo + (value % span)
  }

  /** One of the choices, uniformly. */
  pick<T> (choices: readonly T[]): T {
    return choices[this.integer(0, choices.length - 1)]
  }

  /** A uniform integer in [lo, hi] other than 0. */
  nonZero (lo: number, hi: number): number {
    let value: number
    do value = this.integer(lo, hi)
    while (value === 0)
    return value
  }
}
