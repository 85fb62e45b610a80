/**
 * Rosters and personal links: keys that round-trip, cannot be forged or read with another
 * secret; the roster's identities, JSON and CSV.
 */
import t from 'tap'
import { questions, questionsById } from '../../src/grading/questions.js'
import { csvCell, PersonalLinks, rosterCost, rosterCsv, rosterJson, rosterQuestions, rosterStudents, rosterText, type RosterTask } from '../../src/grading/roster.js'
import { VariantRandom } from '../../src/grading/variants.js'

const SECRET = Buffer.from('roster-test-secret-0123456789')

t.test('a personal link\'s key: the student and questions back, deterministic, unforgeable', async (t) => {
  const links = new PersonalLinks(SECRET)
  const chosen = [questionsById.get('1.4-log-softmax')!, questionsById.get('5.3-receptive-field')!]
  const key = links.key('ada@example.edu', chosen)
  t.match(key, /^[A-Za-z0-9_-]{40,}$/, 'base64url, long enough to be unguessable')
  t.strictSame(links.read(key), { student: 'ada@example.edu', questions: chosen })
  t.equal(links.key('ada@example.edu', chosen), key, 'the same roster gives the same link')
  t.not(links.key('bob@example.edu', chosen), key)
  t.not(links.key('ada@example.edu', chosen.slice(0, 1)), key, 'other questions, another link')
  t.strictSame(links.read(links.key('ada@example.edu', questions)), { student: 'ada@example.edu', questions: [...questions] }, 'every question')
  t.notMatch(key, /ada/i, 'the student cannot be read off the link')
  t.equal(new PersonalLinks(Buffer.from('another-secret-0123456789')).read(key), undefined, 'another VARIANT_SECRET cannot read it')
  // Any bit flipped anywhere (nonce, ciphertext, tag) fails authentication.
  const bytes = Buffer.from(key, 'base64url')
  for (let i = 0; i < bytes.length; i++) {
    const tampered = Buffer.from(bytes)
    tampered[i] ^= 1
    if (links.read(tampered.toString('base64url')) !== undefined) t.fail(`byte ${i} flipped was accepted`)
  }
  t.equal(links.read(key.slice(0, -2)), undefined, 'cut short')
  t.equal(links.read('A'.repeat(20)), undefined, 'too short to hold a tag')
  const unicode = links.key('élève@exemple.ca', chosen)
  t.equal(links.read(unicode)!.student, 'élève@exemple.ca')
})

t.test('a roster\'s students: one identity each, blanks and duplicates refused with their paths', async (t) => {
  t.strictSame(rosterStudents([' Ada@Example.EDU ', 'bob@example.edu'], 'body'), ['ada@example.edu', 'bob@example.edu'])
  t.throws(() => rosterStudents(['ada@example.edu', 'bob', 'ADA@example.edu'], 'body'), { statusCode: 400, message: 'body/students/2 is the same student as body/students/0 once normalised (NFKC, trimmed, lower-cased); list each student once' })
  t.throws(() => rosterStudents(['ada', '  '], 'body'), { statusCode: 400, message: /^body\/students\/1 is blank once trimmed/ })
  t.strictSame(rosterQuestions(undefined, 'body'), [...questions])
  t.strictSame(rosterQuestions(['5.3-receptive-field', '1.1-swish', '5.3-receptive-field'], 'body').map((q) => q.id), ['1.1-swish', '5.3-receptive-field'], 'the bank\'s order, once each')
  t.throws(() => rosterQuestions(['1.1-swish', '9.9'], 'body'), { statusCode: 404, message: /^body\/questions\/1: no question '9\.9'; the ids are 1\.1-swish, / })
})

const task = (format: 'json' | 'csv', students = ['Ada@Example.edu', 'bob@example.edu'], ids?: string[]): RosterTask =>
  ({ secret: SECRET, request: { students, questions: ids }, language: 'fr', origin: 'https://dlcheck.example.edu', format })

