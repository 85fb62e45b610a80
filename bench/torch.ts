/**
 * PyTorch in the same run as a bench, for its ratios: a Python script under BENCH_PYTHON
 * (default python3), one thread (torch.set_num_threads and the BLAS variables), whose first
 * line of output is PyTorch's version and BLAS. PyTorch from pip links MKL; Debian's 1.13 may
 * link the reference BLAS, which is no speed anchor: compare with the one users run.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * What every script starts with: the imports, one thread, the version line runTorch and startTorch read, and
 * the assignment MLP's loss (ReLU between nn.Linear layers, cross-entropy on class indices).
 */
export const TORCH_PRELUDE = `
import json, re, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
blas = re.search(r'BLAS_INFO=([^,\\s]+)', torch.__config__.show())
print(json.dumps({'version': torch.__version__, 'blas': blas.group(1) if blas else 'unknown'}), flush=True)
def mlp_loss(layers, X, T):
    a = X
    for i, layer in enumerate(layers):
        a = layer(a)
        if i < len(layers) - 1: a = F.relu(a)
    return F.cross_entropy(a, T)
`

/** PyTorch and its BLAS on one thread, as every dlcheck computation runs. */
const ONE_THREAD = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }

export interface TorchRun {
  python: string
  /** PyTorch's version and BLAS, when the script ran */
  torch?: { version: string, blas: string }
  /** the script's lines after the version line */
  lines: string[]
}

/**
 * Runs TORCH_PRELUDE + script with `args` (and `input` on stdin) to its end; where the Python
 * has no PyTorch, or the script fails, says so on the console and returns no `torch`.
 */
export function runTorch (script: string, args: readonly string[], input?: string): TorchRun {
  const python = process.env.BENCH_PYTHON ?? 'python3'
  const run = spawnSync(python, ['-c', TORCH_PRELUDE + script, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26, env: ONE_THREAD })
  if (run.status !== 0) {
    console.log(`(PyTorch skipped: ${python}: ${(run.stderr ?? String(run.error)).trim().split('\n').at(-1)}; set BENCH_PYTHON to a Python with torch)`)
    return { python, lines: [] }
  }
  const [header, ...lines] = run.stdout.trim().split('\n')
  return { python, torch: JSON.parse(header) as { version: string, blas: string }, lines }
}

/** A PyTorch process kept running, which answers one line per request (startTorch). */
export interface TorchServer {
  python: string
  torch: { version: string, blas: string }
  /** Writes `line` to the script's stdin; resolves with the next line it prints. */
  ask: (line: string) => Promise<string>
  close: () => void
}

/**
 * Starts TORCH_PRELUDE + script and keeps it running, so that its runs can be interleaved
 * with the other ways a bench times: on a shared machine a slow stretch then hits every way
 * alike. `input` is written as the first line of stdin (the script reads it with
 * sys.stdin.readline()), then each `ask` writes one line and waits for one line back. Where
 * the Python has no PyTorch, or the script fails before its version line, says so on the
 * console and resolves undefined.
 */
export async function startTorch (script: string, args: readonly string[], input: string): Promise<TorchServer | undefined> {
  const python = process.env.BENCH_PYTHON ?? 'python3'
  const child = spawn(python, ['-c', TORCH_PRELUDE + script, ...args], { env: ONE_THREAD, stdio: ['pipe', 'pipe', 'pipe'] })
  // Why it stopped: the last line of its stderr (a Python without torch), or the spawn's error.
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.on('error', (error) => { stderr += `\n${error.message}` })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next()
    if (done === true) throw new Error(`${python} exited: ${stderr.trim().split('\n').at(-1) ?? ''}`)
    return value as string
  }
  child.stdin.on('error', () => {})
  child.stdin.write(`${input}\n`)
  try {
    const torch = JSON.parse(await next()) as { version: string, blas: string }
    return {
      python,
      torch,
      ask: async (line) => { child.stdin.write(`${line}\n`); return await next() },
      close: () => { child.stdin.end(); child.kill() }
    }
  } catch (error) {
    console.log(`(PyTorch skipped: ${python}: ${(error as Error).message}; set BENCH_PYTHON to a Python with torch)`)
    child.kill()
    return undefined
  }
}
