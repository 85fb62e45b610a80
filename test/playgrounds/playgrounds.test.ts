/**
 * The browser pages: served from this service's own assets, and usable in a real browser
 * (headless Chromium, Debian's package, driven by playwright-core) with no request leaving
 * 127.0.0.1. The browser part skips, saying why, where Chromium is not installed; .ci/run
 * installs it so CI runs it.
 */
import { existsSync } from 'node:fs'
import t from 'tap'
import { questions } from '../../src/grading/questions.js'
import { operations } from '../../src/operations/index.js'
import { build } from '../helpers/app.js'
import { readRepositoryFile } from '../helpers/repository.js'

const CHROMIUM = '/usr/bin/chromium'

t.test('pages and assets', async (t) => {
  const app = await build(t)
  const get = (url: string) => app.inject({ method: 'GET', url })
  const landing = await get('/')
  t.equal(landing.statusCode, 200)
  for (const link of ['/graphiql', '/docs', '/openapi.yaml', '/openapi.json', '/README.md', '/questions']) t.match(landing.body, `href="${link}"`)
  t.match((await get('/README.md')).body, '## Examples', 'the README, with its curl examples')
  const api = await get('/docs/api.md')
  t.equal(api.headers['content-type'], 'text/markdown; charset=utf-8')
  t.match(api.body, '# The API, operation by operation', 'the pages the README links to, where its relative links lead')
  t.equal((await get('/docs/static/swagger-ui.css')).statusCode, 200, 'beside Swagger UI\'s own files')
  const picture = await get('/docs/pictures/conv-matrix.svg')
  t.equal(picture.headers['content-type'], 'image/svg+xml; charset=utf-8', 'the pictures docs/api.md shows')
  t.equal(picture.body, readRepositoryFile('docs/pictures/conv-matrix.svg'))
  t.match(landing.body, '<code>POST /hvp</code>')
  t.match(landing.body, '<pre>curl -s http://localhost:80/softmax-stable ', 'the curl example names the origin the page was asked from')
  const elsewhere = await app.inject({ url: '/', headers: { host: 'dlcheck.example.edu:8443' } })
  t.match(elsewhere.body, '<pre>curl -s http://dlcheck.example.edu:8443/softmax-stable ')
  const proxied = await build(t, { runtime: { trustProxy: true } })
  const behind = await proxied.inject({ url: '/', headers: { host: 'replica:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'dlcheck.example.edu' } })
  t.match(behind.body, '<pre>curl -s https://dlcheck.example.edu/softmax-stable ', 'behind a trusted proxy: the origin the client used')
  t.match((await app.inject({ url: '/', headers: { host: 'x"><script>' } })).body, '<pre>curl -s http://x&quot;&gt;&lt;script&gt;/softmax-stable', 'a Host header is escaped')
  const graphiql = await get('/graphiql')
  t.match(graphiql.headers['content-type'], 'text/html')
  t.notMatch(graphiql.body, /https?:\/\//, 'no absolute URL: everything loads from this server')
  for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css']) {
    const response = await get(`/graphiql/assets/${asset}`)
    t.equal(response.statusCode, 200, asset)
    t.ok(response.body.length > 1000, `${asset} has content`)
  }
  t.equal((await get('/graphiql/assets/secret.js')).statusCode, 404)
  t.equal((await get('/openapi.yaml')).body, readRepositoryFile('openapi.yaml').replace(/^#.*\n/, ''), '/openapi.yaml serves the committed document')
  t.equal((await get('/openapi.json')).json().openapi, '3.1.0')
  t.equal((await get('/docs/static/swagger-ui.css')).statusCode, 200, 'Swagger UI\'s own assets')
})

t.test('in headless Chromium', { timeout: 180_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const app = await build(t)
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As the machine's probe: no background traffic, which a closed network refuses anyway.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  const requested: string[] = []
  const page = await browser.newPage()
  page.on('request', (request) => requested.push(request.url()))

  await page.goto(`${origin}/graphiql`)
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 })
  // A tab is named after its query, the operation's name capitalized (src/playgrounds/examples.ts).
  const tabs = operations.map((operation) => [`${operation.name[0].toUpperCase()}${operation.name.slice(1)}`, operation.name])
  t.strictSame(await page.locator('.graphiql-tab-button').allTextContents(), tabs.map(([tab]) => tab), 'one example tab per computation, in the table\'s order')
  await page.click('.graphiql-execute-button')
  // Evaluated in the page (a string, since this file is type-checked without the DOM library).
  const shows = (selector: string, text: string) => page.waitForFunction(`document.querySelector(${JSON.stringify(selector)})?.textContent?.includes(${JSON.stringify(text)})`, null, { timeout: 60_000 })
  const resultShows = (text: string) => shows('.result-window', text)
  await resultShows('logSumExp')
  t.match(await page.textContent('.result-window'), '4.248354255291589e-18', 'the softmax example ran and shows its result')
  // The editors' lint errors: the marks CodeMirror 5's lint addon puts on the text, class
  // CodeMirror-lint-mark (codemirror/addon/lint/lint.js, updateLinting). Read from CodeMirror
  // (the `CodeMirror` property of its wrapper element), not the DOM: CodeMirror only draws
  // the lines in view, and a mark on a line scrolled out of view is no mark in the DOM. The
  // lint runs first, as it would a moment after the last change, so nothing is still pending.
  const lintErrors = async () => await page.evaluate(`[...document.querySelectorAll('.graphiql-editors .CodeMirror')].flatMap((element) => {
    const editor = element.CodeMirror
    editor.performLint()
    return editor.getAllMarks().filter((mark) => /\\bCodeMirror-lint-mark\\b/.test(mark.className)).map((mark) => mark.__annotation.message)
  })`) as string[]
  t.strictSame(await lintErrors(), [], `the ${tabs[0][0]} tab's editors show no lint error`)
  // Every other tab runs its own example. GraphiQL syncs a switched tab's editors into its
  // state asynchronously: a click that lands before that runs the previous tab's query, so
  // click until the result is this tab's. A click that ran the previous tab's query shows no
  // change, so each try waits a second for this tab's result or for a run in progress.
  // A query that takes a while (the corner experiment's example trains a network for 300
  // epochs) shows GraphiQL's Stop button meanwhile; a click then would cancel it, so wait for
  // the Execute button to come back before looking at the result.
  const running = '.graphiql-execute-button[aria-label^="Stop"]'
  for (const [tab, field] of tabs.slice(1)) {
    await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${tab}$`) }).click()
    await shows('.graphiql-query-editor', `${field}(input`)
    // GraphiQL copies the editors into the tab's state on its next render; a click before that
    // runs the previous tab's query and costs a retry.
    await page.waitForTimeout(250)
    let shown = false
    for (let attempt = 1; !shown && attempt <= 15; attempt++) {
      await page.click('.graphiql-execute-button')
      const resultIsThisTab = `document.querySelector('.result-window')?.textContent?.includes('"${field}": {')`
      shown = await page.waitForFunction(`${resultIsThisTab} || document.querySelector(${JSON.stringify(running)}) !== null`, null, { timeout: 1_000 }).then(
        async () => {
          await page.waitForSelector(running, { state: 'detached', timeout: 60_000 })
          return await page.evaluate(resultIsThisTab) === true
        },
        () => false)
    }
    const result = await page.textContent('.result-window')
    t.ok(shown && !result!.includes('"errors"'), `the ${tab} tab ran its example without errors`)
    t.strictSame(await lintErrors(), [], `the ${tab} tab's editors show no lint error`)
    if (field === 'newtonStep') t.match(result, '-0.6363636363636364', 'the Newton step lands on −A⁻¹b')
  }

  await page.click('button[aria-label="Show Documentation Explorer"]')
  await page.waitForSelector('.graphiql-doc-explorer', { timeout: 30_000 })
  await page.getByText('SoftmaxStableInput', { exact: false }).first().waitFor({ timeout: 30_000 })
  t.match(await page.textContent('.graphiql-doc-explorer'), /query: Query.*HvpInput.*NewtonStepResult/, 'the schema docs load (introspection passes the limits)')

  await page.goto(`${origin}/docs`)
  const block = '#operations-computations-softmaxStable'
  await page.waitForSelector(`${block} .opblock-summary`, { timeout: 30_000 })
  await page.click(`${block} .opblock-summary`)
  await page.click(`${block} .execute`)
  await page.waitForSelector(`${block} .live-responses-table .highlight-code`, { timeout: 30_000 })
  t.match(await page.textContent(`${block} .live-responses-table`), '4.248354255291589e-18', 'Swagger UI\'s Try it out ran the example')

  // A student's personal page, from a roster: the math typeset by KaTeX with its own fonts,
  // in French when the link says so, every resource answered.
  const roster = await fetch(`${origin}/variants`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'fr' }, body: JSON.stringify({ students: [' Ada@Example.EDU '] }) })
  const link = (await roster.json() as { students: Array<{ page: string }> }).students[0].page
  t.match(link, `${origin}/statements?key=`, 'the personal link points at this server')
  const failures: string[] = []
  page.on('response', (response) => { if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`) })
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') failures.push(message.text()) })
  await page.goto(link)
  await page.waitForLoadState('networkidle')
  t.equal(await page.getAttribute('html', 'lang'), 'fr')
  t.match(await page.textContent('h1'), 'Vos questions')
  t.equal(await page.locator('section h2').count(), questions.length, 'one section per question')
  t.equal(await page.locator('section').first().locator('.katex').count() > 3, true, 'the math is typeset')
  t.equal(await page.locator('.katex-error').count(), 0, 'no LaTeX error')
  t.match(await page.textContent('[id="3.2-param-count"]'), /Combien de paramètres.*Correction\s: valeur exacte/s, 'the statement and how it is graded')
  const fonts = await page.evaluate('[...document.fonts].filter((font) => font.status === "loaded").map((font) => font.family)') as string[]
  t.ok(fonts.includes('KaTeX_Main') && fonts.includes('KaTeX_Math'), `KaTeX's fonts load from this server (${fonts.join(', ')})`)
  // A font is a visible difference: KaTeX_Math draws the italic x of every formula.
  t.match(await page.evaluate('getComputedStyle(document.querySelector(".katex .mord.mathnormal")).fontFamily') as string, 'KaTeX_Math')
  t.strictSame(failures, [], 'no request failed, no console error')
  await page.click('nav a')
  await page.waitForLoadState('networkidle')
  t.match(await page.textContent('h1'), 'Your questions', 'the link to the other language')

  const elsewhere = [...new Set(requested.map((url) => new URL(url).origin))].filter((o) => o !== origin)
  t.strictSame(elsewhere, [], `every request went to ${origin} (${requested.length} requests)`)
})
