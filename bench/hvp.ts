/**
 * `npm run bench:hvp`: gradient and exact Hessian-vector product of the assignment's MLP
 * (32 → 512 → 512 → 10, 284,682 parameters, ReLU, cross-entropy) at batch 1 and 64,
 * in-process, and the same with PyTorch (float64, one thread, double backward through
 * nn.Linear) in the same run when the Python of BENCH_PYTHON (default python3) has it.
 *
 * Timed in BENCH_REPEATS interleaved rounds (PyTorch a process kept running between them): in
 * each round every case, each backend and PyTorch at each batch, times its gradient and its HVP
 * (each the median of BLOCK runs in a row, so the caches are as warm as in a loop of products),
 * and each round starts one case later; a slow stretch of a shared machine then hits every
 * case alike. Medians over the rounds; HVP/grad and the ratio to PyTorch are the medians of
 * the rounds' ratios. With `--json`, one JSON object on its last line: {"torch": {"version",
 * "blas"}, "rows": [{"batch", "backend", "gradientMs", "hvpMs", "torchGradientMs",
 * "torchHvpMs"}]}. PyTorch runs as bench/torch.ts says.
 */
import { availableBackends } from '../src/math/backend.js'
import { Mlp } from '../src/math/mlp.js'
import { medianMilliseconds, uniformStream } from './timing.js'
import { startTorch } from './torch.js'

const SIZES = [32, 512, 512, 10]
const BATCHES = [1, 64]
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15)
/** Runs in a row per timing: its median is one round's figure. */
const BLOCK = 3

const stream = uniformStream(7)
const uniform = (): number => stream() - 0.5

const TORCH = `
torch.manual_seed(0)
sizes = [32, 512, 512, 10]
block = int(sys.argv[1])
sys.stdin.readline()
def median(f):
    times = []
    for _ in range(block):
        t = time.perf_counter(); f(); times.append((time.perf_counter() - t) * 1e3)
    return sorted(times)[block // 2]
cases = {}
for batch in (1, 64):
    X = torch.randn(batch, 32, dtype=torch.float64)
    T = torch.randint(0, 10, (batch,))
    layers = [torch.nn.Linear(a, b).double() for a, b in zip(sizes, sizes[1:])]
    params = [p for layer in layers for p in layer.parameters()]
    v = [torch.randn_like(p) for p in params]
    def make(layers=layers, X=X, T=T, params=params, v=v):
        def loss():
            return mlp_loss(layers, X, T)
        def gradient():
            torch.autograd.grad(loss(), params)
        def hvp():
            g = torch.autograd.grad(loss(), params, create_graph=True)
            torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
        return gradient, hvp
    cases[batch] = make()
for gradient, hvp in cases.values():
    for _ in range(3): gradient(); hvp()
# One line per round: the batch; answered with the gradient's and the HVP's median of a block.
for line in sys.stdin:
    gradient, hvp = cases[int(line)]
    print(median(gradient), median(hvp), flush=True)
`

interface Case { batch: number, backend: string, time: () => Promise<[number, number]> }

export async function benchHvp (): Promise<void> {
  const backends = availableBackends()
  const cases: Case[] = BATCHES.flatMap((batch) => {
    const inputs = Array.from({ length: batch }, () => Array.from({ length: SIZES[0] }, uniform))
    const targets = Array.from({ length: batch }, (_, b) => b % 10)
    const parameterCount = new Mlp({ sizes: SIZES, activation: 'relu', loss: 'cross-entropy', inputs, targets }, backends[0]).parameterCount
    const w = Float64Array.from({ length: parameterCount }, () => uniform() * 0.1)
    const v = Float64Array.from({ length: parameterCount }, uniform)
    // Into the same output arrays each time, as a loop of products (Lanczos, CG) calls it.
    const into = { gradient: new Float64Array(parameterCount), hv: new Float64Array(parameterCount) }
    return backends.map((backend) => {
      const mlp = new Mlp({ sizes: SIZES, activation: 'relu', loss: 'cross-entropy', inputs, targets }, backend)
      const gradient = (): void => { mlp.evaluate(w, undefined, into) }
      const hvp = (): void => { mlp.evaluate(w, v, into) }
      // Warm every kernel on every shape first, so no measurement pays for the JIT.
      for (let k = 0; k < 3; k++) { gradient(); hvp() }
      return { batch, backend: backend.name, time: async () => [medianMilliseconds(gradient, BLOCK), medianMilliseconds(hvp, BLOCK)] as [number, number] }
    })
  })
  const torch = await startTorch(TORCH, [String(BLOCK)], '')
  try {
    if (torch !== undefined) {
      for (const batch of BATCHES) {
        cases.push({ batch, backend: 'torch', time: async () => (await torch.ask(String(batch))).split(' ').map(Number) as [number, number] })
      }
    }
    const times = cases.map(() => [] as Array<[number, number]>)
    for (let round = 0; round < REPEATS; round++) {
      for (let k = 0; k < cases.length; k++) {
        const i = (k + round) % cases.length
        times[i].push(await cases[i].time())
      }
    }
    const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    const torchTimes = (batch: number): Array<[number, number]> | undefined => {
      const i = cases.findIndex((c) => c.backend === 'torch' && c.batch === batch)
      return i < 0 ? undefined : times[i]
    }
    const rows = cases.flatMap((c, i) => c.backend === 'torch'
      ? []
      : [{
          batch: c.batch,
          backend: c.backend,
          gradient: middle(times[i].map(([gradient]) => gradient)),
          hvp: middle(times[i].map(([, hvp]) => hvp)),
          perGradient: middle(times[i].map(([gradient, hvp]) => hvp / gradient)),
          torchGradient: torchTimes(c.batch) === undefined ? undefined : middle(torchTimes(c.batch)!.map(([gradient]) => gradient)),
          torchHvp: torchTimes(c.batch) === undefined ? undefined : middle(torchTimes(c.batch)!.map(([, hvp]) => hvp)),
          versusTorch: torchTimes(c.batch) === undefined ? undefined : middle(times[i].map(([, hvp], round) => hvp / torchTimes(c.batch)![round][1]))
        }])
    console.log(`\nassignment MLP ${SIZES.join(' → ')} (284,682 parameters), ReLU, cross-entropy; ${REPEATS} interleaved rounds, each the median of ${BLOCK} runs; medians over the rounds in ms, ratios the median of the rounds'; one thread each`)
    console.log(torch === undefined ? 'PyTorch: not measured' : `PyTorch ${torch.torch.version} (${torch.python}), BLAS ${torch.torch.blas}`)
    console.log('  batch  backend   gradient      HVP   HVP/grad   torch grad  torch HVP   HVP vs torch')
    for (const row of rows) {
      const versus = row.torchHvp === undefined ? '          —          —              —' : `${row.torchGradient!.toFixed(2).padStart(11)} ${row.torchHvp.toFixed(2).padStart(10)}   ${row.versusTorch!.toFixed(2).padStart(8)}× torch`
      console.log(`  ${String(row.batch).padStart(5)}  ${row.backend.padEnd(7)} ${row.gradient.toFixed(2).padStart(10)} ${row.hvp.toFixed(2).padStart(8)} ${row.perGradient.toFixed(2).padStart(9)}  ${versus}`)
    }
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({
        torch: torch?.torch ?? null,
        rows: rows.map((row) => ({ batch: row.batch, backend: row.backend, gradientMs: row.gradient, hvpMs: row.hvp, torchGradientMs: row.torchGradient ?? null, torchHvpMs: row.torchHvp ?? null }))
      }))
    }
  } finally {
    torch?.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHvp()
