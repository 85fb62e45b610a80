/**
 * The native backend (src/math/native.ts). Every decision of the loader and every layout of the
 * products is checked with fakes (a dgemm written as a plain loop that refuses what the addon
 * refuses, probes that fail or die, a Worker, a user's OPENBLAS_CORETYPE, another architecture),
 * so these tests cover the module on any machine. When native/build/dlcheck_blas.node is built
 * (npm run build:native), the same products run on OpenBLAS, the MLP is compared with the
 * scalar backend's, and Workers load the addon; otherwise those tests are skipped.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { Worker } from 'node:worker_threads'
import t, { type Test } from 'tap'
import { javascriptBackend, WORKSPACE_KEEP_BYTES, type MatrixBackend } from '../../src/math/backend.js'
import { multiplyAddTransposed, type MatrixView, type StridedView } from '../../src/math/gemm.js'
import { Mlp } from '../../src/math/mlp.js'
import { wave, waveMlp } from '../helpers/mlp.js'
import { scalarVectors } from '../../src/math/vectors.js'
import { ADDON_PATHS, loadNativeBackend, nativeBackend, openblasCoreType, parseCpuinfo, probeInChildProcess, type ChildOutcome, type NativeBlas, type NativeLoadOptions, type ProbeResult } from '../../src/math/native.js'

const TOLERANCE = 1e-13
const BUILT = ADDON_PATHS.find((path) => existsSync(path))
const NOT_BUILT = BUILT === undefined && 'native/build/dlcheck_blas.node is not built here: run npm run build:native (needs gcc and libopenblas-dev), then these tests run on OpenBLAS'

/** A deterministic stream in [0, 1) (a 32-bit linear congruential generator). */
function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const filled = (length: number, next: () => number): Float64Array => Float64Array.from({ length }, () => 2 * next() - 1)

interface GemmCall { transA: boolean, transB: boolean, m: number, n: number, k: number, lda: number, ldb: number, ldc: number }

/**
 * dgemm as a plain loop, refusing what native/dlcheck_blas.c refuses (a leading dimension
 * below max(1, row length), a matrix outside its array, C sharing memory with A or B), and
 * recording its calls.
 */
function fakeBlas (calls: GemmCall[] = [], info: ReturnType<NativeBlas['info']> = { library: 'OpenBLAS', version: '0.3.21', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH', coreType: 'Haswell', threads: 1 }): NativeBlas {
  const extent = (name: string, data: Float64Array, offset: number, rows: number, cols: number, ld: number): [number, number] => {
    if (ld < Math.max(1, cols)) throw new RangeError(`leading dimension of ${name} (${ld}) is less than max(1, ${cols})`)
    const end = offset + (rows - 1) * ld + cols
    if (end > data.length) throw new RangeError(`${name} needs ${end} elements but has ${data.length}`)
    return [data.byteOffset + offset * 8, data.byteOffset + end * 8]
  }
  return {
    gemm (transA, transB, m, n, k, A, offsetA, lda, B, offsetB, ldb, C, offsetC, ldc) {
      calls.push({ transA, transB, m, n, k, lda, ldb, ldc })
      const a = extent('A', A, offsetA, transA ? k : m, transA ? m : k, lda)
      const b = extent('B', B, offsetB, transB ? n : k, transB ? k : n, ldb)
      const c = extent('C', C, offsetC, m, n, ldc)
      for (const [data, [start, end]] of [[A, a], [B, b]] as const) {
        if (data.buffer === C.buffer && start < c[1] && c[0] < end) throw new RangeError('C must not share memory with A or B')
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0
          for (let p = 0; p < k; p++) s += A[offsetA + (transA ? p * lda + i : i * lda + p)] * B[offsetB + (transB ? j * ldb + p : p * ldb + j)]
          C[offsetC + i * ldc + j] += s
        }
      }
    },
    info: () => info
  }
}

/** One product as the MLP asks for it: C += A·Bᵀ ('transposed') or C += op(A)·B ('rows'). */
type Product =
  | { kind: 'transposed', a: MatrixView, b: MatrixView, c: MatrixView, columns: number, depth: number }
  | { kind: 'rows', a: StridedView, b: MatrixView, c: MatrixView, columns: number, depth: number }

function apply (backend: Pick<MatrixBackend, 'multiplyAddRows' | 'multiplyAddTransposed'>, product: Product): void {
  if (product.kind === 'transposed') backend.multiplyAddTransposed(product.a, product.b, product.c, product.columns, product.depth)
  else backend.multiplyAddRows(product.a, product.b, product.c, product.columns, product.depth)
}

/** The product with every buffer copied (views of one buffer stay views of one buffer). */
function copied (product: Product): Product {
  const copies = new Map<ArrayBufferLike, ArrayBufferLike>()
  const copy = (data: Float64Array): Float64Array => {
    if (!copies.has(data.buffer)) copies.set(data.buffer, data.buffer.slice(0))
    return new Float64Array(copies.get(data.buffer)!, data.byteOffset, data.length)
  }
  return { ...product, a: { ...product.a, data: copy(product.a.data) }, b: { ...product.b, data: copy(product.b.data) }, c: { ...product.c, data: copy(product.c.data) } } as Product
}

