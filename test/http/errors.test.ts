import t from 'tap'
import { build, post } from '../helpers/app.js'

t.test('numbers the JSON contract rejects are 400, never coerced', async (t) => {
  const app = await build(t)
  const bodies: Array<[string, string, RegExp]> = [
    ['/softmax-stable', '{"x": [1e999]}', /body\/x\/0 must be a finite number, got Infinity/],
    ['/softmax-stable', '{"x": [-1e999, 1]}', /body\/x\/0 must be a finite number, got -Infinity/],
    ['/softmax-stable', '{"x": ["Infinity"]}', /body\/x\/0 must be a finite number, got the string "Infinity"/],
    ['/softmax-stable', '{"x": ["NaN"]}', /body\/x\/0 must be a finite number, got the string "NaN"/],
    ['/softmax-stable', '{"x": ["0x10"]}', /body\/x\/0 must be a finite number, got the string "0x10"/],
    ['/softmax-stable', '{"x": [[1, 2], [3, "4"]]}', /body\/x\/1\/1 must be a finite number, got the string "4"/],
    ['/softmax-stable', '{"x": [1], "temperature": "2"}', /body\/temperature must be a finite number, got the string "2"/],
    ['/softmax-stable', '{"x": [1], "temperature": 0}', /body\/temperature must be > 0, got 0/],
    ['/softmax-stable', '{"x": []}', /body\/x must NOT have fewer than 1 items/],
    ['/softmax-stable', '{"x": [1], "naive": "yes"}', /body\/naive must be boolean, got the string "yes"/],
    ['/softmax-stable', '{"x": [1], "temprature": 2}', /body has an unknown property 'temprature'; allowed: x, temperature, naive/],
    ['/conv-matrix', '{"input": 2.5, "kernelSize": 2}', /body\/input must be an integer, got 2.5 \(body\/input: input size/],
    ['/conv-matrix', '{"input": -3, "kernelSize": 2}', /body\/input must be >= 1, got -3/],
    ['/conv-matrix', '{"input": [3, -1], "kernelSize": 2}', /body\/input\/1 must be >= 1, got -1/],
    ['/conv-matrix', '{"input": [3, 3, 3], "kernelSize": 2}', /body\/input must NOT have more than 2 items/],
    ['/conv-matrix', '{"input": 70000, "kernelSize": 2}', /body\/input must be <= 65536, got 70000/],
    ['/conv-matrix', '{"input": "0x10", "kernelSize": 2}', /body\/input must be an integer, got the string "0x10"/],
    ['/conv-matrix', '{"input": 3, "kernelSize": 2, "format": "csv"}', /body\/format must be one of "dense", "sparse", "latex", got the string "csv"/],
    ['/receptive-field', '{"layers": [{"type": "cnv"}]}', /body\/layers\/0\/type must be one of "conv", "maxpool"/],
    ['/receptive-field', '{"architecture": "Conv-3x3", "pixel": [0, 0.5]}', /body\/pixel\/1 must be an integer, got 0.5/],
    ['/param-count', '{"sizes": [32, -5]}', /body\/sizes\/1 must be >= 1, got -5/],
    ['/param-count', '{"sizes": [32, 2.5]}', /body\/sizes\/1 must be an integer, got 2.5/],
    ['/param-count', '{"sizes": [32, 1e999]}', /body\/sizes\/1 must be an integer, got Infinity/],
    ['/param-count', '{"sizes": 5}', /body\/sizes must be array, got 5/],
    ['/param-count', '{}', /body must have exactly one of sizes and architecture/],
    ['/param-count', '[1, 2]', /body must be object, got an array/],
    ['/param-count', '{"sizes": [', /^Body is not valid JSON but content-type is set to 'application\/json': the body ends too soon at line 1, column 12$/],
    ['/swish', '{"beta": 0,5}', /^Body is not valid JSON but content-type is set to 'application\/json': unexpected "5" at line 1, column 12; a decimal comma\? JSON numbers take a point: 0\.5, not 0,5$/],
    ['/param-count', '{\n  "sizes": [32,\n    512,, 10]\n}', /: unexpected "," at line 3, column 9$/]
  ]
  for (const [url, body, message] of bodies) {
    const response = await post(app, url, body)
    t.equal(response.statusCode, 400, `${url} ${body}`)
    t.match(response.json(), { statusCode: 400, error: 'Bad Request', code: String, message }, `${url} ${body}`)
  }
})

t.test('body size limits answer 413 naming the limit', async (t) => {
  const app = await build(t, { limits: { bodyLimit: 64, softmaxBodyLimit: 128 } })
  const tooBig = await post(app, '/param-count', { sizes: Array.from({ length: 40 }, () => 100) })
  t.equal(tooBig.statusCode, 413)
  t.match(tooBig.json(), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: /over the limit of 64 bytes \(BODY_LIMIT\)/ })
  const softmax = await post(app, '/softmax-stable', { x: Array.from({ length: 30 }, () => 1.5) })
  t.equal(softmax.statusCode, 200, '/softmax-stable has its own, larger limit')
  const softmaxTooBig = await post(app, '/softmax-stable', { x: Array.from({ length: 100 }, () => 1.5) })
  t.match(softmaxTooBig.json(), { statusCode: 413, message: /over the limit of 128 bytes \(SOFTMAX_BODY_LIMIT\)/ })
})

