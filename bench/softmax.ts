/**
 * In-process cost of the faithfully rounded softmax (src/math/softmax.ts) against the textbook
 * max-shift formula and, when the Python of BENCH_PYTHON (default python3) has SciPy, SciPy's
 * log_softmax on the same million entries. Ratios are from one run.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { softmaxStable } from '../src/math/softmax.js'
import { medianMilliseconds, uniformStream } from './timing.js'

const N = 1_000_000
const REPEATS = 15

/** The usual stable formula: shift by the max, plain sum, log. */
function textbookShifted (x: Float64Array): { logSumExp: number, softmax: Float64Array } {
  let m = -Infinity
  for (const v of x) if (v > m) m = v
  const e = new Float64Array(x.length)
  let sum = 0
  for (let i = 0; i < x.length; i++) { e[i] = Math.exp(x[i] - m); sum += e[i] }
  for (let i = 0; i < x.length; i++) e[i] /= sum
  return { logSumExp: m + Math.log(sum), softmax: e }
}

const median = (f: () => void): number => medianMilliseconds(f, REPEATS)

// Deterministic logits, roughly N(0, 10²): Box–Muller on a fixed linear congruential stream.
const uniform = uniformStream(12345)
const x = Float64Array.from({ length: N }, () => 10 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()))

export function benchSoftmax (): Array<[string, number]> {
  const ours = median(() => softmaxStable(x))
  const textbook = median(() => textbookShifted(x))
  const rows: Array<[string, number]> = [['dlcheck softmaxStable', ours], ['textbook max-shift', textbook]]
  const python = process.env.BENCH_PYTHON ?? 'python3'
  {
    const file = join(mkdtempSync(join(tmpdir(), 'dlcheck-bench-')), 'x.f64')
    writeFileSync(file, Buffer.from(x.buffer))
    const script = `
import numpy as np, time, sys
from scipy.special import log_softmax, logsumexp
x = np.fromfile(sys.argv[1], dtype=np.float64)
times = []
for _ in range(${REPEATS}):
    t = time.perf_counter(); ls = log_softmax(x); s = np.exp(ls); l = logsumexp(x); times.append((time.perf_counter() - t) * 1e3)
import scipy
print(sorted(times)[${Math.floor(REPEATS / 2)}], scipy.__version__)`
    const run = spawnSync(python, ['-c', script, file], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } })
    const [ms, version] = run.status === 0 ? run.stdout.trim().split(' ') : []
    if (run.status === 0) rows.push([`SciPy ${version} log_softmax + exp + logsumexp`, Number(ms)])
    else console.log(`(SciPy skipped: ${python}: ${(run.stderr ?? String(run.error)).trim().split('\n').at(-1)})`)
  }
  console.log(`\nsoftmax of ${N.toLocaleString('en')} entries, median of ${REPEATS} runs`)
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / ours).toFixed(2)}× dlcheck`)
  return rows
}