/**
 * Runs the product on a backend and compares C with a naive loop: the largest error in C's
 * window relative to |C| + Σ|a·b| (summation orders differ), or Infinity when an element
 * outside the window changed. The product's arrays are left as they were.
 */
function error (backend: Pick<MatrixBackend, 'multiplyAddRows' | 'multiplyAddTransposed'>, product: Product): { error: number, result: Float64Array } {
  const { kind, a, b, c, columns, depth } = copied(product)
  const before = Float64Array.from(c.data)
  const at = (r: number, k: number): number => kind === 'transposed' ? a.data[a.offset + r * (a as MatrixView).stride + k] : a.data[a.offset + r * (a as StridedView).rowStep + k * (a as StridedView).depthStep]
  const bt = (k: number, j: number): number => kind === 'transposed' ? b.data[b.offset + j * b.stride + k] : b.data[b.offset + k * b.stride + j]
  const expected = Float64Array.from(before)
  const scale = Float64Array.from(before, Math.abs)
  const window = new Set<number>()
  for (let r = 0; r < c.rows; r++) {
    for (let j = 0; j < columns; j++) {
      const index = c.offset + r * c.stride + j
      window.add(index)
      for (let k = 0; k < depth; k++) {
        expected[index] += at(r, k) * bt(k, j)
        scale[index] += Math.abs(at(r, k) * bt(k, j))
      }
    }
  }
  apply(backend, { kind, a, b, c, columns, depth } as Product)
  let worst = 0
  for (let i = 0; i < before.length; i++) {
    if (!window.has(i)) {
      if (!Object.is(c.data[i], before[i])) return { error: Infinity, result: c.data }
    } else if (scale[i] > 0) {
      worst = Math.max(worst, Math.abs(c.data[i] - expected[i]) / scale[i])
    } else if (c.data[i] !== expected[i]) {
      return { error: Infinity, result: c.data }
    }
  }
  return { error: worst, result: c.data }
}

/** A stored matrix of `rows` rows of `width`, `ld` apart, at `offset`, with `tail` elements after. */
function stored (rows: number, width: number, ld: number, offset: number, tail: number, next: () => number): Float64Array {
  return filled(offset + (rows - 1) * ld + width + tail, next)
}

/**
 * Every shape with 1 to 9 rows, columns and depth (around the blocking of dgemm's and the
 * scalar kernels' tiles), for the three products, with offsets, leading dimensions wider than
 * the rows and arrays longer than needed.
 */
function * shapes (seed: number): Generator<[string, Product]> {
  const next = random(seed)
  const pad = (): number => Math.floor(next() * 3)
  for (let rows = 1; rows <= 9; rows++) {
    for (let columns = 1; columns <= 9; columns++) {
      for (let depth = 1; depth <= 9; depth++) {
        const ldc = columns + pad()
        const oc = pad()
        const c = (): MatrixView => ({ data: stored(rows, columns, ldc, oc, pad(), next), offset: oc, rows, stride: ldc })
        const [lda, ldb, oa, ob] = [depth + pad(), depth + pad(), pad(), pad()]
        yield ['A·Bᵀ', { kind: 'transposed', a: { data: stored(rows, depth, lda, oa, pad(), next), offset: oa, rows, stride: lda }, b: { data: stored(columns, depth, ldb, ob, pad(), next), offset: ob, rows: columns, stride: ldb }, c: c(), columns, depth }]
        const ldbRows = columns + pad()
        const b = (): MatrixView => ({ data: stored(depth, columns, ldbRows, ob, pad(), next), offset: ob, rows: depth, stride: ldbRows })
        yield ['A·B', { kind: 'rows', a: { data: stored(rows, depth, lda, oa, pad(), next), offset: oa, rowStep: lda, depthStep: 1 }, b: b(), c: c(), columns, depth }]
        const ldt = rows + pad()
        yield ['Aᵀ·B', { kind: 'rows', a: { data: stored(depth, rows, ldt, oa, pad(), next), offset: oa, rowStep: 1, depthStep: ldt }, b: b(), c: c(), columns, depth }]
      }
    }
  }
}

/** The worst error of each product over every shape. */
function sweep (backend: MatrixBackend): Map<string, number> {
  const worst = new Map<string, number>()
  for (const [name, product] of shapes(20240607)) worst.set(name, Math.max(worst.get(name) ?? 0, error(backend, product).error))
  return worst
}

const matrix = (data: Float64Array, rows: number, stride: number, offset = 0): MatrixView => ({ data, offset, rows, stride })
const strided = (data: Float64Array, rowStep: number, depthStep: number, offset = 0): StridedView => ({ data, offset, rowStep, depthStep })

/**
 * Layouts at the edges: a step that a dimension of 1 never uses (any leading dimension fits
 * then), views BLAS cannot express (overlapping rows, A with neither step 1, C sharing an
 * array with an operand), and empty products. `call` is the dgemm call expected, [transA, lda,
 * ldb, ldc], or 'scalar' for the kernels of gemm.ts, or 'none'.
 */
