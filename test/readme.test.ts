/**
 * The README's curl examples are real: every `$ curl … -d '…'` in a console block whose output
 * is shown whole is replayed through the app, and the answer must equal the pasted output.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
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
