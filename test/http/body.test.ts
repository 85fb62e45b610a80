/**
 * Request bodies: codings and charsets the service does not decode (415), keys that would set
 * a prototype (400 naming them), large bodies parsed by a worker with the same answers and
 * errors as small ones parsed on the main thread, bodies declared over their limit (dropped
 * and the connection kept, unless far over), and bodies too slow to arrive.
 */
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import t from 'tap'
import { charsetOf, MAX_DROPPED_BODY_BYTES } from '../../src/http/body.js'
import { forbiddenKey } from '../../src/runtime/request-body.js'
import { build, post } from '../helpers/app.js'

const json = 'application/json'

t.test('a Content-Encoding or charset the service does not decode: 415 before the body is read', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const send = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/softmax-stable', headers, payload: '{"x": [1, 2]}' })
  const gzip = await send({ 'content-type': json, 'content-encoding': 'gzip' })
  t.equal(gzip.statusCode, 415)
  t.equal(gzip.headers['accept-encoding'], 'identity', 'RFC 9110 §15.5.16: the codings that would do')
  t.match(gzip.json(), { code: 'DLCHECK_UNSUPPORTED_MEDIA_TYPE', error: 'Unsupported Media Type', message: 'Content-Encoding "gzip" is not accepted: send the body uncompressed (Accept-Encoding: identity)' })
  const utf16 = await send({ 'content-type': `${json}; charset=utf-16` })
  t.equal(utf16.statusCode, 415)
  t.match(utf16.json(), { message: /charset "utf-16" is not accepted: send the body as UTF-8/ })
  t.equal((await send({ 'content-type': `${json}; charset=latin1` })).statusCode, 415)
  for (const fine of [{ 'content-type': `${json}; charset=UTF-8` }, { 'content-type': `${json}; charset="utf-8"` }, { 'content-type': json, 'content-encoding': 'identity' }, { 'content-type': `${json};charset=utf8` }] as Array<Record<string, string>>) {
    t.equal((await send(fine)).statusCode, 200, JSON.stringify(fine))
  }
  t.equal((await app.inject({ method: 'POST', url: '/param-count', headers: { 'content-type': json, 'content-encoding': 'br' }, payload: '{}' })).statusCode, 415, 'whatever the route')
  t.equal((await app.inject({ url: '/health', headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=latin1' } })).statusCode, 200, 'a request without a body: its headers do not matter')
})

t.test('a body to no route is not parsed; a byte order mark is dropped', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  for (const url of ['/nope', '/softmax-stable/']) {
    const response = await post(app, url, '[{},{},')
    t.equal(response.statusCode, 404, `${url}: answered 404 without reading the body as JSON`)
  }
  const bom = await post(app, '/softmax-stable', '\ufeff{"x": [0, -40]}')
  t.equal(bom.statusCode, 200, 'RFC 8259 §8.1: a parser may ignore a leading BOM, as Fastify\'s did')
  t.match((await post(app, '/softmax-stable', '\ufeff')).json(), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' })
})

t.test('the charset parameter', async (t) => {
  t.equal(charsetOf(undefined), undefined)
  t.equal(charsetOf(json), undefined)
  t.equal(charsetOf(`${json}; foo=bar; Charset = "UTF-16LE"`), 'utf-16le')
  t.equal(charsetOf(`${json}; charset=utf-8; charset=latin1`), 'latin1', 'given twice, the one that is not UTF-8')
  t.equal(charsetOf(`${json}; charset=latin1; charset=utf-8`), 'latin1')
})

t.test('a key that would set a prototype is named in the 400', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const proto = await post(app, '/softmax-stable', '{"__proto__": {"x": 1}, "x": [1, 2]}')
  t.equal(proto.statusCode, 400)
  t.match(proto.json(), { code: 'DLCHECK_FORBIDDEN_KEY', message: 'body has the key "__proto__", which is refused: it would set an object\'s prototype (prototype pollution); rename the key' })
  const nested = await post(app, '/receptive-field', '{"architecture": "Conv-3x3", "input": {"a": [0, {"constructor": {"prototype": {}}}]}}')
  t.match(nested.json(), { statusCode: 400, message: /^body\/input\/a\/1\/constructor has the key "prototype"/ })
  const escaped = await post(app, '/softmax-stable', '{"x": [1], "\\u005f_proto__": 1}')
  t.match(escaped.json(), { statusCode: 400, code: 'DLCHECK_FORBIDDEN_KEY' }, 'escaped spellings too')
  t.match((await post(app, '/softmax-stable', '{"x": [1], "prototype": 1, "constructor": 2}')).json(), { code: 'FST_ERR_VALIDATION' }, 'harmless keys are left to the schema')
  t.strictSame(forbiddenKey(JSON.parse('{"a": [1, {"b": null}], "constructor": {"x": 1}}')), undefined, 'nothing to refuse')
  t.strictSame(forbiddenKey(JSON.parse('{"a/b~": [{"__proto__": 1}]}')), { pointer: '/a~1b~0/0', key: '__proto__' }, 'JSON pointers escape / and ~')
  t.strictSame(forbiddenKey(JSON.parse('[[1, {"b": {"constructor": {"prototype": 1}}}]]')), { pointer: '/0/1/b/constructor', key: 'prototype' })
  t.strictSame(forbiddenKey(7), undefined)
  t.match((await post(app, '/softmax-stable', '{"x": [1,')).json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  t.match((await post(app, '/softmax-stable', '')).json(), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' })
})

t.test('a large body is parsed by a worker: the same answers and errors as on the main thread', async (t) => {
  const small = await build(t, { runtime: { workers: 0 } })
  // Every body over 16 bytes goes to a worker.
  const large = await build(t, { runtime: { workers: 1, workerBodyBytes: 16 } })
  const cases: Array<[string, string]> = [
    ['/softmax-stable', '{"x": [0, -40], "temperature": 2}'],
    ['/softmax-stable', '{"x": [1, "a"]}'],
    ['/softmax-stable', '{"x": [1], "extra": true}'],
    ['/softmax-stable', '{"x": [1e999]}'],
    ['/softmax-stable', '{"x": [1], "__proto__": {}}'],
    ['/softmax-stable', '{"x": [1,'],
    ['/conv-matrix', '{"input": 2, "kernelSize": 5}'],
    ['/conv-matrix', '{"input": 64, "kernelSize": 3}'],
    ['/param-count', '{"sizes": [784, 512, 10]}'],
    ['/receptive-field', '{"architecture": "Conv-3x3 → Rleu"}']
  ]
  for (const [url, body] of cases) {
    const [here, there] = await Promise.all([post(small, url, body), post(large, url, body)])
    t.equal(there.statusCode, here.statusCode, `${url} ${body}: status`)
    t.strictSame(there.json(), here.json(), `${url} ${body}: the same answer`)
  }
  const picture = await large.inject({ method: 'POST', url: '/conv-matrix', headers: { 'content-type': json, accept: 'image/svg+xml' }, payload: '{"input": 3, "kernelSize": 3, "stride": 2, "padding": 1}' })
  t.equal(picture.headers['content-type'], 'image/svg+xml; charset=utf-8')
  t.match(picture.body, /^<svg /, 'the worker draws the picture of a body it parsed')
  t.equal(picture.headers.vary, 'Accept')
  const graphql = await post(large, '/graphql', { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }' })
  t.strictSame(graphql.json(), { data: { paramCount: { total: 9 } } }, '/graphql parses its own bodies')
  const graded = await post(large, '/grade', { items: [{ question: '3.2-param-count', answer: 1 }] })
  t.equal(graded.statusCode, 200, '/grade parses its own bodies')
})

t.test('a body without Content-Length: read in chunks, bounded by the route\'s limit', async (t) => {
  const app = await build(t, { runtime: { workers: 1, workerBodyBytes: 16 }, limits: { bodyLimit: 64 } })
  const send = (url: string, parts: string[]) => app.inject({ method: 'POST', url, headers: { 'content-type': json }, payload: Readable.from(parts.map((part) => Buffer.from(part))) })
  const small = await send('/param-count', ['{"sizes": ', '[2, 3]}'])
  t.equal(small.statusCode, 200)
  t.strictSame(small.json().total, 9)
  const large = await send('/softmax-stable', ['{"x": ', '[0, -40], ', '"temperature": 1}'])
  t.equal(large.json().logSumExp, 4.248354255291589e-18, 'over WORKER_BODY_BYTES: parsed by a worker')
  const over = await send('/param-count', ['{"sizes": [', '1, '.repeat(40), '2]}'])
  t.equal(over.statusCode, 413)
  t.match(over.json(), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: /over the limit of 64 bytes \(BODY_LIMIT\)/ })
})

t.test('a body declared over its limit: 413 at once; dropped and the connection kept, unless far over', async (t) => {
  const app = await build(t, { runtime: { workers: 0 }, limits: { bodyLimit: 64 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const head = (length: number): string => `POST /param-count HTTP/1.1\r\nhost: x\r\ncontent-type: ${json}\r\ncontent-length: ${length}\r\n\r\n`
  const exchange = (write: (socket: ReturnType<typeof connect>) => void, answers: number) => new Promise<{ received: string, closed: boolean }>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const done = (closed: boolean): void => { socket.destroy(); resolve({ received, closed }) }
    socket.on('data', (chunk) => {
      received += String(chunk)
      if ((received.match(/HTTP\/1\.1 /g) ?? []).length === answers && /\}$/.test(received)) setTimeout(() => done(false), 100)
    })
    socket.on('close', () => done(true))
    write(socket)
  })

  // The whole body, written before reading (as many clients do), then a second request.
  const small = JSON.stringify({ sizes: [2, 3] })
  const kept = await exchange((socket) => socket.write(head(100_000) + ' '.repeat(100_000) + head(small.length) + small), 2)
  t.match(kept.received, /^HTTP\/1\.1 413 [^]*"code":"FST_ERR_CTP_BODY_TOO_LARGE"[^]*HTTP\/1\.1 200 [^]*"total":9/)
  t.notMatch(kept.received.slice(0, kept.received.indexOf('\r\n\r\n')), /connection: close/i, 'the 413 keeps the connection')
  t.equal(kept.closed, false)

  const far = await exchange((socket) => socket.write(head(64 + MAX_DROPPED_BODY_BYTES + 1) + ' '.repeat(1000)), 1)
  t.match(far.received, /^HTTP\/1\.1 413 [^]*connection: close/i, 'far over: the connection is closed after the 413')
  t.equal(far.closed, true)
})

t.test('415 for every body parser, and the connection kept (regressions)', async (t) => {
  const app = await build(t, { runtime: { workers: 0 } })
  const graphql = { method: 'POST' as const, url: '/graphql', payload: '{ paramCount(input: {sizes: [2, 3]}) { total } }' }
  const gzip = await app.inject({ ...graphql, headers: { 'content-type': 'application/graphql', 'content-encoding': 'gzip' } })
  t.equal(gzip.statusCode, 415, 'Mercurius\'s application/graphql parser is behind the check too')
  t.equal(gzip.headers['accept-encoding'], 'identity')
  t.equal((await app.inject({ ...graphql, headers: { 'content-type': 'application/graphql; charset=latin1' } })).statusCode, 415)
  t.equal((await app.inject({ method: 'POST', url: '/param-count', headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, payload: '{}' })).statusCode, 415, 'text/plain too')

  // A refused body is read and dropped by Node, and the next request on the socket is answered.
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const body = ' '.repeat(200_000)
  const small = JSON.stringify({ sizes: [2, 3] })
  const received = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (chunk) => {
      text += String(chunk)
      if (text.includes('"total":9')) { socket.destroy(); resolve(text) }
    })
    socket.on('close', () => resolve(text))
    socket.write(`POST /param-count HTTP/1.1\r\nhost: x\r\ncontent-type: ${json}\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n${body}POST /param-count HTTP/1.1\r\nhost: x\r\ncontent-type: ${json}\r\ncontent-length: ${small.length}\r\n\r\n${small}`)
  })
  t.match(received, /^HTTP\/1\.1 415 [^]*HTTP\/1\.1 200 [^]*"total":9/)
})

t.test('a body too slow to arrive is cut at REQUEST_TIMEOUT_MS', async (t) => {
  const app = await build(t, { runtime: { workers: 0, requestTimeoutMs: 1000 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.on('data', (chunk) => { received += String(chunk) })
  socket.write(`POST /softmax-stable HTTP/1.1\r\nhost: x\r\ncontent-type: ${json}\r\ntransfer-encoding: chunked\r\n\r\n1\r\n{\r\n`)
  // A byte every 300 ms: never idle long enough for the idle timeout, only the request
  // timeout can end it. Node checks it every connectionsCheckingInterval (30 s by default, 1 s
  // here), so 15 s without an answer means it was not checked in time.
  const trickle = setInterval(() => socket.write('1\r\n \r\n'), 300)
  let timer!: NodeJS.Timeout
  const closed = new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true))
    timer = setTimeout(() => resolve(false), 15_000)
  })
  const cut = await closed
  clearTimeout(timer)
  clearInterval(trickle)
  socket.destroy()
  t.ok(cut, 'the server ended the connection')
  t.match(received, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout')
})
