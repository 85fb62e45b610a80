/**
 * `npm run bench:hvp`: gradient and exact Hessian-vector product of the assignment's MLP
 * (32 → 512 → 512 → 10, 284,682 parameters, ReLU, cross-entropy) at batch 1 and 64,
 * in-process, and the same with PyTorch (float64, one thread, double backward through
 * nn.Linear) in the same run when the Python of BENCH_PYTHON (default python3) has it.
 * Prints PyTorch's version and BLAS, medians and ratios; with `--json`, one JSON object on
 * its last line: {"torch": {"version", "blas"}, "rows": [{"batch", "backend", "gradientMs",
 * "hvpMs", "torchGradientMs", "torchHvpMs"}]}. PyTorch runs as bench/torch.ts says.
 */
import { availableBackends } from '../src/math/backend.js'
import { Mlp } from '../src/math/mlp.js'
import { medianMilliseconds, uniformStream } from './timing.js'
import { runTorch } from './torch.js'

const SIZES = [32, 512, 512, 10]
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15)

const stream = uniformStream(7)
const uniform = (): number => stream() - 0.5
const median = (f: () => void): number => medianMilliseconds(f, REPEATS)

const TORCH = `
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
        return mlp_loss(layers, X, T)
    def gradient():
        torch.autograd.grad(loss(), params)
    def hvp():
        g = torch.autograd.grad(loss(), params, create_graph=True)
        torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
    print(batch, median(gradient), median(hvp))
`

export function benchHvp (): void {
  const backends = availableBackends()
  const cases = [1, 64].flatMap((batch) => {
    const inputs = Array.from({ length: batch }, () => Array.from({ length: SIZES[0] }, uniform))
    const targets = Array.from({ length: batch }, (_, b) => b % 10)
    const parameterCount = new Mlp({ sizes: SIZES, activation: 'relu', loss: 'cross-entropy', inputs, targets }, backends[0]).parameterCount
    const w = Float64Array.from({ length: parameterCount }, () => uniform() * 0.1)
    const v = Float64Array.from({ length: parameterCount }, uniform)
    // Into the same output arrays each time, as a loop of products (Lanczos, CG) calls it.
    const into = { gradient: new Float64Array(parameterCount), hv: new Float64Array(parameterCount) }
    return backends.map((backend) => {
      const mlp = new Mlp({ sizes: SIZES, activation: 'relu', loss: 'cross-entropy', inputs, targets }, backend)
      return { batch, backend: backend.name, gradient: () => mlp.evaluate(w, undefined, into), hvp: () => mlp.evaluate(w, v, into) }
    })
  })
  // Warm every kernel on every shape first, so no measurement pays for the JIT.
  for (let k = 0; k < 3; k++) for (const c of cases) { c.gradient(); c.hvp() }
  const rows: Array<{ batch: number, backend: string, gradient: number, hvp: number, torchGradient?: number, torchHvp?: number }> =
    cases.map((c) => ({ batch: c.batch, backend: c.backend, gradient: median(c.gradient), hvp: median(c.hvp) }))
  const { python, torch, lines } = runTorch(TORCH, [String(REPEATS)])
  for (const line of lines) {
    const [batch, gradient, hvp] = line.split(' ').map(Number)
    for (const row of rows.filter((row) => row.batch === batch)) Object.assign(row, { torchGradient: gradient, torchHvp: hvp })
  }
  console.log(`\nassignment MLP ${SIZES.join(' → ')} (284,682 parameters), ReLU, cross-entropy; median of ${REPEATS}, ms, one thread each`)
  console.log(torch === undefined ? 'PyTorch: not measured' : `PyTorch ${torch.version} (${python}), BLAS ${torch.blas}`)
  console.log('  batch  backend   gradient      HVP   HVP/grad   torch grad  torch HVP   HVP vs torch')
  for (const row of rows) {
    const versus = row.torchHvp === undefined ? '          —          —              —' : `${row.torchGradient!.toFixed(2).padStart(11)} ${row.torchHvp.toFixed(2).padStart(10)}   ${(row.hvp / row.torchHvp).toFixed(2).padStart(8)}× torch`
    console.log(`  ${String(row.batch).padStart(5)}  ${row.backend.padEnd(7)} ${row.gradient.toFixed(2).padStart(10)} ${row.hvp.toFixed(2).padStart(8)} ${(row.hvp / row.gradient).toFixed(2).padStart(9)}  ${versus}`)
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({
      torch: torch ?? null,
      rows: rows.map((row) => ({ batch: row.batch, backend: row.backend, gradientMs: row.gradient, hvpMs: row.hvp, torchGradientMs: row.torchGradient ?? null, torchHvpMs: row.torchHvp ?? null }))
    }))
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchHvp()
