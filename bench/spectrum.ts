/**
 * `npm run bench:spectrum`: the top eigenvalue of the assignment's MLP Hessian (32 → 512 → 512
 * → 10, 284,682 parameters, ReLU, cross-entropy, batch 64) by 20 Lanczos steps with full
 * reorthogonalisation, three ways in one run:
 *
 * - dlcheck in-process (`hessianEigenvalues`), on every matrix backend that loads here;
 * - dlcheck over HTTP, end to end: `POST /hessian-spectrum` to a server started like `npm start`
 *   (its own process, MATRIX_BACKEND=auto), the body sent and the answer read; w as a JSON
 *   array of decimals (5.7 MB), then as `{"float64": base64}` (3 MB, "HTTP b64");
 * - the same loop in PyTorch in-process, as PyHessian (Yao et al. 2020) runs it: float64, one
 *   thread, the gradient's graph built once at w and each HVP one more backward pass through it
 *   (retain_graph), the basis in one tensor and each Gram–Schmidt pass two matrix products, the
 *   same reorthogonalisation rule, T's eigenvalues by torch.linalg.eigvalsh; when the Python of
 *   BENCH_PYTHON (default python3) has torch.
 *
 * After BENCH_WARMUP runs of each, the ways are timed in BENCH_REPEATS interleaved rounds, one
 * run of each per round, each round starting one way later (PyTorch is a process kept running
 * between its runs): a slow stretch of a shared machine then hits every way alike. Prints each
 * way's median and its ratio to PyTorch, the median of the per-round ratios; with `--json`, one
 * JSON object on its last line:
 * {"torch": {"version", "blas"}, "rows": [{"way", "backend", "ms", "ratio"}], "torchMs", "reading": [{"way", "bytes", "ms"}]}.
 */
import { availableBackends } from '../src/math/backend.js'
import { Mlp } from '../src/math/mlp.js'
import { hessianEigenvalues } from '../src/math/spectrum.js'
import { hessianSpectrumOperation } from '../src/operations/hessian-spectrum.js'
import type { Operation } from '../src/operations/operation.js'
import { decodeParameterVectors } from '../src/operations/parameter-vector.js'
import { parseJsonBody } from '../src/runtime/request-body.js'
import { startServer } from './servers.js'
import { medianMillisecondsAsync, uniformStream } from './timing.js'
import { startTorch } from './torch.js'

