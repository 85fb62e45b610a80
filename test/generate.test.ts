import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { operations } from '../src/operations/index.js'
import { readRepositoryFile, repositoryPath } from './helpers/repository.js'

const committed = readRepositoryFile('openapi.yaml')

t.test('openapi.yaml, schema/json, schema/schema.graphql and the tables of docs/limits.md and docs/graphql.md are what the schemas generate (run `npm run generate` after a change)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dlcheck-'))
  // The script compiled with this test (npm test compiles both), as `npm run generate` runs it.
  execFileSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('../scripts/generate.js', import.meta.url)), root])
  t.equal(readFileSync(join(root, 'openapi.yaml'), 'utf8'), committed, 'openapi.yaml')
  const generated = readdirSync(join(root, 'schema', 'json')).sort()
  t.strictSame(readdirSync(repositoryPath('schema/json')).sort(), generated, 'the same schema files')
  t.equal(generated.length, 2 * operations.length)
  for (const file of generated) {
    t.equal(readFileSync(join(root, 'schema', 'json', file), 'utf8'), readRepositoryFile(`schema/json/${file}`), `schema/json/${file}`)
  }
  t.equal(readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8'), readRepositoryFile('schema/schema.graphql'), 'schema/schema.graphql')
  t.equal(readFileSync(join(root, 'docs', 'limits.md'), 'utf8'), readRepositoryFile('docs/limits.md'), 'docs/limits.md, its table of settings')
  t.equal(readFileSync(join(root, 'docs', 'graphql.md'), 'utf8'), readRepositoryFile('docs/graphql.md'), 'docs/graphql.md, its table of GraphQL settings')
  t.match(readFileSync(join(root, 'docs', 'graphql.md'), 'utf8'), '| `GRAPHQL_MAX_DEPTH` | `8` |', 'the GraphQL table has a row per GraphQL setting')
  t.match(readFileSync(join(root, 'docs', 'limits.md'), 'utf8'), '| `SOFTMAX_MAX_ENTRIES` | `1000000` | entries of `x`', 'the table has a row per setting')
})

t.test('every operation is documented with its examples and error responses', async (t) => {
  const document = parse(committed)
  t.equal(document.openapi, '3.1.0')
  for (const operation of operations) {
    const post = document.paths[operation.path]?.post
    t.ok(post, `${operation.path} is documented`)
    t.equal(post.operationId, operation.name)
    t.strictSame(Object.keys(post.requestBody.content['application/json'].examples).length, operation.examples.length, `${operation.path} examples`)
    t.strictSame(Object.keys(post.responses).sort(), ['200', '400', '401', '413', '415', '422', '429', '500', '503'], `${operation.path} statuses`)
  }
})

t.test('openapi.yaml passes @redocly/cli lint with the recommended rules', { timeout: 120_000 }, async (t) => {
  let output: string
  try {
    output = execFileSync(process.execPath, ['node_modules/@redocly/cli/bin/cli.js', 'lint', 'openapi.yaml', '--extends=recommended', '--format=json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
    })
  } catch (error) {
    output = (error as { stdout: string }).stdout // lint exits 1 on errors; the JSON says which
  }
  const report = JSON.parse(output) as { totals: { errors: number, warnings: number }, problems: Array<{ ruleId: string, severity: string, message: string }> }
  t.strictSame(report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`), [], '0 errors')
  t.comment(`warnings: ${report.totals.warnings} (${[...new Set(report.problems.map((p) => p.ruleId))].join(', ')})`)
})
