/**
 * The pages a student opens in a browser, served entirely from this service's own assets
 * (no CDN: the machines have no internet access): a landing page at /, GraphiQL at /graphiql
 * (React 18 and GraphiQL 3's UMD bundles from node_modules), Swagger UI at /docs
 * (@fastify/swagger-ui, which bundles swagger-ui-dist), and the OpenAPI document.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { exampleQueries } from './examples.js'
import { schemaText } from '../graphql/index.js'
import { readProjectFile } from '../project-file.js'
import type { Operation } from '../operations/operation.js'
import { renderPictureExamples } from '../http/pictures.js'
import { escapeHtml, page, scriptJson } from '../pages/html.js'

const require = createRequire(import.meta.url)

/** Browser assets by URL name: the package and file they come from, and their content type. */
const ASSETS: Record<string, { package: string, file: string, type: string }> = {
  'react.js': { package: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { package: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { package: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { package: 'graphiql', file: 'graphiql.min.css', type: 'text/css' }
}

/** A file inside an installed package, past its "exports" map (UMD builds are not exported). */
function packageFile (name: string, file: string): Buffer {
  return readFileSync(join(dirname(require.resolve(`${name}/package.json`)), file))
}

/** The Markdown files served as they are: the README and every page it links to. */
export const MARKDOWN = ['README.md', 'CONTRIBUTING.md', 'BENCHMARKS.md', 'docs/api.md', 'docs/graphql.md', 'docs/autograding.md', 'docs/limits.md', 'docs/production.md', 'docs/accuracy.md', 'docs/benchmarks.md', 'docs/kubernetes.md', 'deploy/README.md']

export async function registerPlaygrounds (app: FastifyInstance, operations: readonly Operation[]): Promise<void> {
  const assets = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, { body: packageFile(asset.package, asset.file), type: asset.type }]))
  const examples = exampleQueries(schemaText(operations), operations)
  const hidden = { schema: { hide: true } }

  app.get('/graphiql/assets/:name', hidden, async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name)
    if (asset === undefined) return reply.callNotFound()
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body)
  })

  // KaTeX's stylesheet and fonts for the students' pages (src/pages/statements.ts): the
  // WOFF2 files only, which every browser KaTeX supports reads first in the stylesheet's list.
  // One route each, exempt from load shedding as /health is: bytes already in memory, and a
  // font refused while the page's own request went through would leave its math half drawn.
  const katexDirectory = join(dirname(require.resolve('katex/package.json')), 'dist')
  const katexFiles = ['katex.min.css', ...readdirSync(join(katexDirectory, 'fonts')).filter((name) => name.endsWith('.woff2')).map((name) => `fonts/${name}`)]
  for (const file of katexFiles) {
    const body = readFileSync(join(katexDirectory, file))
    const type = file.endsWith('.css') ? 'text/css; charset=utf-8' : 'font/woff2'
    app.get(`/assets/katex/${file}`, { ...hidden, config: { loadShedding: false } }, async (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=86400').send(body))
  }

  app.get('/graphiql', hidden, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page('dlcheck — GraphiQL', `
<div id="graphiql" style="height: 100vh">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script>
  // One tab per computation, from the operations' documented examples.
  const examples = ${scriptJson(examples)};
  const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: examples.map((example) => ({ query: example.query, variables: example.variables })),
    // GraphiQL 3 fills the first tab's variable editor from this prop, not from defaultTabs.
    variables: examples[0].variables,
    defaultEditorToolsVisibility: 'variables',
    shouldPersistHeaders: false
  }));
</script>`, '<link rel="stylesheet" href="/graphiql/assets/graphiql.css">\n<style>body { margin: 0; }</style>')))

  // The documentation, at the paths the README's relative links resolve to from /README.md.
  for (const path of MARKDOWN) {
    const text = readProjectFile(path)
    app.get(`/${path}`, hidden, async (_request, reply) => reply.type('text/markdown; charset=utf-8').send(text))
  }
  app.get('/openapi.yaml', hidden, async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })))
  app.get('/openapi.json', hidden, async () => app.swagger())

  // Rendered once: data URIs, so the page loads nothing from elsewhere and the pictures'
  // element ids cannot clash.
  const pictures = renderPictureExamples()
  // docs/api.md shows them by relative links, which reach these paths from /docs/api.md.
  for (const { file, svg } of pictures) {
    app.get(`/docs/pictures/${file}`, hidden, async (_request, reply) => reply.type('image/svg+xml; charset=utf-8').send(svg))
  }
  // The curl example names the origin the page was asked from (with TRUST_PROXY, the proxy's
  // X-Forwarded-Proto and -Host), so it runs as pasted wherever the service is reached.
  app.get('/', hidden, async (request, reply) => reply.type('text/html; charset=utf-8').send(page('dlcheck', `
<main style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; line-height: 1.5">
<h1>dlcheck</h1>
<p>Exact answers to the computational questions of a graduate deep-learning assignment: stable softmax,
Hessian-vector products and Newton steps, convolutions as matrices, receptive fields, parameter counts,
swish, ReLU decompositions, mixtures of logistic regressions, and the corner experiment of question 5.4.</p>
<ul>
<li><a href="/graphiql">GraphiQL playground</a> — one example tab per computation; works without internet access</li>
<li><a href="/docs">Swagger UI</a> — every REST endpoint with examples; “Try it out” calls this server</li>
<li><a href="/openapi.yaml">openapi.yaml</a> (also <a href="/openapi.json">JSON</a>) — the contract, for client generators</li>
<li><a href="/questions">/questions</a> — the question bank, for autograders: per-student variants and <code>POST /grade</code> with PrairieLearn's comparison rules (see <a href="/docs/autograding.md">Autograding</a>)</li>
<li><a href="/health">/health</a> — liveness</li>
</ul>
<h2>Computations</h2>
<table>
<thead><tr><th align="left">REST</th><th align="left">GraphQL</th><th align="left">questions</th><th align="left">example</th></tr></thead>
<tbody>
${operations.map((op) => `<tr><td><code>POST ${op.path}</code></td><td><code>${op.name}</code></td><td>${op.questions.join(', ')}</td><td>${escapeHtml(op.examples[0].summary)}</td></tr>`).join('\n')}
</tbody>
</table>
<h2>Pictures</h2>
<p>Where a picture says more than JSON, send the same POST with <code>Accept: image/svg+xml</code>:
<code>/hvp</code> (with <code>sweep: true</code>), <code>/conv-matrix</code> and <code>/receptive-field</code> answer a self-contained SVG.</p>
${pictures.map(({ caption, svg }) => `<figure style="margin: 1rem 0"><img style="max-width: 100%" alt="${escapeHtml(caption)}" src="data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`).join('\n')}
<p>Try one with curl:</p>
<pre>curl -s ${escapeHtml(`${request.protocol}://${request.host}`)}/softmax-stable -H 'content-type: application/json' -d '{"x": [0, -40]}'</pre>
<p>The <a href="/README.md">README</a> starts here; <a href="/docs/api.md">docs/api.md</a> has a curl example, with its real output, for every endpoint.</p>
</main>`)))

  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: false, tryItOutEnabled: true }
  })
}