const SIZES = [32, 512, 512, 10]
const BATCH = 64
const STEPS = 20
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5)
/**
 * Runs before the timed ones, in-process and over HTTP alike: the steady state of a service
 * that has been up a while. Each pool thread warms its own JIT and faults in its own Lanczos
 * workspace, and a request lands on any of them, so the server needs a few per thread.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 6)

const stream = uniformStream(7)
const uniform = (): number => stream() - 0.5
const inputs = Array.from({ length: BATCH }, () => Array.from({ length: SIZES[0] }, uniform))
const targets = Array.from({ length: BATCH }, (_, b) => b % 10)
const spec = { sizes: SIZES, activation: 'relu' as const, loss: 'cross-entropy' as const, inputs, targets }
const parameterCount = new Mlp(spec, availableBackends()[0]).parameterCount
const w = Array.from({ length: parameterCount }, () => uniform() * 0.1)

const median = async (f: () => Promise<unknown> | unknown): Promise<number> => await medianMillisecondsAsync(f, REPEATS)

const TORCH = `
data = json.loads(sys.stdin.readline())
steps, warmup = int(sys.argv[1]), int(sys.argv[2])
sizes = data['sizes']
X = torch.tensor(data['inputs'], dtype=torch.float64)
T = torch.tensor(data['targets'])
layers = [torch.nn.Linear(a, b).double() for a, b in zip(sizes, sizes[1:])]
w = torch.tensor(data['w'], dtype=torch.float64)
params = []
offset = 0
for layer in layers:
    for p in (layer.weight, layer.bias):
        p.data.copy_(w[offset:offset + p.numel()].view_as(p)); offset += p.numel(); params.append(p)
def loss():
    return mlp_loss(layers, X, T)
def top_eigenvalue():
    # PyHessian's loop: the gradient's graph is built once at w and kept, and each product is
    # one more backward pass through it (torch.autograd.grad with grad_outputs, retain_graph).
    g = torch.autograd.grad(loss(), params, create_graph=True)
    shapes = [p.shape for p in params]
    def hvp(v):
        vs = [vi.view(shape) for vi, shape in zip(torch.split(v, [p.numel() for p in params]), shapes)]
        hv = torch.autograd.grad(g, params, grad_outputs=vs, retain_graph=True)
        return torch.cat([h.reshape(-1) for h in hv])
    n = w.numel()
    gen = torch.Generator().manual_seed(0)
    Q = torch.zeros(steps, n, dtype=torch.float64)
    q = torch.randn(n, generator=gen, dtype=torch.float64); q /= q.norm()
    alpha, beta = [], []
    previous = 0.0
    for j in range(steps):
        Q[j] = q
        r = hvp(q)
        a = torch.dot(q, r).item(); r -= a * q
        if j > 0: r -= previous * Q[j - 1]
        before = r.norm().item()
        c = Q[:j + 1] @ r; r -= Q[:j + 1].T @ c; a += c[j].item()
        b = r.norm().item()
        if b < before / 2 ** 0.5:
            c = Q[:j + 1] @ r; r -= Q[:j + 1].T @ c; a += c[j].item(); b = r.norm().item()
        alpha.append(a)
        if j == steps - 1: break
        beta.append(b); previous = b; q = r / b
    Tm = torch.diag(torch.tensor(alpha)) + torch.diag(torch.tensor(beta), 1) + torch.diag(torch.tensor(beta), -1)
    return torch.linalg.eigvalsh(Tm)[-1].item()
for _ in range(warmup): top_eigenvalue()
# One timed run per line read: the bench interleaves them with its other ways.
for _ in sys.stdin:
    t = time.perf_counter(); value = top_eigenvalue()
    print(json.dumps({'ms': (time.perf_counter() - t) * 1e3, 'eigenvalue': value}), flush=True)
`

interface Way { way: string, backend: string, run: () => Promise<number> }

export async function benchSpectrum (): Promise<void> {
  const reading: Array<{ way: string, bytes: number, ms: number }> = []
  /** Each way's eigenvalue, from its last run. */
  const eigenvalues = new Map<string, number>()
  const ways: Way[] = []
  /** Runs f once, timed, in milliseconds. */
  const timed = async (f: () => Promise<unknown> | unknown): Promise<number> => {
    const start = performance.now()
    await f()
    return performance.now() - start
  }
  // Load shedding off: on a busy shared machine, the event loop's delay can pass
  // MAX_EVENT_LOOP_DELAY_MS while a 6 MB body arrives, and a 503 would end the run; an accepted
  // request costs the same either way (src/http/pressure.ts).
  const server = await startServer('dist/src/server.js', 'info', { MAX_EVENT_LOOP_DELAY_MS: '0' })
  let torch: Awaited<ReturnType<typeof startTorch>>
  try {
    torch = await startTorch(TORCH, [String(STEPS), String(WARMUP)], JSON.stringify({ sizes: SIZES, inputs, targets, w }))
    const started = torch
    if (started !== undefined) {
      // Its own clock: the time of the loop, not of the pipe.
      ways.push({ way: 'PyTorch', backend: started.torch.blas, run: async () => { const { ms, eigenvalue } = JSON.parse(await started.ask('run')) as { ms: number, eigenvalue: number }; eigenvalues.set('PyTorch', eigenvalue); return ms } })
    }
    for (const backend of availableBackends().filter((candidate) => candidate.name !== 'js')) {
      const mlp = new Mlp(spec, backend)
      const key = `in-process ${backend.name}`
      const run = (): void => { eigenvalues.set(key, hessianEigenvalues(mlp, w, { top: 1, which: 'largest', method: 'lanczos', steps: STEPS }).eigenvalues[0]) }
      for (let i = 0; i < WARMUP; i++) run()
      ways.push({ way: 'in-process', backend: backend.name, run: async () => await timed(run) })
    }
    // w as decimal JSON (5.7 MB), and as its doubles in base64 (3 MB; src/operations/parameter-vector.ts).
    const float64 = Buffer.from(Float64Array.from(w).buffer).toString('base64')
    const bodies = [
      { way: 'HTTP', body: JSON.stringify({ model: { kind: 'mlp', ...spec }, w, method: 'lanczos', steps: STEPS }) },
      { way: 'HTTP b64', body: JSON.stringify({ model: { kind: 'mlp', ...spec }, w: { float64 }, method: 'lanczos', steps: STEPS }) }
    ]
    // What a worker does with each body before computing: decode the UTF-8, parse, and (b64)
    // decode the doubles.
    for (const { way, body } of bodies) {
      const bytes = Buffer.from(body)
      const read = (): unknown => decodeParameterVectors(hessianSpectrumOperation as unknown as Operation, parseJsonBody(bytes.toString('utf8')))
      for (let i = 0; i < WARMUP; i++) read()
      reading.push({ way, bytes: bytes.length, ms: await median(read) })
    }
    const { kernels } = await (await fetch(`${server.url}/health`)).json() as { kernels: string }
    console.log(`server: ${server.url}, matrix kernels ${kernels}`)
    for (const { way, body } of bodies) {
      const request = async (): Promise<void> => {
        const response = await fetch(`${server.url}/hessian-spectrum`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        const answer = await response.json() as { eigenvalues: number[] }
        if (!response.ok) throw new Error(JSON.stringify(answer))
        eigenvalues.set(way, answer.eigenvalues[0])
      }
      for (let i = 0; i < WARMUP; i++) await request()
      ways.push({ way, backend: kernels, run: async () => await timed(request) })
    }
    // The rounds: one run of every way each, each round starting one way later.
    const times = ways.map(() => [] as number[])
    for (let round = 0; round < REPEATS; round++) {
      for (let k = 0; k < ways.length; k++) {
        const i = (k + round) % ways.length
        times[i].push(await ways[i].run())
      }
    }
    const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    const torchTimes = torch === undefined ? undefined : times[0]
    const rows = ways.map((way, i) => ({
      way: way.way,
      backend: way.backend,
      ms: middle(times[i]),
      ratio: torchTimes === undefined ? null : middle(times[i].map((ms, round) => ms / torchTimes[round])),
      eigenvalue: eigenvalues.get(way.way === 'in-process' ? `in-process ${way.backend}` : way.way)!
    }))
    const torchRow = torch === undefined ? undefined : rows.shift()!
    console.log(`\ntop Hessian eigenvalue of the assignment MLP ${SIZES.join(' → ')}, batch ${BATCH}, ${STEPS} Lanczos steps; ${REPEATS} interleaved rounds, medians in ms, ratios the median of each round's, one computing thread each`)
    console.log(torch === undefined ? 'PyTorch: not measured' : `PyTorch ${torch.torch.version} (${torch.python}), BLAS ${torch.torch.blas}: ${torchRow!.ms.toFixed(0)} ms, λ_max = ${torchRow!.eigenvalue}`)
    for (const row of rows) {
      const versus = row.ratio === null ? '' : `   ${row.ratio.toFixed(2)}× PyTorch`
      console.log(`  ${row.way.padEnd(11)} ${row.backend.padEnd(7)} ${row.ms.toFixed(0).padStart(6)} ms   λ_max = ${row.eigenvalue}${versus}`)
    }
    for (const { way, bytes, ms } of reading) console.log(`  reading the ${way} body (${(bytes / 1e6).toFixed(1)} MB) in a worker: ${ms.toFixed(1)} ms`)
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ torch: torch?.torch ?? null, rows: rows.map(({ way, backend, ms, ratio }) => ({ way, backend, ms, ratio })), torchMs: torchRow?.ms ?? null, reading }))
    }
  } finally {
    torch?.close()
    server.process.kill('SIGTERM')
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSpectrum()
