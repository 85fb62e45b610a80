/**
 * The committed wasm/kernels.wasm is what its source builds to: `npm run build:wasm` (the
 * pinned AssemblyScript of package-lock.json, the options of wasm/asconfig.json) rebuilds it
 * byte for byte, so a change to wasm/kernels.ts cannot land without its binary.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT as root } from '../helpers/repository.js'

t.test('wasm/kernels.wasm is rebuilt identically from wasm/kernels.ts', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'dlcheck-wasm-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  const asc = createRequire(join(root, 'package.json')).resolve('assemblyscript/bin/asc.js')
  const output = join(directory, 'kernels.wasm')
  const build = spawnSync(process.execPath, [asc, 'wasm/kernels.ts', '--config', 'wasm/asconfig.json', '--outFile', output], { cwd: root, encoding: 'utf8' })
  t.equal(build.status, 0, build.stderr)
  t.ok(readFileSync(output).equals(readFileSync(join(root, 'wasm/kernels.wasm'))), 'run `npm run build:wasm` and commit wasm/kernels.wasm')
})
