/**
 * Pictures by content negotiation (src/http/pictures.ts): which Accept headers ask for SVG,
 * the three routes that draw one, their errors, the pooled path, the routes that ignore
 * Accept, and the OpenAPI document that says so.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { parse } from 'yaml'
import { PICTURES, prefersSvg } from '../../src/http/pictures.js'
import { operations } from '../../src/operations/index.js'
import { build } from '../helpers/app.js'
import { readRepositoryFile } from '../helpers/repository.js'
import { checkPicture, select } from '../svg/xml.js'

const SVG = 'image/svg+xml; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'

const HVP_SWEEP = { model: { kind: 'expression', expression: 'exp(x)*sin(y)', variables: ['x', 'y'] }, w: [0.5, 1], v: [1, -1], sweep: true }
const CONV = { input: 3, kernelSize: 3, stride: 2, padding: 1 }
const SPECTRUM = { model: { kind: 'quadratic', A: [[2, 1], [1, 3]] }, w: [0, 0], density: true, points: 50 }
const RECEPTIVE_FIELD = { input: 12, architecture: 'Conv-3x3(padding=1) → Conv-3x3(padding=1) → MaxPool-2x2', pixel: [0, 0] }

function postWith (app: FastifyInstance, url: string, body: unknown, accept?: string) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(accept !== undefined && { accept }) },
    payload: JSON.stringify(body)
  })
}

t.test('prefersSvg: SVG only when it ranks strictly above JSON', async (t) => {
  const cases: Array<[string | undefined, boolean, string]> = [
    [undefined, false, 'no Accept header: JSON, the default'],
    ['', false, 'an empty header'],
    ['image/svg+xml', true, 'SVG alone'],
    ['IMAGE/SVG+XML', true, 'media types are case-insensitive'],
    ['application/json', false, 'JSON alone'],
    ['text/html', false, 'neither: 0 = 0 keeps JSON (the route answers JSON, not 406)'],
    ['*/*', false, '*/* is a tie'],
    ['image/*', true, 'image/* covers SVG and not JSON'],
    ['image/svg+xml, application/json', false, 'a tie at q = 1 keeps JSON, whatever the order'],
    ['application/json, image/svg+xml', false, 'the other order'],
    ['*/*;q=0.1, image/svg+xml', true, 'SVG at 1, JSON through */* at 0.1'],
    ['image/svg+xml;q=0.5, */*', false, 'JSON through */* at 1 beats SVG at 0.5'],
    ['image/svg+xml;q=0.9, application/json;q=0.8', true, 'q-values decide'],
    ['image/svg+xml; q=0.3, application/json; q=0.7', false, 'spaces after ;'],
    ['image/svg+xml ;q=0.9, application/json ; q=0.5', true, 'spaces before ; (RFC 9110 allows them)'],
    ['application/json;q=0.5, image/*', true, 'a wildcard at 1 beats JSON at 0.5'],
    ['image/svg+xml;q=0.2, image/*;q=0.9, application/json;q=0.5', false, 'the most specific range decides SVG\'s q, not the highest'],
    ['image/*;q=0.9, image/svg+xml', true, 'the exact type overrides the wildcard, in either order'],
    ['image/svg+xml;q=0', false, 'q=0 means not acceptable'],
    ['image/svg+xml;q=abc', false, 'a malformed q counts as 0'],
    ['image/svg+xml;charset=utf-8;q=0.8, application/json;q=0.5', true, 'other parameters before q'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8', false, 'a browser navigating to the URL: JSON'],
    ['image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', true, 'a browser\'s <img>: SVG']
  ]
  for (const [accept, expected, why] of cases) t.equal(prefersSvg(accept), expected, `${JSON.stringify(accept)}: ${why}`)
})

t.test('every picture, and JSON for the same body without Accept', async (t) => {
  const app = await build(t)
  const pictured: Array<[string, unknown, string]> = [
    ['/hvp', HVP_SWEEP, 'hvp'],
    ['/hessian-spectrum', SPECTRUM, 'hessianSpectrum'],
    ['/conv-matrix', CONV, 'convMatrix'],
    ['/receptive-field', RECEPTIVE_FIELD, 'receptiveField']
  ]
  t.strictSame(pictured.map(([, , name]) => name).sort(), Object.keys(PICTURES).sort(), 'every picture is tested')
  for (const [url, body] of pictured) {
    const picture = await postWith(app, url, body, 'image/svg+xml')
    t.equal(picture.statusCode, 200, url)
    t.equal(picture.headers['content-type'], SVG, `${url}: SVG, UTF-8`)
    const root = checkPicture(picture.body)
    t.ok(select(root, 'title')[0].text.length > 0, `${url}: a well-formed picture with a title`)

    const json = await postWith(app, url, body)
    t.equal(json.statusCode, 200)
    t.equal(json.headers['content-type'], JSON_TYPE, `${url}: JSON without Accept`)
    t.type(json.json(), 'object')
    const tie = await postWith(app, url, body, 'application/json, image/svg+xml')
    t.equal(tie.headers['content-type'], JSON_TYPE, `${url}: JSON on a tie`)
    t.equal(tie.body, json.body, 'the same JSON')
  }
})

t.test('a picture the answer cannot give is a 4xx with the reason', async (t) => {
  const app = await build(t)
  const { sweep, ...withoutSweep } = HVP_SWEEP
  t.equal(sweep, true)
  const noSweep = await postWith(app, '/hvp', withoutSweep, 'image/svg+xml')
  t.equal(noSweep.statusCode, 400)
  t.match(noSweep.json(), { code: 'DLCHECK_INVALID_REQUEST', message: /hvp picture: the answer has no sweep to draw; ask with sweep: true/ })
  t.equal((await postWith(app, '/hvp', withoutSweep)).statusCode, 200, 'the JSON answer needs no sweep')

  const latex = await postWith(app, '/conv-matrix', { ...CONV, format: 'latex' }, 'image/svg+xml')
  t.equal(latex.statusCode, 400)
  t.match(latex.json(), { code: 'DLCHECK_INVALID_REQUEST', message: /no matrix to draw; ask with format "dense" or "sparse" \(not "latex"\)/ })

  // The picture's limits: 4096 cells and 128 rows or columns; the JSON answer has neither.
  const sizes: Array<[unknown, number, RegExp | undefined]> = [
    [{ input: [1, 130], kernelSize: 1, stride: [1, 5] }, 413, /conv-matrix picture: A is 26 × 130 = 3380 entries, over the picture's limit of 4096 entries \(64 × 64\) and 128 rows or columns; ask for JSON/],
    [{ input: [1, 128], kernelSize: [1, 64] }, 413, /A is 65 × 128 = 8320 entries/],
    [{ input: [1, 128], kernelSize: 1, stride: [1, 4] }, 200, undefined], // 32 × 128 = 4096: on both limits
    [{ input: [64, 64], kernelSize: 1, format: 'sparse' }, 413, /A is 4096 × 4096 = 16777216 entries/]
  ]
  for (const [body, statusCode, message] of sizes) {
    const picture = await postWith(app, '/conv-matrix', body, 'image/svg+xml')
    t.equal(picture.statusCode, statusCode, JSON.stringify(body))
    if (message !== undefined) t.match(picture.json(), { code: 'DLCHECK_LIMIT', message })
    else checkPicture(picture.body)
    t.equal((await postWith(app, '/conv-matrix', body)).statusCode, 200, 'the JSON answer has no such limit')
  }

  const deep = { layers: Array.from({ length: 65 }, () => ({ type: 'conv', kernel: 1 })) }
  const tooDeep = await postWith(app, '/receptive-field', deep, 'image/svg+xml')
  t.equal(tooDeep.statusCode, 413)
  t.match(tooDeep.json(), { code: 'DLCHECK_LIMIT', message: /receptive-field picture: 65 layers, over the picture's limit of 64/ })
  t.equal((await postWith(app, '/receptive-field', deep)).statusCode, 200)
})

t.test('a pooled computation is drawn from the worker\'s JSON', async (t) => {
  const inline = await postWith(await build(t), '/hvp', HVP_SWEEP, 'image/svg+xml')
  const app = await build(t, { runtime: { workers: 1, inlineCostLimit: 0 } })
  // The main thread's run is broken: an answer can only come from the worker.
  const hvp = operations.find((operation) => operation.name === 'hvp')!
  const run = hvp.run
  t.teardown(() => { hvp.run = run })
  hvp.run = () => { throw new Error('ran on the main thread') }

  const picture = await postWith(app, '/hvp', HVP_SWEEP, 'image/svg+xml')
  t.equal(picture.statusCode, 200, picture.body.slice(0, 200))
  t.equal(picture.headers['content-type'], SVG)
  t.equal(picture.headers.vary, 'Accept', 'caches key on Accept')
  checkPicture(picture.body)
  t.equal(picture.body, inline.body, 'the same picture as computed inline')
  const noSweep = await postWith(app, '/hvp', { ...HVP_SWEEP, sweep: false }, 'image/svg+xml')
  t.match(noSweep, { statusCode: 400 }, 'the picture\'s 400 after a pooled answer')
})

t.test('routes without a picture answer JSON whatever the Accept', async (t) => {
  const app = await build(t)
  const unpictured = operations.filter((operation) => PICTURES[operation.name] === undefined)
  t.ok(unpictured.length >= 7, `${unpictured.length} routes`)
  for (const operation of unpictured) {
    // The corner experiment's examples train for seconds; one epoch shows the same.
    const body = operation.name === 'cornerExperiment' ? { residual: true, epochs: 1 } : operation.examples[0].value
    const response = await postWith(app, operation.path, body, 'image/svg+xml')
    t.equal(response.statusCode, 200, operation.path)
    t.equal(response.headers['content-type'], JSON_TYPE, `${operation.path}: JSON`)
  }
  const graphql = await postWith(app, '/graphql', { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }' }, 'image/svg+xml')
  t.strictSame(graphql.json(), { data: { paramCount: { total: 9 } } }, 'GraphQL too')
})

t.test('openapi.yaml lists image/svg+xml beside JSON for the pictured routes only, and LaTeX for all', async (t) => {
  const document = parse(readRepositoryFile('openapi.yaml'))
  for (const operation of operations) {
    const ok = document.paths[operation.path].post.responses['200']
    const types = Object.keys(ok.content).sort()
    const pictured = PICTURES[operation.name] !== undefined
    t.strictSame(types, pictured ? ['application/json', 'application/x-latex', 'image/svg+xml'] : ['application/json', 'application/x-latex'], `${operation.path}: ${types.join(', ')}`)
    t.match(ok.description, /with Accept: application\/x-latex, the answer as LaTeX math/)
    t.equal(ok.content['application/x-latex'].schema.type, 'string')
    t.equal(ok.content['application/json'].schema.type, 'object', 'the JSON schema is kept')
    if (pictured) {
      t.match(ok.description, /with Accept: image\/svg\+xml, a self-contained SVG picture/)
      t.equal(ok.content['image/svg+xml'].schema.type, 'string')
    }
  }
  t.ok(document.paths['/receptive-field'].post.responses['200'].content['image/svg+xml'], '/receptive-field: image/svg+xml')
})
