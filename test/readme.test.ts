/**
 * The README's curl examples are real: every `$ curl … -d '…'` in a console block whose output
 * is shown whole is replayed through the app, and the answer must equal the pasted output.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderPictureExamples } from '../src/http/pictures.js'
import { build, post } from './helpers/app.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const examples = [...readme.matchAll(/^\$ curl -s localhost:3000(\/[\w-]+) -H 'content-type: application\/json' -d '(.*)'\n(.*)$/gm)]
  .map(([, path, body, output]) => ({ path, body, output }))
  .filter((example) => !example.output.endsWith('…'))

t.test('every whole curl example in the README answers what the README shows', async (t) => {
  t.ok(examples.length >= 20, `${examples.length} examples`)
  const app = await build(t)
  for (const { path, body, output } of examples) {
    const response = await post(app, path, body)
    t.strictSame(response.json(), JSON.parse(output), `${path} ${body.slice(0, 80)}`)
  }
})

// The autograding session: requests with the grader token, replayed against an app with the
// README's token and secret (variants depend on the secret).
const token = /^\$ export GRADER_TOKEN=(\S+)$/m.exec(readme)![1]
const secret = /VARIANT_SECRET=([\w-]+)/.exec(readme)![1]
const graded = [...readme.matchAll(/^\$ curl -s '?localhost:3000([^' ]+)'? -H "authorization: Bearer \$GRADER_TOKEN"(?: -H 'content-type: application\/json' -d '(.*)')?\n(.*)$/gm)]
  .map(([, url, body, output]) => ({ url, body, output }))

t.test('every curl example with the grader token answers what the README shows', async (t) => {
  t.ok(graded.length >= 4, `${graded.length} examples`)
  const app = await build(t, { grading: { graderToken: token, variantSecret: secret } })
  for (const { url, body, output } of graded) {
    const response = await app.inject({ method: body === undefined ? 'GET' : 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: body })
    t.strictSame(response.json(), JSON.parse(output), `${url} ${(body ?? '').slice(0, 80)}`)
  }
})

t.test('docs/pictures/ is what the service draws now (npm run pictures rewrites it)', async (t) => {
  for (const { file, svg } of renderPictureExamples()) {
    t.equal(readFileSync(new URL(`../docs/pictures/${file}`, import.meta.url), 'utf8'), svg, file)
    t.match(readme, `](docs/pictures/${file})`, `the README shows ${file}`)
  }
})
