/**
 * The pictures in a real SVG parser and renderer: headless Chromium (Debian's package, driven
 * by playwright-core) parses each with DOMParser('image/svg+xml') — no <parsererror> — and
 * renders it inline with no request leaving the page. SVG_PNG_DIR=/tmp writes a PNG of each,
 * to look at. Skips, saying why, where Chromium is not installed.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { convMatrixSvg } from '../../src/svg/conv-matrix.js'
import { hvpSweepSvg } from '../../src/svg/hvp-sweep.js'
import { receptiveFieldSvg } from '../../src/svg/receptive-field.js'
import {
  CONV_HOSTILE, CONV_NUMERIC, CONV_SPARSE, CONV_SYMBOLIC, CONV_TRANSPOSED, HOSTILE_AS_READ, HVP_MLP, HVP_QUADRATIC, RF_41, RF_53, RF_HOSTILE, RF_NO_INPUT, RF_PIXEL
} from './samples.js'

const CHROMIUM = '/usr/bin/chromium'

const pictures: Record<string, () => string> = {
  'hvp-sweep-mlp': () => hvpSweepSvg(HVP_MLP()),
  'hvp-sweep-quadratic': () => hvpSweepSvg(HVP_QUADRATIC()),
  'conv-matrix-symbolic': () => convMatrixSvg(CONV_SYMBOLIC()),
  'conv-matrix-transposed': () => convMatrixSvg(CONV_TRANSPOSED()),
  'conv-matrix-numeric': () => convMatrixSvg(CONV_NUMERIC()),
  'conv-matrix-sparse': () => convMatrixSvg(CONV_SPARSE()),
  'conv-matrix-hostile': () => convMatrixSvg(CONV_HOSTILE()),
  'receptive-field-4.1': () => receptiveFieldSvg(RF_41(), 32),
  'receptive-field-5.3': () => receptiveFieldSvg(RF_53(), 32),
  'receptive-field-no-input': () => receptiveFieldSvg(RF_NO_INPUT()),
  'receptive-field-pixel': () => receptiveFieldSvg(RF_PIXEL(), 32),
  'receptive-field-hostile': () => receptiveFieldSvg(RF_HOSTILE(), 16)
}

t.test('in headless Chromium', { timeout: 120_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ deviceScaleFactor: 1.5 })
  const requested: string[] = []
  page.on('request', (request) => requested.push(request.url()))
  const dialogs: string[] = []
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.dismiss() })
  const pngDirectory = process.env.SVG_PNG_DIR

  for (const [name, draw] of Object.entries(pictures)) {
    const svg = draw()
    // Evaluated in the page (a string function body: this file is type-checked without the DOM library).
    const parsed = await page.evaluate(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml')
      const error = doc.getElementsByTagName('parsererror')[0]
      return { error: error ? error.textContent : null, root: doc.documentElement.localName, namespace: doc.documentElement.namespaceURI,
        scripts: doc.getElementsByTagName('script').length, title: doc.querySelector('title')?.textContent, desc: doc.querySelector('desc')?.textContent }
    })()`) as { error: string | null, root: string, namespace: string, scripts: number, title: string, desc: string }
    t.equal(parsed.error, null, `${name}: no <parsererror>`)
    t.equal(parsed.root, 'svg', `${name}: an <svg> root`)
    t.equal(parsed.namespace, 'http://www.w3.org/2000/svg')
    t.equal(parsed.scripts, 0, `${name}: no <script>`)
    if (name === 'receptive-field-hostile') t.ok(HOSTILE_AS_READ.every((s) => parsed.desc.includes(s)), 'hostile layer names read back exactly')

    await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`)
    const box = await page.locator('svg').first().boundingBox()
    t.ok(box !== null && box.width > 300 && box.height > 150, `${name}: rendered ${box?.width} × ${box?.height}`)
    if (pngDirectory !== undefined) await page.locator('svg').first().screenshot({ path: join(pngDirectory, `dlcheck-svg-${name}.png`) })
  }
  t.strictSame(requested.filter((url) => !url.startsWith('about:') && !url.startsWith('data:')), [], 'no request: nothing external')
  t.strictSame(dialogs, [], 'no script ran')
})
