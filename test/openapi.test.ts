import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { operations } from '../src/operations/index.js'

const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')

t.test('openapi.yaml is what the route schemas generate (run `npm run openapi` after a schema change)', async (t) => {
  const target = join(mkdtempSync(join(tmpdir(), 'dlcheck-')), 'openapi.yaml')
  // The child reuses tap's TypeScript loader, as `npm run openapi` runs the compiled script.
  execFileSync(process.execPath, [...process.execArgv, 'scripts/write-openapi.ts', target])
  t.equal(readFileSync(target, 'utf8'), committed)
})

t.test('every operation is documented with its examples and error responses', async (t) => {
  const document = parse(committed)
  t.equal(document.openapi, '3.1.0')
  for (const operation of operations) {
    const post = document.paths[operation.path]?.post
    t.ok(post, `${operation.path} is documented`)
    t.equal(post.operationId, operation.name)
    t.same(Object.keys(post.requestBody.content['application/json'].examples).length, operation.examples.length, `${operation.path} examples`)
    t.same(Object.keys(post.responses).sort(), ['200', '400', '413', '422', '500'], `${operation.path} statuses`)
  }
})