t.test('unknown routes are 404 with the same error shape', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'GET', url: '/softmax' })
  t.equal(response.statusCode, 404)
  t.strictSame(response.json(), { statusCode: 404, code: 'DLCHECK_NOT_FOUND', error: 'Not Found', message: 'no route GET /softmax; see /openapi.yaml' })
})

t.test('a 5xx never carries internal details, and is logged', async (t) => {
  const lines: string[] = []
  const app = await build(t, { logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } } })
  app.get('/boom', async () => { throw new Error('secret internal detail') })
  const response = await app.inject({ method: 'GET', url: '/boom' })
  t.equal(response.statusCode, 500)
  t.strictSame(response.json(), { statusCode: 500, code: 'DLCHECK_INTERNAL', error: 'Internal Server Error', message: 'the server could not compute this answer; the error has been logged' })
  t.notMatch(response.body, /secret/)
  t.match(lines.join(''), /secret internal detail/, 'the log has the details')
})

t.test('a 4xx thrown without a code keeps its status and message', async (t) => {
  const app = await build(t)
  app.get('/teapot', async () => { throw Object.assign(new Error('short and stout'), { statusCode: 418 }) })
  t.strictSame((await app.inject({ method: 'GET', url: '/teapot' })).json(), { statusCode: 418, code: 'DLCHECK_CLIENT_ERROR', error: "I'm a Teapot", message: 'short and stout' })
})

t.test('health', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'GET', url: '/health' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'ok', uptime: Number })
})

t.test('a known path asked with another method: 405 with Allow (RFC 9110 §15.5.6); an unknown one: 404', async (t) => {
  const app = await build(t)
  const asked: Array<[string, string, string]> = [
    ['GET', '/softmax-stable', 'POST'],
    ['GET', '/softmax-stable?x=1', 'POST'],
    ['PUT', '/questions/1.1-swish/variant', 'GET, HEAD'],
    ['DELETE', '/health', 'GET, HEAD'],
    ['PATCH', '/graphql', 'GET, HEAD, POST'],
    ['POST', '/docs/static/index.html', 'GET, HEAD']
  ]
  for (const [method, url, allow] of asked) {
    const response = await app.inject({ method: method as 'GET', url })
    t.equal(response.statusCode, 405, `${method} ${url}`)
    t.equal(response.headers.allow, allow)
    t.strictSame(response.json(), { statusCode: 405, code: 'DLCHECK_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: `${method} ${url.split('?')[0]}: this path takes ${allow} only (Allow); see /openapi.yaml` })
  }
  const unknown = await app.inject({ url: '/softmax-stabl' })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.headers.allow, undefined)
  t.equal((await app.inject({ url: '/graphiql/assets/secret.js' })).statusCode, 404, 'a route that takes the method but finds nothing: 404')
})

t.test('RouteMethods: static paths, parameters and wildcards, one pattern per route', async (t) => {
  const { RouteMethods } = await import('../../src/http/errors.js')
  const routes = new RouteMethods()
  routes.add('/a.md', 'GET')
  routes.add('/q/:id/v', 'GET')
  routes.add('/q/:id/v', ['POST', 'HEAD'])
  routes.add('/files/*', 'GET')
  t.strictSame(routes.of('/a.md'), ['GET'])
  t.strictSame(routes.of('/aXmd'), [], 'a dot is a dot')
  t.strictSame(routes.of('/q/1.1-swish/v'), ['GET', 'HEAD', 'POST'], 'the methods of one pattern together')
  t.strictSame(routes.of('/q/a/b/v'), [], 'a parameter is one segment')
  t.strictSame(routes.of('/files/x/y.css'), ['GET'], 'a wildcard takes the rest')
})

t.test('a body that is not JSON: 415 saying what to send and what was sent, REST and GraphQL', async (t) => {
  const app = await build(t)
  const sent: Array<[string | undefined, string]> = [
    [undefined, 'this request has no Content-Type'],
    ['application/x-www-form-urlencoded', 'this request\'s Content-Type is "application/x-www-form-urlencoded"'],
    ['text/plain', 'this request\'s Content-Type is "text/plain"']
  ]
  for (const [type, what] of sent) {
    const response = await app.inject({ method: 'POST', url: '/param-count', headers: type === undefined ? {} : { 'content-type': type }, payload: '{"sizes": [2, 3]}' })
    t.equal(response.statusCode, 415, String(type))
    t.strictSame(response.json(), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', error: 'Unsupported Media Type', message: `send the body as JSON with Content-Type: application/json; ${what}` })
  }
  const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'text/plain' }, payload: '{ paramCount(input: {sizes: [2, 3]}) { total } }' })
  t.equal(graphql.statusCode, 415)
  t.strictSame(graphql.json().errors, [{ message: 'send the body as JSON with Content-Type: application/json (or application/graphql for a bare query); this request\'s Content-Type is "text/plain"', extensions: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 } }])
  const bare = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/graphql' }, payload: '{ paramCount(input: {sizes: [2, 3]}) { total } }' })
  t.strictSame(bare.json(), { data: { paramCount: { total: 9 } } }, 'application/graphql still works')
})
