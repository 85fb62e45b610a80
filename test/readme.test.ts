/**
 * The documentation's curl examples are real: every `$ curl … -d '…'` in a console block of the
 * README or of docs/ whose output is shown whole is replayed through the app, and the answer
 * must equal the pasted output.
 */
import { readdirSync } from 'node:fs'
import { posix } from 'node:path'
import t from 'tap'
import { renderPictureExamples } from '../src/http/pictures.js'
import { MARKDOWN } from '../src/playgrounds/index.js'
import { build, post } from './helpers/app.js'
import { readRepositoryFile as read, repositoryPath } from './helpers/repository.js'

const DOCS = readdirSync(repositoryPath('docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)
/** The README and docs/, one text: the examples are counted across them. */
const readme = ['README.md', ...DOCS].map(read).join('\n')
const examples = [...readme.matchAll(/^\$ curl -s localhost:3000(\/[\w-]+) -H 'content-type: application\/json' -d '(.*)'\n(.*)$/gm)]
  .map(([, path, body, output]) => ({ path, body, output }))
  .filter((example) => !example.output.endsWith('…'))

t.test('every whole curl example in the README and docs/ answers what they show', async (t) => {
  t.ok(examples.length >= 20, `${examples.length} examples`)
  // The docs show the WebAssembly kernels' digits (every machine has them); OpenBLAS's fused
  // multiply-adds may round an MLP's last digit differently.
  const app = await build(t, { runtime: { matrixBackend: 'wasm' } })
  // An example answered 401 shows a server started with COMPUTATIONS=token (docs/autograding.md).
  // The kernels are the thread's, chosen by the last app built: this one chooses the same.
  const closed = await build(t, { runtime: { matrixBackend: 'wasm' }, grading: { graderToken: 'a-grader-token-of-some-length', variantSecret: 'a-variant-secret-of-some-length', computations: 'token' } })
  for (const { path, body, output } of examples) {
    const expected = JSON.parse(output) as { statusCode?: number }
    const response = await post(expected.statusCode === 401 ? closed : app, path, body)
    t.strictSame(response.json(), expected, `${path} ${body.slice(0, 80)}`)
  }
})

// The LaTeX answers: the same requests with Accept: application/x-latex, the text up to the
// block's end compared as text.
const latexExamples = [...readme.matchAll(/^\$ curl -s localhost:3000(\/[\w-]+) -H 'content-type: application\/json' -H 'accept: application\/x-latex' -d '(.*)'\n((?:(?!\$ |```).*\n)+)/gm)]
  .map(([, path, body, output]) => ({ path, body, output: output.trimEnd() }))

t.test('every LaTeX curl example answers what the docs show', async (t) => {
  t.ok(latexExamples.length >= 4, `${latexExamples.length} examples`)
  const app = await build(t, { runtime: { matrixBackend: 'wasm' } })
  for (const { path, body, output } of latexExamples) {
    const response = await post(app, path, body, { accept: 'application/x-latex' })
    t.equal(response.body, output, `${path} ${body.slice(0, 80)}`)
  }
})

// The autograding sessions: requests with the grader token (and a student's page, which needs
// none), replayed against an app with the README's token and secret (variants and personal
// links depend on the secret), on the host the docs show. An output is every line up to the
// next command: JSON compared as JSON, anything else (a roster's CSV) as text.
const token = /^\$ export GRADER_TOKEN=(\S+)$/m.exec(readme)![1]
const secret = /VARIANT_SECRET=([\w-]+)/.exec(readme)![1]
const graded = [...readme.matchAll(/^\$ curl -s '?localhost:3000([^' ]+)'?((?: -H (?:"authorization: Bearer \$GRADER_TOKEN"|'[A-Za-z-]+: [^']*'))*)(?: -d '(.*)')?\n((?:(?!\$ |```).*\n)+)/gm)]
  .map(([, url, headers, body, output]) => ({ url, headers: [...headers.matchAll(/'([A-Za-z-]+): ([^']*)'/g)].map(([, name, value]) => [name.toLowerCase(), value]), authorized: headers.includes('$GRADER_TOKEN'), body, output: output.trimEnd() }))
  .filter((example) => example.authorized || example.url.startsWith('/statements'))

t.test('every curl example with the grader token answers what the docs show', async (t) => {
  t.ok(graded.length >= 8, `${graded.length} examples`)
  t.ok(graded.some((example) => example.url.startsWith('/statements')) && graded.some((example) => example.headers.some(([, value]) => value === 'text/csv')), 'the walk-through\'s roster and page are among them')
  const app = await build(t, { grading: { graderToken: token, variantSecret: secret } })
  for (const { url, headers, authorized, body, output } of graded) {
    const response = await app.inject({
      method: body === undefined ? 'GET' : 'POST',
      url,
      headers: { host: 'localhost:3000', ...Object.fromEntries(headers), ...(authorized ? { authorization: `Bearer ${token}` } : {}) },
      payload: body
    })
    const name = `${url} ${(body ?? '').slice(0, 80)}`
    if (output.startsWith('{')) t.strictSame(response.json(), JSON.parse(output), name)
    else t.equal(response.body.replace(/\r\n/g, '\n').trimEnd(), output, name)
  }
})

t.test('docs/pictures/ is what the service draws now (npm run pictures rewrites it)', async (t) => {
  for (const { file, svg } of renderPictureExamples()) {
    t.equal(read(`docs/pictures/${file}`), svg, file)
    t.match(read('docs/api.md'), `](pictures/${file})`, `docs/api.md shows ${file}`)
  }
})

t.test('the image holds every page the service reads at start (its start fails without one)', async (t) => {
  const copied = [...read('Dockerfile').matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap(([, sources]) => sources.split(' '))
  t.ok(copied.includes('README.md'), 'the Dockerfile\'s COPY lines are read')
  for (const page of MARKDOWN) {
    t.ok(copied.some((source) => page === source || page.startsWith(`${source}/`)), `the Dockerfile copies ${page}`)
  }
})

t.test('the README stays short, and the service serves every page of docs/', async (t) => {
  t.ok(Buffer.byteLength(read('README.md')) <= 20 * 1024, 'README.md is at most 20 KB: the rest goes to docs/')
  t.strictSame(DOCS.filter((path) => !MARKDOWN.includes(path)), [], 'every docs/*.md is in MARKDOWN (src/playgrounds/index.ts)')
  const readmeLinks = [...read('README.md').matchAll(/\]\(((?:docs\/)?[\w-]+\.md)\)/g)]
  t.ok(readmeLinks.length >= 8, `the README links ${readmeLinks.length} pages`)
  // Served, a page's relative links resolve against its own path: each must reach a page or
  // a picture the service serves, or the reader of /docs/production.md meets a 404.
  const served = new Set([...MARKDOWN, ...renderPictureExamples().map(({ file }) => `docs/pictures/${file}`)])
  for (const page of MARKDOWN) {
    for (const [, link] of read(page).matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g)) {
      const target = posix.normalize(posix.join(posix.dirname(page), link))
      t.ok(served.has(target), `${page} links to ${link}, which the service serves`)
    }
  }
})
