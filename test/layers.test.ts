/**
 * The layers of src/ point down only (CONTRIBUTING.md, "Layout"): read from the import
 * statements of every source file, so a new import that points back fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import t from 'tap'
import { repositoryPath } from './helpers/repository.js'

const SRC = repositoryPath('src/')
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'))
/** `folder/file.ts` → the src/ folders (or top-level files) it imports, relative to src/. */
const imports = new Map(files.map((file) => {
  const text = readFileSync(join(SRC, file), 'utf8')
  const targets = [...text.matchAll(/^(?:import|export)\b[^']*?from '(\.[^']+)'/gm)].map((match) => relative(SRC, normalize(join(SRC, dirname(file), match[1]))))
  return [file, targets]
}))
const layer = (path: string): string => path.includes('/') ? path.slice(0, path.indexOf('/')) : path.replace(/\.(ts|js)$/, '')
const pointingInto = (from: string, to: readonly string[]): string[] =>
  [...imports].filter(([file]) => layer(file) === from).flatMap(([file, targets]) => targets.filter((target) => to.includes(layer(target))).map((target) => `${file} → ${target}`))

t.test('the imports of src/ point down only', async (t) => {
  t.ok(imports.size > 50, `${imports.size} source files read`)
  t.ok(pointingInto('http', ['operations']).length > 0, 'the reading finds imports (http → operations)')
  const math = [...imports].filter(([file]) => layer(file) === 'math').flatMap(([file, targets]) => targets.filter((target) => layer(target) !== 'math').map((target) => `${file} → ${target}`))
  t.strictSame(math, [], 'src/math imports nothing of the service')
  t.strictSame(pointingInto('http', ['graphql', 'playgrounds']), [], 'src/http does not import src/graphql')
  t.strictSame(pointingInto('graphql', ['http', 'playgrounds']), [], 'src/graphql does not import src/http')
  t.strictSame(pointingInto('grading', ['http', 'graphql', 'playgrounds', 'app', 'server']), [], 'grading imports no transport')
  t.strictSame(pointingInto('operations', ['http', 'graphql', 'playgrounds', 'grading', 'runtime', 'app', 'server']), [], 'operations import only the math below them')
  t.strictSame(pointingInto('runtime', ['http', 'graphql', 'playgrounds', 'app', 'server']), [], 'the worker pool imports no transport')
  t.strictSame(pointingInto('pages', ['http', 'graphql', 'playgrounds', 'runtime', 'app', 'server']), [], 'the pages render grading\'s data, and import no transport')
  t.strictSame(pointingInto('svg', ['http', 'graphql', 'playgrounds', 'runtime', 'grading', 'app', 'server']), [], 'the pictures import only the operations and the math')
})