function edgeCases (): Array<{ name: string, product: Product, call: [boolean, number, number, number] | 'scalar' | 'none' }> {
  const next = random(7)
  const f = (length: number): Float64Array => filled(length, next)
  const rows = (name: string, a: StridedView, m: number, depth: number, columns: number, call: [boolean, number, number, number] | 'scalar' | 'none', b = matrix(f(depth * columns + 8), depth, columns), c = matrix(f(m * columns + 8), m, columns)) =>
    ({ name, product: { kind: 'rows', a, b, c, columns, depth } as Product, call })
  const transposed = (name: string, a: MatrixView, b: MatrixView, c: MatrixView, columns: number, depth: number, call: [boolean, number, number, number] | 'scalar' | 'none') =>
    ({ name, product: { kind: 'transposed', a, b, c, columns, depth } as Product, call })
  const interleaved = f(3 * 8)
  const shared = f(24)
  const bc = f(6 * 4)
  return [
    rows('A·B, one row, rowStep 0', strided(f(4), 0, 1), 1, 4, 3, [false, 4, 3, 3]),
    rows('one row of Aᵀ (rowStep 1, depthStep 6)', strided(f(24), 1, 6), 1, 4, 3, [true, 6, 3, 3]),
    rows('one row, steps (3, 5)', strided(f(24), 3, 5), 1, 4, 3, [true, 5, 3, 3]),
    rows('depth 1, rowStep 1 (Aᵀ of a batch of one)', strided(f(5), 1, 5), 5, 1, 3, [false, 1, 3, 3]),
    rows('depth 1, rowStep 4, depthStep 99', strided(f(24), 4, 99), 5, 1, 3, [false, 4, 3, 3]),
    rows('depth 1, rowStep 0 (one value for every row)', strided(f(1), 0, 4), 3, 1, 2, 'scalar'),
    rows('one row and depth 1, steps (0, 0)', strided(f(1), 0, 0), 1, 1, 3, [false, 1, 3, 3]),
    rows('steps (2, 3)', strided(f(16), 2, 3), 3, 3, 2, 'scalar'),
    rows('steps (1, 1): rows that overlap', strided(f(8), 1, 1), 3, 3, 2, 'scalar'),
    rows('A·B with rowStep 2 < depth 4', strided(f(12), 2, 1), 3, 4, 2, 'scalar'),
    rows('Aᵀ·B with depthStep 2 < rows 4', strided(f(12), 1, 2), 4, 3, 2, 'scalar'),
    rows('B with stride 2 < columns 4', strided(f(9), 3, 1), 3, 3, 4, 'scalar', matrix(f(12), 3, 2)),
    rows('B of one row, stride 0', strided(f(3), 1, 3), 3, 1, 4, [false, 1, 4, 4], matrix(f(4), 1, 0)),
    rows('C of one row, stride 0', strided(f(3), 3, 1), 1, 3, 4, [false, 3, 4, 4], undefined, matrix(f(4), 1, 0)),
    rows('C with stride 2 < columns 3 (rows that overlap)', strided(f(6), 2, 1), 3, 2, 3, 'scalar', undefined, matrix(f(12), 3, 2)),
    rows('C interleaved with B in one array', strided(f(6), 2, 1), 3, 2, 3, 'scalar', matrix(bc, 2, 6), matrix(bc, 3, 6, 3)),
    rows('empty: no rows', strided(f(4), 2, 1), 0, 2, 3, 'none'),
    rows('empty: no columns', strided(f(4), 2, 1), 2, 2, 0, 'none'),
    rows('empty: depth 0', strided(f(4), 2, 1), 2, 0, 3, 'none'),
    transposed('A·Bᵀ, one row of A, stride 0', matrix(f(4), 1, 0), matrix(f(12), 3, 4), matrix(f(3), 1, 3), 3, 4, [false, 4, 4, 3]),
    transposed('A with stride 1 < depth 4 (rows that overlap)', matrix(f(8), 3, 1), matrix(f(12), 3, 4), matrix(f(9), 3, 3), 3, 4, 'scalar'),
    transposed('B of one row, stride 0', matrix(f(12), 3, 4), matrix(f(4), 1, 0), matrix(f(3), 3, 1), 1, 4, [false, 4, 4, 1]),
    transposed('B with stride 3 < depth 4', matrix(f(12), 3, 4), matrix(f(12), 3, 3), matrix(f(9), 3, 3), 3, 4, 'scalar'),
    transposed('C with stride 1 < columns 3', matrix(f(12), 3, 4), matrix(f(12), 3, 4), matrix(f(5), 3, 1), 3, 4, 'scalar'),
    transposed('C interleaved with A in one array', matrix(interleaved, 3, 8), matrix(f(16), 4, 4), matrix(interleaved, 3, 8, 4), 4, 4, 'scalar'),
    transposed('C beside A in one buffer', matrix(shared.subarray(0, 12), 3, 4), matrix(f(12), 3, 4), matrix(shared.subarray(12, 21), 3, 3), 3, 4, [false, 4, 4, 3]),
    transposed('C beside A in one array', matrix(shared, 3, 4), matrix(f(12), 3, 4), matrix(shared, 3, 3, 12), 3, 4, [false, 4, 4, 3]),
    transposed('empty: no rows', matrix(f(4), 0, 4), matrix(f(12), 3, 4), matrix(f(3), 0, 3), 3, 4, 'none'),
    transposed('empty: no columns', matrix(f(4), 1, 4), matrix(f(0), 0, 4), matrix(f(3), 1, 3), 0, 4, 'none'),
    transposed('empty: depth 0', matrix(f(4), 1, 0), matrix(f(12), 3, 0), matrix(f(3), 1, 3), 3, 0, 'none')
  ]
}

