/**
 * `npm run bench:hvp`: gradient and exact Hessian-vector product of the assignment's MLP
 * (32 → 512 → 512 → 10, 284,682 parameters, ReLU, cross-entropy) at batch 1 and 64,
 * in-process, and the same with PyTorch (float64, one thread, double backward) in the same
 * run when Debian's python3-torch is installed. Prints medians and ratios.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Mlp } from '../src/math/mlp.js'
import { medianMilliseconds, uniformStream } from './timing.js'

const SIZES = [32, 512, 512, 10]
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15)

const stream = uniformStream(7)
const uniform = (): number => stream() - 0.5
const median = (f: () => void): number => medianMilliseconds(f, REPEATS)

const TORCH = `
import sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
torch.manual_seed(0)
sizes = [32, 512, 512, 10]
repeats = int(sys.argv[1])
def median(f):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); times.append((time.perf_counter() - t) * 1e3)
    return sorted(times)[repeats // 2]
for batch in (1, 64):
    X = torch.randn(batch, 32, dtype=torch.float64)
    T = torch.randint(0, 10, (batch,))
    layers = [torch.nn.Linear(a, b).double() for a, b in zip(sizes, sizes[1:])]
    params = [p for layer in layers for p in layer.parameters()]
    v = [torch.randn_like(p) for p in params]
    def loss():
        a = X
        for i, layer in enumerate(layers):
            a = layer(a)
            if i < len(layers) - 1: a = F.relu(a)
        return F.cross_entropy(a, T)
    def gradient():
        torch.autograd.grad(loss(), params)
    def hvp():
        g = torch.autograd.grad(loss(), params, create_graph=True)
        torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
    print(batch, median(gradient), median(hvp))
`

export function benchHvp (): void {
  const cases = [1, 64].map((batch) => {
    const mlp = new Mlp({
      sizes: SIZES,
      activation: 'relu',
      loss: 'cross-entropy',
      inputs: Array.from({ length: batch }, () => Array.from({ length: SIZES[0] }, uniform)),
      targets: Array.from({ length: batch }, (_, b) => b % 10)
    })
    const w = Float64Array.from({ length: mlp.parameterCount }, () => uniform() * 0.1)
    const v = Float64Array.from({ length: mlp.parameterCount }, uniform)
    return { batch, gradient: () => mlp.evaluate(w), hvp: () => mlp.evaluate(w, v) }
  })
  // Warm every kernel on every shape first, so no measurement pays for the JIT.
  for (let k = 0; k < 3; k++) for (const c of cases) { c.gradient(); c.hvp() }
  const rows: Array<{ batch: number, gradient: number, hvp: number, torchGradient?: number, torchHvp?: number }> =
    cases.map((c) => ({ batch: c.batch, gradient: median(c.gradient), hvp: median(c.hvp) }))
  if (existsSync('/usr/bin/python3')) {
    const run = spawnSync('/usr/bin/python3', ['-c', TORCH, String(REPEATS)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } })
    if (run.status === 0) {
      for (const line of run.stdout.trim().split('\n')) {
        const [batch, gradient, hvp] = line.split(' ').map(Number)
        Object.assign(rows.find((row) => row.batch === batch)!, { torchGradient: gradient, torchHvp: hvp })
      }
    } else {
      console.log(`(PyTorch skipped: ${run.stderr.trim().split('\n').at(-1)})`)
    }
  } else {
    console.log('(PyTorch skipped: /usr/bin/python3 not found; apt-get install python3-torch)')
  }
  console.log(`\nassignment MLP ${SIZES.join(' → ')} (284,682 parameters), ReLU, cross-entropy; median of ${REPEATS}, ms`)
  console.log('  batch   gradient      HVP   HVP/grad   torch grad  torch HVP   HVP vs torch')
  for (const row of rows) {
    const torch = row.torchHvp === undefined ? '          —          —              —' : `${row.torchGradient!.toFixed(2).padStart(11)} ${row.torchHvp.toFixed(2).padStart(10)}   ${(row.hvp / row.torchHvp).toFixed(2).padStart(8)}× torch`
    console.log(`  ${String(row.batch).padStart(5)} ${row.gradient.toFixed(2).padStart(10)} ${row.hvp.toFixed(2).padStart(8)} ${(row.hvp / row.gradient).toFixed(2).padStart(9)}  ${torch}`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchHvp()
