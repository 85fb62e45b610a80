/**
 * stdlib-js's habit: every `@example expression // value` in src/math is run and its value
 * asserted, so the documentation cannot drift from the code.
 */
import { readdirSync } from 'node:fs'
import t from 'tap'
import { readRepositoryFile, repositoryPath } from '../helpers/repository.js'

// The comments are read from the sources; the modules are imported beside this test (compiled or not).
const files = readdirSync(repositoryPath('src/math')).filter((file) => file.endsWith('.ts'))
// Every module's exports are in scope of every example (e.g. parseArchitecture in param-count's).
const scope: Record<string, unknown> = {}
for (const file of files) Object.assign(scope, await import(new URL(`../../src/math/${file.replace(/\.ts$/, '.js')}`, import.meta.url).href))

const plain = (value: unknown): unknown => (ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value)

let count = 0
for (const file of files) {
  for (const [, expression, expected] of readRepositoryFile(`src/math/${file}`).matchAll(/@example (.+?) \/\/ (.+)$/gm)) {
    count++
    t.test(`${file}: ${expression}`, async (t) => {
      // eslint-disable-next-line no-new-func
      const evaluate = (code: string): unknown => new Function(...Object.keys(scope), `return (${code})`)(...Object.values(scope))
      t.strictSame(plain(evaluate(expression)), evaluate(expected))
    })
  }
}
t.ok(count >= 10, `${count} examples`)
