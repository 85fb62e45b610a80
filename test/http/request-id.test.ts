import { execFileSync } from 'node:child_process'
import t from 'tap'
import { operations } from '../../src/operations/index.js'
import { checkoutCommit } from '../../src/project-file.js'
import { REQUEST_ID_MAX_LENGTH, requestId } from '../../src/http/request-id.js'
import { build, post } from '../helpers/app.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('X-Request-Id: the one sent when it is plain, else a fresh UUID; sent back and in every log line', async (t) => {
  const lines: Array<{ reqId?: string, msg: string, res?: { statusCode: number } }> = []
  const app = await build(t, { logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } } })
  const sent = 'f3a1c2d4e5b6a7980a1b2c3d4e5f6a7b'
  const asked = [
    { url: '/health', headers: { 'x-request-id': sent } },
    { url: '/param-count', method: 'POST' as const, headers: { 'x-request-id': sent, 'content-type': 'application/json' }, payload: '{"sizes": [2, -1]}' },
    { url: '/no-such-route', headers: { 'x-request-id': sent } },
    { url: '/graphql', method: 'POST' as const, headers: { 'x-request-id': sent, 'content-type': 'application/json' }, payload: '{"query": "{ paramCount(input: {sizes: [2, 3]}) { total } }"}' }
  ]
  for (const request of asked) {
    const response = await app.inject(request)
    t.equal(response.headers['x-request-id'], sent, `${request.url} ${response.statusCode}: sent back`)
  }
  // Fastify's own refusals, answered before any hook runs (src/http/errors.ts, frameworkErrors).
  for (const url of ['/questions/%E0%A4%A/variant', `/questions/${'q'.repeat(150)}/variant`]) {
    const response = await app.inject({ url, headers: { 'x-request-id': sent } })
    t.equal(response.headers['x-request-id'], sent, `${response.statusCode} from the router: sent back`)
  }
  const answered = lines.filter((line) => line.msg === 'request completed')
  t.strictSame(answered.map((line) => [line.reqId, line.res?.statusCode]), [[sent, 200], [sent, 400], [sent, 404], [sent, 200]], 'each request\'s log line carries it')

  for (const bad of ['', ' spaced id', 'a'.repeat(REQUEST_ID_MAX_LENGTH + 1), 'quote"d', 'line\tbreak', 'idé']) {
    const response = await app.inject({ url: '/health', headers: { 'x-request-id': bad } })
    t.match(response.headers['x-request-id'], UUID, `${JSON.stringify(bad.slice(0, 20))}: replaced by a UUID`)
  }
  const fresh = await Promise.all([1, 2].map(async () => (await app.inject({ url: '/health' })).headers['x-request-id']))
  t.match(fresh[0], UUID, 'none sent: a UUID')
  t.not(fresh[0], fresh[1], 'a fresh one per request')
  t.equal((await app.inject({ url: '/health', headers: { 'x-request-id': 'a'.repeat(REQUEST_ID_MAX_LENGTH) } })).headers['x-request-id'], 'a'.repeat(REQUEST_ID_MAX_LENGTH), 'the longest taken')
  for (const id of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'abc+/=@:._-XYZ', '123']) t.equal(requestId({ headers: { 'x-request-id': id } } as never), id, id)
  t.match(requestId({ headers: { 'x-request-id': ['a', 'b'] } } as never), UUID, 'the header twice: neither')
})

t.test('a GraphQL resolver\'s failure is logged with its request\'s id', async (t) => {
  const lines: Array<{ reqId?: string, msg: string }> = []
  const app = await build(t, { logger: { level: 'error', stream: { write: (line: string) => lines.push(JSON.parse(line)) } } })
  const operation = operations.find((candidate) => candidate.name === 'paramCount')!
  const run = operation.run
  operation.run = () => { throw new TypeError('a bug') }
  t.teardown(() => { operation.run = run })
  const response = await post(app, '/graphql', { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }' }, { 'x-request-id': 'trace-42' })
  t.match(response.json(), { errors: [{ extensions: { code: 'DLCHECK_INTERNAL' } }] })
  t.match(lines.find((line) => line.msg === 'graphql resolver failed'), { reqId: 'trace-42' })
})

t.test('GET /version: the version, the commit, Node.js and the kernels', async (t) => {
  const app = await build(t, { commit: 'a'.repeat(40) })
  const response = await app.inject({ url: '/version' })
  t.equal(response.statusCode, 200)
  const { version } = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { encoding: 'utf8' })) as { version: string }
  t.strictSame(response.json(), { version, commit: 'a'.repeat(40), node: process.version, kernels: app.computations.kernels })
  const unknown = await build(t)
  t.equal((await unknown.inject({ url: '/version' })).json().commit, null, 'no commit given: null')
  t.equal((await post(unknown, '/version', {})).statusCode, 405, 'GET only')
})

t.test('checkoutCommit: git rev-parse HEAD where git and a checkout are, else nothing', async (t) => {
  let head: string | undefined
  try {
    head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {}
  t.equal(checkoutCommit(), head, head === undefined ? 'no checkout here: nothing' : 'this checkout\'s HEAD')
  t.equal(checkoutCommit('/'), undefined, 'outside a checkout')
})
