/**
 * Matrix kernels behind one interface: the MLP (src/math/mlp.ts) asks a backend for a workspace
 * and runs its products there. Backends:
 * - `native`: OpenBLAS's dgemm through a Node-API addon (src/math/native.ts), when it has been
 *   built here (`npm run build:native`; the Docker image does);
 * - `wasm`: WebAssembly SIMD (wasm/kernels.ts, committed as wasm/kernels.wasm), which every
 *   Node the service supports runs;
 * - `js`: the scalar kernels of gemm.ts, the reference the others are checked against.
 */
import { existsSync, readFileSync } from 'node:fs'
import { multiplyAddRows, multiplyAddTransposed, type MatrixView, type StridedView } from './gemm.js'
import { loadNativeBackend, type NativeLoad } from './native.js'
import { scalarVectors, type VectorKernels } from './vectors.js'

export const BACKEND_NAMES = ['native', 'wasm', 'js'] as const
export type BackendName = typeof BACKEND_NAMES[number]

export interface MatrixBackend {
  readonly name: BackendName
  /**
   * A block of `length` doubles the kernels can address, contents unspecified. It replaces the
   * previous block: views of the previous one may be emptied (a WebAssembly memory that grows
   * detaches its old buffer), so take views after asking.
   */
  workspace: (length: number) => Float64Array
  /** C += A·Bᵀ (gemm.ts) */
  multiplyAddTransposed: (a: MatrixView, b: MatrixView, c: MatrixView, columns: number, depth: number) => void
  /** C += op(A)·B (gemm.ts) */
  multiplyAddRows: (a: StridedView, b: MatrixView, c: MatrixView, columns: number, depth: number) => void
  /** whether the matrix kernels can take views of x (WebAssembly's only those of its own memory) */
  addressable: (x: Float64Array) => boolean
  /** dot, axpy and scale (vectors.ts); on any arrays, at their fastest on the workspace's */
  readonly vectors: VectorKernels
  /**
   * The same kernels (or, where they cannot be had, the scalar ones) with a workspace of their
   * own, to ask for once: for data that must outlive other computations on the thread (the
   * state an MLP keeps at a fixed point), freed with the fork.
   */
  fork: () => MatrixBackend
  /**
   * Gives back a workspace over WORKSPACE_KEEP_BYTES (the MLP calls it after each evaluation):
   * one large request must not leave every thread holding hundreds of megabytes.
   */
  release: () => void
}

/** The workspace a thread keeps between computations: 64 MiB (the assignment's MLP at batch 64 needs 13 MB). */
export const WORKSPACE_KEEP_BYTES = 64 * 1024 * 1024

export const javascriptBackend: MatrixBackend = {
  name: 'js',
  workspace: (length) => new Float64Array(length),
  multiplyAddTransposed,
  multiplyAddRows,
  addressable: () => true,
  vectors: scalarVectors,
  fork: () => javascriptBackend,
  release: () => {}
}

interface KernelExports {
  memory: WebAssembly.Memory
  multiplyAddTransposed: (a: number, aStride: number, b: number, bStride: number, c: number, cStride: number, rows: number, columns: number, depth: number) => void
  multiplyAddRows: (a: number, rowStep: number, depthStep: number, b: number, bStride: number, c: number, cStride: number, rows: number, columns: number, depth: number) => void
  dot: (x: number, y: number, n: number) => number
  axpy: (c: number, x: number, y: number, n: number) => void
  scale: (x: number, c: number, n: number) => void
}

const PAGE_BYTES = 65536

/** wasm/kernels.wasm, from src/math (tsx) or from a compiled src/math (dist/ or build/). */
export function kernelsFile (places = ['../../wasm/kernels.wasm', '../../../wasm/kernels.wasm'].map((path) => new URL(path, import.meta.url))): Uint8Array {
  const found = places.find((place) => existsSync(place))
  if (found === undefined) throw new Error(`wasm/kernels.wasm not found (looked at ${places.map((place) => place.pathname).join(', ')}); run npm run build:wasm`)
  return readFileSync(found)
}

/**
 * The WebAssembly backend: one instance, and so one memory, per thread (each worker thread
 * imports this module afresh). The workspace is the start of that memory, grown when a larger
 * one is asked for; a WebAssembly memory cannot shrink, so `release` replaces an instance whose
 * memory grew past WORKSPACE_KEEP_BYTES by a fresh one.
 * @param bytes - the module (default wasm/kernels.wasm)
 */
export function wasmBackend (bytes: Uint8Array = kernelsFile()): MatrixBackend {
  return instanceBackend(new WebAssembly.Module(bytes))
}