/** The layouts of edgeCases on a backend: correct results, and the scalar kernels where BLAS cannot go. */
function checkEdges (t: Test, backend: MatrixBackend, calls?: GemmCall[]): void {
  for (const { name, product, call } of edgeCases()) {
    if (calls !== undefined) calls.length = 0
    const { error: worst, result } = error(backend, product)
    t.ok(worst <= TOLERANCE, `${name}: error ${worst}`)
    if (call === 'scalar') {
      const scalar = copied(product)
      apply(javascriptBackend, scalar)
      t.strictSame(Array.from(result), Array.from(scalar.c.data), `${name}: the scalar kernels' result, bit for bit`)
    }
    if (calls === undefined) continue
    if (call === 'scalar' || call === 'none') {
      t.equal(calls.length, 0, `${name}: no dgemm`)
    } else {
      const [transA, lda, ldb, ldc] = call
      t.match(calls, [{ transA, transB: product.kind === 'transposed', lda, ldb, ldc }], `${name}: one dgemm, transA ${transA}, lda ${lda}, ldb ${ldb}, ldc ${ldc}`)
    }
  }
}

t.test('openblasCoreType: the fastest table the flags allow, never Cooperlake', async (t) => {
  const base = 'fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt'
  const haswell = `${base} avx f16c avx2 fma bmi1 bmi2 abm movbe`
  const skylakeX = `${haswell} avx512f avx512cd avx512bw avx512dq avx512vl`
  for (const [cpu, flags, vendor, expected] of [
    ['Skylake-SP', skylakeX, 'GenuineIntel', 'SkylakeX'],
    ['Zen 4', `${skylakeX} avx512_bf16`, 'AuthenticAMD', 'SkylakeX'],
    ['Knights Landing (AVX-512F without BW/DQ/VL)', `${haswell} avx512f avx512cd avx512er avx512pf`, 'GenuineIntel', 'Haswell'],
    ['a VM hiding BMI2 from an AVX-512 CPU', skylakeX.replace(' bmi2', ''), 'GenuineIntel', 'Haswell'],
    ['Haswell', haswell, 'GenuineIntel', 'Haswell'],
    ['Zen 2', haswell, 'AuthenticAMD', 'Zen'],
    ['Hygon Dhyana', haswell, 'HygonGenuine', 'Zen'],
    ['AVX2 without FMA', haswell.replace(' fma', ''), 'CentaurHauls', 'Sandybridge'],
    ['Ivy Bridge', `${base} avx f16c`, 'GenuineIntel', 'Sandybridge'],
    ['Westmere', base, 'GenuineIntel', 'Prescott']
  ]) t.equal(openblasCoreType(new Set(flags.split(' ')), vendor), expected, cpu)
})

t.test('parseCpuinfo reads the first processor, and nothing from other architectures', async (t) => {
  const text = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu  avx avx2 \nprocessor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: sse\n'
  t.strictSame(parseCpuinfo(text), { vendor: 'AuthenticAMD', flags: new Set(['fpu', 'avx', 'avx2']) })
  t.equal(parseCpuinfo('processor : 0\nFeatures : fp asimd\nCPU implementer : 0x41\n'), undefined, 'arm64')
  t.equal(parseCpuinfo('vendor_id : GenuineIntel\n'), undefined, 'no flags')
})

t.test('the products on a fake dgemm: every shape, and the layouts at the edges', async (t) => {
  const calls: GemmCall[] = []
  const backend = nativeBackend(fakeBlas(calls))
  t.equal(backend.name, 'native')
  for (const [name, worst] of sweep(backend)) t.ok(worst <= TOLERANCE, `${name}: largest relative error ${worst} over 729 shapes`)
  t.equal(calls.length, 3 * 729, 'each shape one dgemm call')
  checkEdges(t, backend, calls)
})

t.test('a refused call is the addon\'s error: a view past the end of its array', async (t) => {
  const backend = nativeBackend(fakeBlas())
  t.throws(() => backend.multiplyAddTransposed(matrix(new Float64Array(7), 2, 4), matrix(new Float64Array(8), 2, 4), matrix(new Float64Array(4), 2, 2), 2, 4), RangeError)
})