t.test('the roster as JSON: each student\'s link and variants, the statements in the language asked for', async (t) => {
  const roster = JSON.parse(rosterJson(task('json', undefined, ['3.2-param-count', '1.4-log-softmax'])))
  t.equal(roster.language, 'fr')
  t.strictSame(roster.questions.map((q: { id: string }) => q.id), ['1.4-log-softmax', '3.2-param-count'])
  t.equal(roster.questions[1].title, 'Paramètres d’un MLP')
  const ada = roster.students[0]
  t.equal(ada.student, 'ada@example.edu')
  t.match(ada.page, /^https:\/\/dlcheck\.example\.edu\/statements\?key=[A-Za-z0-9_-]+&lang=fr$/)
  const key = new URL(ada.page).searchParams.get('key')!
  t.strictSame(new PersonalLinks(SECRET).read(key)!.questions.map((q) => q.id), ['1.4-log-softmax', '3.2-param-count'], 'the link shows the roster\'s questions')
  t.strictSame(ada.variants[1].params, questionsById.get('3.2-param-count')!.variant(new VariantRandom(SECRET, '3.2-param-count', 'ada@example.edu')), 'the student\'s variant')
  t.match(ada.variants[1].statement, /^Un perceptron multicouche .*\*\*Correction\s:\*\* valeur exacte/s)
  t.equal(rosterText(task('json')), rosterJson(task('json')))
})

t.test('the roster as CSV: RFC 4180, one row per student, params as JSON', async (t) => {
  const csv = rosterCsv(task('csv', ['ada@example.edu', '=cmd|calc'], ['3.2-param-count', '5.3-receptive-field']))
  const lines = csv.split('\r\n')
  t.equal(lines.at(-1), '', 'CRLF after every row')
  t.equal(lines[0], 'student,page,3.2-param-count,5.3-receptive-field')
  const sizes = questionsById.get('3.2-param-count')!.variant(new VariantRandom(SECRET, '3.2-param-count', 'ada@example.edu'))
  t.match(lines[1], new RegExp(`^ada@example\\.edu,https://dlcheck\\.example\\.edu/statements\\?key=[A-Za-z0-9_-]+&lang=fr,"${JSON.stringify(sizes).replace(/"/g, '""').replace(/[[\]{}]/g, '\\$&')}",`))
  t.match(lines[2], /^'=cmd\|calc,/, 'a formula is defused with an apostrophe')
  t.equal(rosterText(task('csv')), rosterCsv(task('csv')))
  t.equal(csvCell('plain'), 'plain')
  t.equal(csvCell('a,b'), '"a,b"')
  t.equal(csvCell('say "hi"'), '"say ""hi"""')
  t.equal(csvCell('line\nbreak'), '"line\nbreak"')
  t.equal(csvCell('+1'), '\'+1')
  t.equal(csvCell('-1,2'), '"\'-1,2"')
  t.equal(csvCell('@home'), '\'@home')
})

t.test('the bank\'s order is append-only: a link\'s questions are positions in it', async (t) => {
  // Reordering or removing one would change what every link made before shows; add new ids
  // at the end, and to this list.
  const FROZEN = ['1.1-swish', '1.2-relu-decomposition', '1.4-log-softmax', '2-logistic-mixture', '3.2-param-count', '3.2-hessian-shape',
    '3.6-hvp', '4.1-output-shape', '4.3-conv-matrix', '4.4-transposed-conv-matrix', '5.1-output-shape', '5.3-receptive-field',
    '3.1-largest-eigenvalue']
  t.strictSame(questions.map((question) => question.id).slice(0, FROZEN.length), FROZEN)
})

t.test('a roster\'s estimate grows with students × questions, JSON above CSV', async (t) => {
  t.equal(rosterCost(task('json', ['a'], ['1.1-swish', '1.1-swish', '1.1-swish'])), rosterCost(task('json', ['a'], ['1.1-swish'])), 'a question named thrice is drawn once')
  const small = rosterCost(task('json', ['a'], ['1.1-swish']))
  t.ok(small > 0)
  t.equal(rosterCost(task('json', ['a', 'b'], ['1.1-swish'])), 2 * small)
  t.ok(rosterCost(task('json', ['a'])) > rosterCost(task('csv', ['a'])))
})