function instanceBackend (module: WebAssembly.Module): MatrixBackend {
  const instantiate = (): KernelExports => new WebAssembly.Instance(module, {}).exports as unknown as KernelExports
  let kernels = instantiate()
  /** The byte address of a view's element [0][0], which must lie in this module's memory. */
  const address = (data: Float64Array, offset: number): number => {
    if (data.buffer !== kernels.memory.buffer) throw new Error('a wasm kernel was given an array outside its memory: take operands from workspace()')
    return data.byteOffset + offset * 8
  }
  // Arrays elsewhere (a caller's own) go to the scalar loops: copying them in would cost more.
  const inside = (x: Float64Array): boolean => x.buffer === kernels.memory.buffer
  const vectors: VectorKernels = {
    dot: (x, y) => inside(x) && inside(y) ? kernels.dot(x.byteOffset, y.byteOffset, x.length) : scalarVectors.dot(x, y),
    axpy: (c, x, y) => inside(x) && inside(y) ? kernels.axpy(c, x.byteOffset, y.byteOffset, y.length) : scalarVectors.axpy(c, x, y),
    scale: (x, c) => inside(x) ? kernels.scale(x.byteOffset, c, x.length) : scalarVectors.scale(x, c)
  }
  return {
    name: 'wasm',
    workspace (length) {
      const { memory } = kernels
      const missing = length * 8 - memory.buffer.byteLength
      if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES))
      return new Float64Array(memory.buffer, 0, length)
    },
    release () {
      if (kernels.memory.buffer.byteLength > WORKSPACE_KEEP_BYTES) kernels = instantiate()
    },
    multiplyAddTransposed (a, b, c, columns, depth) {
      kernels.multiplyAddTransposed(address(a.data, a.offset), a.stride, address(b.data, b.offset), b.stride, address(c.data, c.offset), c.stride, c.rows, columns, depth)
    },
    multiplyAddRows (a, b, c, columns, depth) {
      kernels.multiplyAddRows(address(a.data, a.offset), a.rowStep, a.depthStep, address(b.data, b.offset), b.stride, address(c.data, c.offset), c.stride, c.rows, columns, depth)
    },
    addressable: inside,
    vectors,
    // A new instance of the compiled module; where it cannot be had (no address space left
    // for another memory), the scalar kernels.
    fork: () => privateBackend(() => instanceBackend(module))
  }
}

let chosen: MatrixBackend | undefined
let kernelModule: WebAssembly.Module | undefined

/**
 * Kernels with a workspace of their own, to ask for once, for data that must outlive the
 * thread's MLP products (a Lanczos basis), whose backend reuses its workspace on every product:
 * a new WebAssembly instance of the module compiled once per thread (its own memory, freed with
 * it), or the scalar kernels where WebAssembly does not load.
 * @param load - the WebAssembly loader (a test gives a failing one)
 */
export function privateBackend (load: () => MatrixBackend = () => instanceBackend(kernelModule ??= new WebAssembly.Module(kernelsFile()))): MatrixBackend {
  try {
    return load()
  } catch {
    return javascriptBackend
  }
}

/**
 * This thread's backend: the one set by useMatrixBackend, else MATRIX_BACKEND's default, `auto`
 * (so a thread that never chose computes as the service's threads do by default).
 */
export function matrixBackend (): MatrixBackend {
  chosen ??= selectMatrixBackend('auto').backend
  return chosen
}

/** Choose this thread's backend (the settings at start, the bench, the tests). */
export function useMatrixBackend (backend: MatrixBackend): void {
  chosen = backend
}

/** Every backend this thread can run, the fastest first (for the bench). */
export function availableBackends (loadNative: () => NativeLoad = loadNativeBackend): MatrixBackend[] {
  const native = loadNative().backend
  return [...(native === undefined ? [] : [native]), wasmBackend(), javascriptBackend]
}

export const BACKEND_PREFERENCES = ['auto', 'native', 'wasm', 'js'] as const
export type BackendPreference = typeof BACKEND_PREFERENCES[number]

/**
 * The backend for a preference (MATRIX_BACKEND): `auto` is the fastest that loads here, native
 * then wasm. One that cannot load is replaced by the next, never an error; `message` says which
 * runs and why, at level `warn` when it is not the one asked for (an absent native backend is
 * only `info` under `auto`: it is optional).
 * @param loaders - the native and WebAssembly loaders (a test gives failing ones)
 */
export function selectMatrixBackend (
  preference: BackendPreference,
  loaders: { native: () => NativeLoad, wasm: () => MatrixBackend } = { native: loadNativeBackend, wasm: wasmBackend }
): { backend: MatrixBackend, level: 'info' | 'warn', message: string } {
  const asked = `(MATRIX_BACKEND=${preference})`
  if (preference === 'js') return { backend: javascriptBackend, level: 'info', message: `matrix kernels: js ${asked}` }
  let level: 'info' | 'warn' = 'info'
  let why = ''
  if (preference !== 'wasm') {
    const native = loaders.native()
    if (native.backend !== undefined) return { backend: native.backend, level, message: `matrix kernels: native ${asked}; ${native.message}` }
    if (preference === 'native') level = 'warn'
    why = `; ${native.message}`
  }
  try {
    return { backend: loaders.wasm(), level, message: `matrix kernels: wasm ${asked}${why}` }
  } catch (error) {
    return { backend: javascriptBackend, level: 'warn', message: `matrix kernels: js, because the WebAssembly kernels did not load (${(error as Error).message}) ${asked}${why}` }
  }
}