t.test('one workspace per backend, replaced only by a larger one', async (t) => {
  const backend = nativeBackend(fakeBlas())
  t.ok(backend.addressable(new Float64Array(1)), 'the addon takes any array')
  t.equal(backend.vectors, scalarVectors)
  const first = backend.workspace(1000)
  t.equal(first.length, 1000)
  const smaller = backend.workspace(10)
  t.equal(smaller.length, 10)
  t.equal(smaller.buffer, first.buffer, 'a smaller request reuses the block')
  const larger = backend.workspace(5000)
  t.equal(larger.length, 5000)
  t.not(larger.buffer, first.buffer, 'a larger request replaces it')
  t.equal(backend.workspace(5000).buffer, larger.buffer, 'and the larger one is kept')
  t.not(nativeBackend(fakeBlas()).workspace(10).buffer, larger.buffer, 'each backend has its own')
  backend.release()
  t.equal(backend.workspace(5000).buffer, larger.buffer, 'a workspace under WORKSPACE_KEEP_BYTES is kept')
  const huge = backend.workspace(WORKSPACE_KEEP_BYTES / 8 + 1)
  backend.release()
  t.not(backend.workspace(10).buffer, huge.buffer, 'one over it is given back')
  t.not(backend.fork().workspace(10).buffer, backend.workspace(10).buffer, 'a fork has its own')
})

/** The loader with everything faked: probes answer from `probes` (by OPENBLAS_CORETYPE), dlopen gives a fake addon. */
function fakes (probes: Record<string, ProbeResult>, overrides: NativeLoadOptions = {}) {
  const probed: Array<string | undefined> = []
  const threads: Array<string | undefined> = []
  const opened: Array<{ path: string, flags: number, env: Record<string, string | undefined> }> = []
  const env: NodeJS.ProcessEnv = overrides.env ?? {}
  const options: NativeLoadOptions = {
    exists: () => true,
    isMainThread: true,
    arch: 'x64',
    cpuinfo: () => 'vendor_id : AuthenticAMD\nflags : avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl bmi1 bmi2 abm popcnt movbe f16c\n',
    probe (path, probeEnv) {
      probed.push(probeEnv.OPENBLAS_CORETYPE)
      threads.push(probeEnv.OPENBLAS_NUM_THREADS)
      return probes[probeEnv.OPENBLAS_CORETYPE ?? 'own']
    },
    dlopen (module, path, flags) {
      opened.push({ path, flags, env: { OPENBLAS_CORETYPE: env.OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS: env.OPENBLAS_NUM_THREADS } })
      module.exports = fakeBlas([], { library: 'OpenBLAS', version: '0.3.21', config: '', coreType: env.OPENBLAS_CORETYPE ?? (probes.own !== undefined && 'coreType' in probes.own ? probes.own.coreType : 'Haswell'), threads: 1 })
    },
    ...overrides,
    env
  }
  return { options, probed, threads, opened, env }
}

let unique = 0
/** A path of its own, since loads are kept by path. */
const somewhere = (): string[] => [`/fake/${++unique}/dlcheck_blas.node`]

