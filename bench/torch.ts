/**
 * PyTorch in the same run as a bench, for its ratios: a Python script under BENCH_PYTHON
 * (default python3), one thread (torch.set_num_threads and the BLAS variables), whose first
 * line of output is PyTorch's version and BLAS. PyTorch from pip links MKL; Debian's 1.13 may
 * link the reference BLAS, which is no speed anchor: compare with the one users run.
 */
import { spawnSync } from 'node:child_process'

/**
 * What every script starts with: the imports, one thread, the version line runTorch reads, and
 * the assignment MLP's loss (ReLU between nn.Linear layers, cross-entropy on class indices).
 */
export const TORCH_PRELUDE = `
import json, re, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
blas = re.search(r'BLAS_INFO=([^,\\s]+)', torch.__config__.show())
print(json.dumps({'version': torch.__version__, 'blas': blas.group(1) if blas else 'unknown'}))
def mlp_loss(layers, X, T):
    a = X
    for i, layer in enumerate(layers):
        a = layer(a)
        if i < len(layers) - 1: a = F.relu(a)
    return F.cross_entropy(a, T)
`

export interface TorchRun {
  python: string
  /** PyTorch's version and BLAS, when the script ran */
  torch?: { version: string, blas: string }
  /** the script's lines after the version line */
  lines: string[]
}

/**
 * Runs TORCH_PRELUDE + script with `args` (and `input` on stdin); where the Python has no
 * PyTorch, or the script fails, says so on the console and returns no `torch`.
 */
export function runTorch (script: string, args: readonly string[], input?: string): TorchRun {
  const python = process.env.BENCH_PYTHON ?? 'python3'
  const run = spawnSync(python, ['-c', TORCH_PRELUDE + script, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }
  })
  if (run.status !== 0) {
    console.log(`(PyTorch skipped: ${python}: ${(run.stderr ?? String(run.error)).trim().split('\n').at(-1)}; set BENCH_PYTHON to a Python with torch)`)
    return { python, lines: [] }
  }
  const [header, ...lines] = run.stdout.trim().split('\n')
  return { python, torch: JSON.parse(header) as { version: string, blas: string }, lines }
}
