/**
 * `npx tsx bench/native.ts`: GFLOP/s of the MLP's three matrix products on each backend that
 * loads here (native when native/build/dlcheck_blas.node is built, WebAssembly, scalar
 * JavaScript), one thread, for the assignment's 512-wide layer at batch 64 and batch 1.
 * `npm run bench:hvp` times the whole gradient and Hessian-vector product; this shows where the
 * difference comes from, product by product. The operands live in each backend's workspace, as
 * in the MLP (the WebAssembly kernels can only address their own memory). Median of 20 samples,
 * each sample enough calls to last 2 ms.
 */
import { javascriptBackend, wasmBackend, type MatrixBackend } from '../src/math/backend.js'
import { loadNativeBackend } from '../src/math/native.js'
import { uniformStream } from './timing.js'

interface Form {
  label: string
  /** C (rows × columns) += op(A)·op(B) over depth */
  rows: number
  columns: number
  depth: number
  run: (backend: MatrixBackend, space: Float64Array) => void
}

/**
 * The products of src/math/mlp.ts: the forward C += A·Bᵀ (activations by weights), the
 * backward δ·W (A·B) and ∇W = δᵀ·a (Aᵀ·B), with A, B and C one after another in the workspace.
 */
function forms (batch: number, width: number): Form[] {
  const at = (offset: number, rows: number, stride: number) => (space: Float64Array) => ({ data: space, offset, rows, stride })
  return [
    {
      label: `C += A·Bᵀ  A ${batch}×${width}, B ${width}×${width} (forward)`,
      rows: batch,
      columns: width,
      depth: width,
      run: (backend, space) => backend.multiplyAddTransposed(at(0, batch, width)(space), at(batch * width, width, width)(space), at(batch * width + width * width, batch, width)(space), width, width)
    },
    {
      label: `C += A·B   A ${batch}×${width}, B ${width}×${width} (δ·W)`,
      rows: batch,
      columns: width,
      depth: width,
      run: (backend, space) => backend.multiplyAddRows({ data: space, offset: 0, rowStep: width, depthStep: 1 }, at(batch * width, width, width)(space), at(batch * width + width * width, batch, width)(space), width, width)
    },
    {
      label: `C += Aᵀ·B  A ${batch}×${width}, B ${batch}×${width} (∇W = δᵀa)`,
      rows: width,
      columns: width,
      depth: batch,
      run: (backend, space) => backend.multiplyAddRows({ data: space, offset: 0, rowStep: 1, depthStep: width }, at(batch * width, batch, width)(space), at(2 * batch * width, width, width)(space), width, batch)
    }
  ]
}

/** Median milliseconds per call over 20 samples, each of enough calls to last 2 ms. */
function perCall (f: () => void): number {
  let calls = 1
  for (;;) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) f()
    if (performance.now() - start >= 2) break
    calls *= 2
  }
  const samples: number[] = []
  for (let s = 0; s < 20; s++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) f()
    samples.push((performance.now() - start) / calls)
  }
  samples.sort((a, b) => a - b)
  return (samples[9] + samples[10]) / 2
}

const native = loadNativeBackend()
console.log(native.message)
const backends = [native.backend, wasmBackend(), javascriptBackend].filter((backend) => backend !== undefined)
const width = 512
const uniform = uniformStream(7)
console.log(`\nGFLOP/s, one thread, median of 20 (${backends.map((backend) => backend.name).join(', ')})`)
console.log(`  ${'product'.padEnd(50)}${backends.map((backend) => backend.name.padStart(9)).join('')}`)
for (const batch of [64, 1]) {
  for (const form of forms(batch, width)) {
    const length = 2 * batch * width + width * width
    const rates = backends.map((backend) => {
      const space = backend.workspace(length)
      for (let i = 0; i < length; i++) space[i] = uniform() - 0.5
      return 2 * form.rows * form.columns * form.depth / perCall(() => form.run(backend, space)) / 1e6
    })
    console.log(`  ${form.label.padEnd(50)}${rates.map((rate) => rate.toFixed(2).padStart(9)).join('')}`)
  }
}