t.test('the loader chooses OpenBLAS\'s core only to improve on it, from child processes', async (t) => {
  const cases: Array<[string, Record<string, ProbeResult>, RegExp, Array<string | undefined>, string | undefined]> = [
    ['OpenBLAS picks a lower tier: ours runs and is used', { own: { coreType: 'Haswell' }, SkylakeX: { coreType: 'SkylakeX' } },
      /^native backend: OpenBLAS 0\.3\.21, core SkylakeX, chosen from the CPU's flags over OpenBLAS's Haswell, 1 thread\(s\)$/, [undefined, 'SkylakeX'], 'SkylakeX'],
    ['OpenBLAS\'s choice dies: ours runs and is used', { own: { failure: 'the probe was killed by SIGILL' }, SkylakeX: { coreType: 'SkylakeX' } },
      /core SkylakeX, chosen from the CPU's flags over OpenBLAS's failing choice,/, [undefined, 'SkylakeX'], 'SkylakeX'],
    ['a lower tier, and ours fails: OpenBLAS\'s own', { own: { coreType: 'Sandybridge' }, SkylakeX: { failure: 'the probe was killed by SIGILL' } },
      /core Sandybridge, OpenBLAS's own, as SkylakeX failed \(the probe was killed by SIGILL\),/, [undefined, 'SkylakeX'], undefined],
    ['as good (Cooperlake is SkylakeX\'s tier): OpenBLAS\'s own, one probe', { own: { coreType: 'Cooperlake' } },
      /core Cooperlake, OpenBLAS's own, as good as SkylakeX from the CPU's flags,/, [undefined], undefined],
    ['a name this code does not know is trusted', { own: { coreType: 'Diamondrapids' } },
      /core Diamondrapids, OpenBLAS's own, as good as SkylakeX/, [undefined], undefined]
  ]
  for (const [name, probes, message, probed, coreType] of cases) {
    const fake = fakes(probes, { paths: somewhere() })
    const { backend, message: got } = loadNativeBackend(fake.options)
    t.equal(backend?.name, 'native', name)
    t.match(got, message, name)
    t.strictSame(fake.probed, probed, `${name}: probes`)
    t.ok(fake.threads.every((threads) => threads === '1'), `${name}: probes run OpenBLAS single-threaded`)
    t.strictSame(fake.opened.map(({ flags, env }) => ({ flags, env })), [{ flags: constants.dlopen.RTLD_NOW, env: { OPENBLAS_CORETYPE: coreType, OPENBLAS_NUM_THREADS: '1' } }], `${name}: loaded RTLD_NOW with the variables set`)
    t.strictSame(fake.env, {}, `${name}: and restored`)
  }

  const both = fakes({ own: { failure: 'the probe was killed by SIGILL' }, SkylakeX: { failure: 'the probe failed: Error: boom' } }, { paths: somewhere() })
  t.strictSame(loadNativeBackend(both.options), { backend: undefined, message: 'native backend unavailable: the probe was killed by SIGILL; with OPENBLAS_CORETYPE=SkylakeX, the probe failed: Error: boom' })
  t.equal(both.opened.length, 0, 'nothing loaded when no core runs')
  const alone = fakes({ own: { failure: 'the probe failed: Error: libopenblas.so.0: cannot open shared object file' } }, { paths: somewhere(), arch: 'arm64' })
  t.strictSame(loadNativeBackend(alone.options), { backend: undefined, message: 'native backend unavailable: the probe failed: Error: libopenblas.so.0: cannot open shared object file' })
})

t.test('no core of ours without x86-64 flags: another architecture, unreadable or foreign cpuinfo', async (t) => {
  for (const [name, overrides] of [
    ['arm64', { arch: 'arm64', cpuinfo: () => { throw new Error('not read on arm64') } }],
    ['an unreadable /proc/cpuinfo', { cpuinfo: () => { throw new Error('ENOENT') } }],
    ['a cpuinfo without flags', { cpuinfo: () => 'processor : 0\n' }]
  ] as const) {
    const fake = fakes({ own: { coreType: 'Prescott' } }, { paths: somewhere(), ...overrides })
    t.match(loadNativeBackend(fake.options).message, /core Prescott, OpenBLAS's own, 1 thread/, name)
    t.strictSame(fake.probed, [undefined], `${name}: one probe`)
  }
})

t.test('a user\'s OPENBLAS_CORETYPE is left alone (and probed); the environment is restored', async (t) => {
  const fake = fakes({ own: { coreType: 'Sandybridge' }, Sandybridge: { coreType: 'Sandybridge' } }, {
    paths: somewhere(),
    env: { OPENBLAS_CORETYPE: 'Sandybridge', OPENBLAS_NUM_THREADS: '4', HOME: '/root' },
    cpuinfo: () => { throw new Error('not read when the user chose') }
  })
  t.match(loadNativeBackend(fake.options).message, /core Sandybridge, set by the user,/)
  t.strictSame(fake.probed, ['Sandybridge'], 'probed with the user\'s core')
  t.strictSame(fake.opened[0].env, { OPENBLAS_CORETYPE: 'Sandybridge', OPENBLAS_NUM_THREADS: '1' })
  t.strictSame(fake.env, { OPENBLAS_CORETYPE: 'Sandybridge', OPENBLAS_NUM_THREADS: '4', HOME: '/root' })

  const dying = fakes({ Prescott: { failure: 'the probe was killed by SIGILL' } }, { paths: somewhere(), env: { OPENBLAS_CORETYPE: 'Prescott' } })
  t.match(loadNativeBackend(dying.options), { backend: undefined, message: 'native backend unavailable: the probe was killed by SIGILL' }, 'a core that dies makes the backend unavailable, not the service')
})

t.test('in a Worker: no probe, no choice, OpenBLAS as the first load left it', async (t) => {
  const fake = fakes({}, {
    paths: somewhere(),
    isMainThread: false,
    probe: () => { throw new Error('no probe in a Worker') },
    cpuinfo: () => { throw new Error('not read in a Worker') }
  })
  t.match(loadNativeBackend(fake.options).message, /^native backend: OpenBLAS 0\.3\.21, core Haswell, fixed by the first load in this process, 1 thread\(s\)$/)
  t.strictSame(fake.opened[0].env, { OPENBLAS_CORETYPE: undefined, OPENBLAS_NUM_THREADS: '1' })
})

t.test('once per path: the first load is kept', async (t) => {
  const fake = fakes({ own: { coreType: 'SkylakeX' } }, { paths: somewhere() })
  const first = loadNativeBackend(fake.options)
  const again = loadNativeBackend(fake.options)
  t.equal(again, first)
  t.equal(fake.probed.length, 1)
  t.equal(fake.opened.length, 1)
  t.match(first.message, /core SkylakeX, OpenBLAS's own, as good as SkylakeX/)
})

t.test('a core OpenBLAS did not take is reported', async (t) => {
  const fake = fakes({ own: { coreType: 'Haswell' }, SkylakeX: { coreType: 'SkylakeX' } }, { paths: somewhere() })
  fake.options.dlopen = (module) => { module.exports = fakeBlas([], { library: 'OpenBLAS', version: '0.3.21', config: '', coreType: 'Haswell', threads: 1 }) }
  t.match(loadNativeBackend(fake.options).message, /core Haswell \(not SkylakeX: OpenBLAS was already loaded\), chosen from/)
})

t.test('every failure is a message, never an exception', async (t) => {
  t.strictSame(loadNativeBackend({ paths: ['/nowhere/a.node', '/nowhere/b.node'] }), { backend: undefined, message: 'native backend unavailable: not built (looked at /nowhere/a.node, /nowhere/b.node): run npm run build:native' })
  t.match(loadNativeBackend({ paths: somewhere(), exists: () => { throw new Error('EACCES') } }), { backend: undefined, message: 'native backend unavailable: EACCES' })
  const thrown = fakes({ own: { coreType: 'Haswell' } }, { paths: somewhere(), env: { OPENBLAS_NUM_THREADS: '8' }, arch: 'ppc64' })
  thrown.options.dlopen = () => { throw new Error('undefined symbol: cblas_dgemm') }
  t.strictSame(loadNativeBackend(thrown.options), { backend: undefined, message: 'native backend unavailable: undefined symbol: cblas_dgemm' })
  t.strictSame(thrown.env, { OPENBLAS_NUM_THREADS: '8' }, 'the environment is restored after a failed load too')
  const odd = fakes({ own: { coreType: 'SkylakeX' } }, { paths: somewhere() })
  odd.options.dlopen = () => { throw 'a string' } // eslint-disable-line no-throw-literal
  t.match(loadNativeBackend(odd.options).message, 'native backend unavailable: a string')
  const other = fakes({ own: { coreType: 'SkylakeX' } }, { paths: ['/fake/other.node'] })
  other.options.dlopen = (module) => { module.exports = { info: () => ({}) } }
  t.match(loadNativeBackend(other.options).message, 'native backend unavailable: /fake/other.node does not export gemm and info')
  const half = fakes({ own: { coreType: 'SkylakeX' } }, { paths: ['/fake/half.node'] })
  half.options.dlopen = (module) => { module.exports = { gemm () {} } }
  t.match(loadNativeBackend(half.options).message, 'does not export gemm and info')
})

t.test('the real probe runner, process.dlopen and /proc/cpuinfo fail cleanly on a missing addon', async (t) => {
  const before = { ...process.env }
  const probed = loadNativeBackend({ paths: ['/nonexistent/probed/dlcheck_blas.node'], exists: () => true })
  t.match(probed, { backend: undefined, message: /^native backend unavailable: the probe failed: Error: .*\/nonexistent\/probed\/dlcheck_blas\.node/ }, 'a child process tried and failed')
  const opened = loadNativeBackend({ paths: ['/nonexistent/opened/dlcheck_blas.node'], exists: () => true, isMainThread: false })
  t.match(opened, { backend: undefined, message: /^native backend unavailable: .*\/nonexistent\/opened\/dlcheck_blas\.node/ }, 'process.dlopen threw')
  const read = fakes({ own: { coreType: 'Prescott' }, SkylakeX: { coreType: 'SkylakeX' }, Zen: { coreType: 'Zen' }, Haswell: { coreType: 'Haswell' }, Sandybridge: { coreType: 'Sandybridge' } }, { paths: somewhere(), cpuinfo: undefined })
  t.match(loadNativeBackend(read.options).message, /^native backend: OpenBLAS 0\.3\.21, core \w+, /, 'the real /proc/cpuinfo, or none')
  t.strictSame({ ...process.env }, before, 'process.env as it was')
})

t.test('probeInChildProcess reads the child\'s end', async (t) => {
  const outcome = (fields: Partial<ChildOutcome>) => (): ChildOutcome => ({ signal: null, status: 0, stdout: '', stderr: '', ...fields })
  t.strictSame(probeInChildProcess('x.node', {}, outcome({ stdout: 'Zen\n' })), { coreType: 'Zen' })
  t.strictSame(probeInChildProcess('x.node', {}, outcome({ error: new Error('spawnSync node ETIMEDOUT'), status: null })), { failure: 'the probe did not run: spawnSync node ETIMEDOUT' })
  t.strictSame(probeInChildProcess('x.node', {}, outcome({ signal: 'SIGILL', status: null })), { failure: 'the probe was killed by SIGILL' })
  t.strictSame(probeInChildProcess('x.node', {}, outcome({ status: 1, stderr: 'node:internal\n  throw err\nError: dgemm gave a wrong product\n    at …' })), { failure: 'the probe failed: Error: dgemm gave a wrong product' })
  t.strictSame(probeInChildProcess('x.node', {}, outcome({ status: 3, stderr: 'nothing useful' })), { failure: 'the probe failed: exit status 3' })
  let seen: { command: string, args: readonly string[], env: NodeJS.ProcessEnv } | undefined
  probeInChildProcess('/a/b.node', { OPENBLAS_CORETYPE: 'Zen' }, (command, args, options) => {
    seen = { command, args, env: options.env }
    return outcome({ stdout: 'Zen' })()
  })
  t.match(seen, { command: process.execPath, args: ['-e', `process.dlopen(m, process.argv[1], ${constants.dlopen.RTLD_NOW})`, '/a/b.node'], env: { OPENBLAS_CORETYPE: 'Zen' } })
  t.match(probeInChildProcess('/nonexistent/x.node', process.env), { failure: /^the probe failed: Error: / }, 'a real child')
})

/** The MLP's loss, gradient and Hv on a backend, against the scalar backend's. */
function compareMlp (t: Test, backend: MatrixBackend): void {
  const cases = [
    [[5, 9, 7, 3], 6, 'cross-entropy', 'relu'],
    [[3, 4, 2], 1, 'mse', 'tanh'],
    [[2, 8, 1], 9, 'mse', 'gelu'],
    [[32, 64, 48, 10], 16, 'cross-entropy', 'swish'],
    [[32, 64, 10], 1, 'cross-entropy', 'softplus']
  ] as const
  for (const [sizes, batch, loss, activation] of cases) {
    const spec = waveMlp(sizes, batch, loss, activation)
    const [fast, reference] = [backend, javascriptBackend].map((each) => new Mlp(spec, each))
    const w = wave(fast.parameterCount, 0.5).map((x) => x / 2)
    const v = wave(fast.parameterCount, 1.5)
    const [a, b] = [fast, reference].map((mlp) => mlp.evaluate(w, v))
    const close = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => Array.from(x).every((value, i) => Math.abs(value - y[i]) <= 1e-12 * Math.max(1, Math.abs(y[i])))
    const name = `${activation} ${sizes.join('→')} batch ${batch} ${loss}`
    t.ok(close([a.value], [b.value]), `loss, ${name}`)
    t.ok(close(a.gradient, b.gradient), `gradient, ${name}`)
    t.ok(close(a.hv!, b.hv!), `Hv, ${name}`)
  }
}

t.test('the MLP on a fake dgemm computes what the scalar backend does', async (t) => {
  compareMlp(t, nativeBackend(fakeBlas()))
})

t.test('OpenBLAS (when built)', { skip: NOT_BUILT }, async (t) => {
  const before = { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS }
  const loaded = loadNativeBackend()
  t.ok(loaded.backend, loaded.message)
  t.match(loaded.message, /^native backend: OpenBLAS \d+\.\d+\.\d+, core \w+, .*, 1 thread\(s\)$/)
  t.equal(loadNativeBackend(), loaded, 'kept')
  t.strictSame({ OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS }, before, 'the environment restored')
  const backend = loaded.backend!
  t.throws(() => backend.multiplyAddTransposed(matrix(new Float64Array(7), 2, 4), matrix(new Float64Array(8), 2, 4), matrix(new Float64Array(4), 2, 2), 2, 4), RangeError, 'a view past the end of its array is refused, not read')

  t.test('every shape around the tiles, and the layouts at the edges, against a naive loop', async (t) => {
    for (const [name, worst] of sweep(backend)) t.ok(worst <= TOLERANCE, `${name}: largest relative error ${worst} over 729 shapes`)
    checkEdges(t, backend)
  })

  t.test('the MLP computes what the scalar backend does', async (t) => {
    compareMlp(t, backend)
  })

  t.test('process.env, set on the main thread before the load, reaches OpenBLAS (a fresh process)', { skip: process.arch !== 'x64' && 'the core names are x86-64\'s' }, async (t) => {
    // Prescott's SSE3 kernels run on every x86-64 CPU; OpenBLAS would not pick them by itself on one with AVX.
    const env = { ...process.env }
    delete env.OPENBLAS_CORETYPE
    const code = `import(process.argv[1]).then(({ loadNativeBackend }) => {
      process.env.OPENBLAS_CORETYPE = 'Prescott'
      process.stdout.write(loadNativeBackend().message)
    })`
    const child = spawnSync(process.execPath, ['-e', code, new URL('../../src/math/native.js', import.meta.url).href], { env, encoding: 'utf8' })
    t.match(child.stdout, /^native backend: OpenBLAS .*, core Prescott, set by the user, 1 thread\(s\)$/, child.stderr)
  })

  t.test('Workers load it after the main thread and compute at once', async (t) => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      import(workerData.module).then(({ loadNativeBackend }) => {
        const { backend, message } = loadNativeBackend()
        const { a, b, c, rows, columns, depth } = workerData
        for (let round = 0; round < 20; round++) backend.multiplyAddTransposed({ data: a, offset: 0, rows, stride: depth }, { data: b, offset: 0, rows: columns, stride: depth }, { data: c, offset: 0, rows, stride: columns }, columns, depth)
        parentPort.postMessage({ message, c })
      })`
    const module = new URL('../../src/math/native.js', import.meta.url).href
    const [rows, columns, depth] = [64, 96, 128]
    const results = await Promise.all([1, 2].map((seed) => {
      const next = random(seed)
      const data = { a: filled(rows * depth, next), b: filled(columns * depth, next), c: new Float64Array(rows * columns) }
      return new Promise<{ message: string, c: Float64Array, expected: Float64Array }>((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { module, rows, columns, depth, ...data } })
        worker.once('message', (message) => {
          const expected = new Float64Array(rows * columns)
          for (let round = 0; round < 20; round++) multiplyAddTransposed(matrix(data.a, rows, depth), matrix(data.b, columns, depth), matrix(expected, rows, columns), columns, depth)
          resolve({ ...message, expected })
          void worker.terminate()
        })
        worker.once('error', reject)
      })
    }))
    for (const [i, { message, c, expected }] of results.entries()) {
      t.match(message, /^native backend: OpenBLAS .*, fixed by the first load in this process, 1 thread\(s\)$/, `worker ${i + 1}`)
      t.ok(Array.from(c).every((x, j) => Math.abs(x - expected[j]) <= 1e-12 * Math.max(1, Math.abs(expected[j]))), `worker ${i + 1}: 20 products of 64×96×128 as the scalar kernels give`)
    }
  })
})
