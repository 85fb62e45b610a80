/**
 * The optional native matrix backend: native/dlcheck_blas.c, a Node-API addon over the system's
 * OpenBLAS (cblas_dgemm, row-major, α = β = 1), built by `npm run build:native` into
 * native/build/dlcheck_blas.node. This module chooses OpenBLAS's kernels, loads the addon without
 * ever failing its caller, and maps MatrixBackend's products onto dgemm.
 *
 * OpenBLAS built with DYNAMIC_ARCH (Debian's libopenblas0) carries kernels for many x86-64
 * generations and picks one table in a constructor that runs when the library is loaded
 * (driver/others/dynamic.c): from the environment variable OPENBLAS_CORETYPE if set, without
 * checking that the CPU has the instructions (a wrong name dies later with SIGILL), else from
 * CPUID, which knows only the models of its release and may pick slower kernels on newer ones.
 * So the loader derives a core from the flags Linux reports, tries it in a child process, and
 * sets the variable only when that improves on OpenBLAS's own choice.
 *
 * Everything the loader touches (the file system, child processes, process.dlopen,
 * /proc/cpuinfo, the thread, the architecture, the environment) can be replaced through
 * NativeLoadOptions, so that each of its decisions can be exercised on any machine.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'
import { WORKSPACE_KEEP_BYTES, type MatrixBackend } from './backend.js'
import { scalarVectors } from './vectors.js'
import { multiplyAddRows, multiplyAddTransposed, type StridedView } from './gemm.js'

/** The addon's exports (native/dlcheck_blas.c). */
export interface NativeBlas {
  /**
   * C ← op(A)·op(B) + C on row-major Float64Arrays, op(X) = X or Xᵀ; op(A) is m×k, op(B) k×n;
   * element [i][j] of a stored (untransposed) matrix is data[offset + i·ld + j]. Throws a
   * TypeError or RangeError on a bad argument: a leading dimension below max(1, row length), a
   * matrix that does not fit in its array, C sharing memory with A or B.
   */
  gemm: (transA: boolean, transB: boolean, m: number, n: number, k: number,
    A: Float64Array, offsetA: number, lda: number,
    B: Float64Array, offsetB: number, ldb: number,
    C: Float64Array, offsetC: number, ldc: number) => void
  info: () => { library: string, version: string, config: string, coreType: string, threads: number }
}

/**
 * The instruction sets each OpenBLAS x86-64 kernel table may use, as Linux's /proc/cpuinfo
 * flags (abm is LZCNT). The SkylakeX table's C code is compiled with -march=skylake-avx512
 * (OpenBLAS 0.3.21 kernel/Makefile), so beside AVX-512 the compiler may emit anything that CPU
 * has; Haswell's and Zen's are compiled with -mavx2 and use FMA3 in assembly.
 */
const REQUIRES = {
  SkylakeX: ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl', 'avx2', 'fma', 'avx', 'bmi1', 'bmi2', 'abm', 'popcnt', 'movbe', 'f16c'],
  Haswell: ['avx2', 'fma', 'avx'],
  Sandybridge: ['avx']
}

/** Vendors whose AVX2 parts OpenBLAS itself runs with its Zen table (tuned blocking, Haswell's kernels). */
const ZEN_VENDORS = new Set(['AuthenticAMD', 'HygonGenuine'])

/**
 * The OpenBLAS core type for an x86-64 CPU, from its /proc/cpuinfo flags and vendor_id: the
 * fastest table whose instructions the CPU has. Linux lists only the features the OS has
 * enabled (it clears AVX and AVX-512 flags when it does not save their registers), so the
 * result cannot fault. Only names OpenBLAS 0.3.21's OPENBLAS_CORETYPE accepts on x86-64
 * (driver/others/dynamic.c, force_coretype) are returned. 'Cooperlake' is not one: 0.3.21
 * compares the variable against its first 24 names and Cooperlake is the 25th (fixed in
 * 0.3.22), and its double-precision kernels are SkylakeX's anyway (KERNEL.COOPERLAKE includes
 * KERNEL.SKYLAKEX), so AVX-512 CPUs, Zen 4 included, get 'SkylakeX'.
 * @param flags - the `flags` line of /proc/cpuinfo, split on spaces
 * @param vendor - its `vendor_id` (GenuineIntel, AuthenticAMD, …)
 * @returns one of SkylakeX, Zen, Haswell, Sandybridge, Prescott
 * @example openblasCoreType(new Set(['avx', 'avx2', 'fma']), 'AuthenticAMD') // 'Zen'
 * @example openblasCoreType(new Set(['sse3', 'avx']), 'GenuineIntel') // 'Sandybridge'
 */
export function openblasCoreType (flags: ReadonlySet<string>, vendor: string): string {
  const has = (core: keyof typeof REQUIRES): boolean => REQUIRES[core].every((flag) => flags.has(flag))
  if (has('SkylakeX')) return 'SkylakeX'
  if (has('Haswell')) return ZEN_VENDORS.has(vendor) ? 'Zen' : 'Haswell'
  if (has('Sandybridge')) return 'Sandybridge'
  // SSE3 kernels, which every x86-64 CPU OpenBLAS supports can run: its own 64-bit fallback.
  return 'Prescott'
}

/**
 * The vendor and flags of the first processor in /proc/cpuinfo's text; undefined when either
 * field is absent (Linux on other architectures names them differently).
 * @example parseCpuinfo('vendor_id\t: GenuineIntel\nflags\t\t: fpu avx\n')?.vendor // 'GenuineIntel'
 * @example parseCpuinfo('processor : 0\nFeatures : fp asimd\n') // undefined
 */
export function parseCpuinfo (text: string): { vendor: string, flags: Set<string> } | undefined {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:(.*)$`, 'm').exec(text)?.[1].trim()
  const vendor = field('vendor_id')
  const flags = field('flags')
  if (vendor === undefined || flags === undefined) return undefined
  return { vendor, flags: new Set(flags.split(/\s+/)) }
}

/**
 * Row length `width` and distance `step` between the `count` rows of a stored matrix as a BLAS
 * leading dimension, which must be at least max(1, width): the step when it is one, any valid
 * value when a single row makes it unused, else undefined (rows that overlap or run backwards,
 * which only the scalar kernels can read).
 */
function leading (step: number, count: number, width: number): number | undefined {
  if (count === 1) return width
  return step >= width ? step : undefined
}

/**
 * Whether two stored matrices (rows × width, leading dimension ld, at offset) share a byte, over
 * their whole extents as the addon checks. Views of one ArrayBuffer share their buffer object;
 * two SharedArrayBuffer objects over the same memory do not, and the addon refuses those.
 */
function overlaps (x: Float64Array, xOffset: number, xRows: number, xLd: number, xWidth: number, y: Float64Array, yOffset: number, yRows: number, yLd: number, yWidth: number): boolean {
  if (x.buffer !== y.buffer) return false
  const xStart = x.byteOffset + xOffset * 8
  const yStart = y.byteOffset + yOffset * 8
  return xStart < y.byteOffset + (yOffset + (yRows - 1) * yLd + yWidth) * 8 && yStart < x.byteOffset + (xOffset + (xRows - 1) * xLd + xWidth) * 8
}

/**
 * The MatrixBackend over the addon. Each product becomes one dgemm call when its operands are
 * BLAS matrices (rows of contiguous elements, a leading dimension at least the row length) and
 * C shares no memory with them; any other layout (rows that overlap, an A with neither step 1,
 * C interleaved with an operand in one buffer) goes to the scalar kernels of gemm.ts, which
 * compute the same sum, so the backend accepts every view the others do. The addon refuses C
 * overlapping A or B because dgemm reads its operands in blocks while it writes C.
 */
export function nativeBackend (blas: NativeBlas): MatrixBackend {
  // One block reused by every evaluate on this thread: a fresh multi-megabyte array per call
  // would cost its page faults every time. Replaced only by a larger one.
  let block = new Float64Array(0)
  return {
    name: 'native',
    workspace (length) {
      if (length > block.length) block = new Float64Array(length)
      return block.subarray(0, length)
    },
    multiplyAddTransposed (a, b, c, columns, depth) {
      const rows = c.rows
      if (rows === 0 || columns === 0 || depth === 0) return
      // A is rows × depth, B columns × depth (used transposed), C rows × columns.
      const lda = leading(a.stride, rows, depth)
      const ldb = leading(b.stride, columns, depth)
      const ldc = leading(c.stride, rows, columns)
      if (lda === undefined || ldb === undefined || ldc === undefined ||
        overlaps(c.data, c.offset, rows, ldc, columns, a.data, a.offset, rows, lda, depth) ||
        overlaps(c.data, c.offset, rows, ldc, columns, b.data, b.offset, columns, ldb, depth)) {
        multiplyAddTransposed(a, b, c, columns, depth)
        return
      }
      blas.gemm(false, true, rows, columns, depth, a.data, a.offset, lda, b.data, b.offset, ldb, c.data, c.offset, ldc)
    },
    multiplyAddRows (a, b, c, columns, depth) {
      const rows = c.rows
      if (rows === 0 || columns === 0 || depth === 0) return
      const form = storedForm(a, rows, depth)
      const ldb = leading(b.stride, depth, columns)
      const ldc = leading(c.stride, rows, columns)
      if (form === undefined || ldb === undefined || ldc === undefined ||
        overlaps(c.data, c.offset, rows, ldc, columns, a.data, a.offset, form.transposed ? depth : rows, form.ld, form.transposed ? rows : depth) ||
        overlaps(c.data, c.offset, rows, ldc, columns, b.data, b.offset, depth, ldb, columns)) {
        multiplyAddRows(a, b, c, columns, depth)
        return
      }
      blas.gemm(form.transposed, false, rows, columns, depth, a.data, a.offset, form.ld, b.data, b.offset, ldb, c.data, c.offset, ldc)
    },
    // OpenBLAS's level 1 would be no faster than V8 at what spectrum.ts asks of it: its
    // vectors live in a WebAssembly workspace of their own (backend.ts, privateBackend).
    // The addon takes any Float64Array (the gemm calls check that C overlaps no operand).
    addressable: () => true,
    vectors: scalarVectors,
    fork: () => nativeBackend(blas),
    release () {
      if (block.length * 8 > WORKSPACE_KEEP_BYTES) block = new Float64Array(0)
    }
  }
}

/**
 * How dgemm can read op(A) (rows × depth, element [r][k] at offset + r·rowStep + k·depthStep):
 * as A stored rows × depth (depthStep 1, lda = rowStep ≥ depth) or as Aᵀ stored depth × rows
 * (rowStep 1, lda = depthStep ≥ rows). A step along a dimension of length 1 is never used, so
 * it counts as whatever fits: one row is A with lda = depth (or Aᵀ with lda = depthStep when
 * depthStep is not 1), and a depth of 1 is A with lda = rowStep whatever its depthStep.
 */
function storedForm (a: StridedView, rows: number, depth: number): { transposed: boolean, ld: number } | undefined {
  if (depth === 1 || a.depthStep === 1) {
    const ld = leading(a.rowStep, rows, depth)
    if (ld !== undefined) return { transposed: false, ld }
  }
  if (rows === 1 || a.rowStep === 1) {
    const ld = leading(a.depthStep, depth, rows)
    if (ld !== undefined) return { transposed: true, ld }
  }
  return undefined
}

/** What a probe of the addon found: the core OpenBLAS ran, or why it failed. */
export type ProbeResult = { coreType: string } | { failure: string }

/** The part of spawnSync's result a probe reads. */
export interface ChildOutcome {
  error?: Error
  signal: string | null
  status: number | null
  stdout: string
  stderr: string
}

/** A spawnSync with its output read as UTF-8. */
export type SpawnText = (command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv, encoding: 'utf8', timeout: number }) => ChildOutcome

/**
 * A small product of each shape class in every transpose combination: dgemm's small-matrix
 * kernels and its blocked ones are different code, and both must run for a probe to show that
 * the chosen table executes on this CPU.
 */
const probeScript = (rtldNow: number): string => `
  const m = { exports: {} }
  process.dlopen(m, process.argv[1], ${rtldNow})
  for (const s of [3, 8, 96]) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = new Float64Array(s * s).fill(1)
        const c = new Float64Array(s * s)
        m.exports.gemm(ta, tb, s, s, s, a, 0, s, a, 0, s, c, 0, s)
        if (c.some((x) => x !== s)) throw new Error('dgemm gave a wrong product')
      }
    }
  }
  process.stdout.write(m.exports.info().coreType)
`

/**
 * Runs the addon in a child Node process with the given environment, so that a core the CPU
 * cannot run (SIGILL) or a library that does not load kills the child, not this process.
 * @param spawn - spawnSync (a test gives outcomes it cannot provoke: a signal, a spawn error)
 */
export function probeInChildProcess (path: string, env: NodeJS.ProcessEnv, spawn: SpawnText = spawnSync): ProbeResult {
  const child = spawn(process.execPath, ['-e', probeScript(constants.dlopen.RTLD_NOW), path], { env, encoding: 'utf8', timeout: 30_000 })
  if (child.error !== undefined) return { failure: `the probe did not run: ${child.error.message}` }
  if (child.signal !== null) return { failure: `the probe was killed by ${child.signal}` }
  if (child.status !== 0) return { failure: `the probe failed: ${child.stderr.split('\n').find((line) => /Error/.test(line))?.trim() ?? `exit status ${child.status}`}` }
  return { coreType: child.stdout.trim() }
}

/**
 * How capable OpenBLAS's x86-64 tables are in double precision: SSE kernels, AVX, AVX2 with
 * FMA, AVX-512 (names as openblas_get_corename returns them, driver/others/dynamic.c). A name
 * not listed (a newer OpenBLAS's) is trusted as at least as good as ours.
 */
const TIERS = new Map<string, number>([
  ...['unknown', 'katmai', 'coppermine', 'northwood', 'prescott', 'banias', 'atom', 'core2', 'penryn', 'dunnington', 'nehalem', 'athlon', 'opteron', 'opteron_sse3', 'barcelona', 'nano', 'bobcat'].map((name) => [name, 0] as const),
  ...['sandybridge', 'bulldozer', 'piledriver', 'steamroller', 'excavator'].map((name) => [name, 1] as const),
  ...['haswell', 'zen'].map((name) => [name, 2] as const),
  ...['skylakex', 'cooperlake', 'sapphirerapids'].map((name) => [name, 3] as const)
])
const tier = (core: string): number => TIERS.get(core.toLowerCase()) ?? Infinity

/** Where the addon may be: from src/math (tsx), or from a compiled src/math (dist/ or build/). */
export const ADDON_PATHS: readonly string[] = ['../../native/build/dlcheck_blas.node', '../../../native/build/dlcheck_blas.node'].map((path) => fileURLToPath(new URL(path, import.meta.url)))

export interface NativeLoadOptions {
  /** where to look for the addon, the first that exists is loaded (default ADDON_PATHS) */
  paths?: readonly string[]
  exists?: (path: string) => boolean
  /** runs the addon in a child process with an environment (default probeInChildProcess) */
  probe?: (path: string, env: NodeJS.ProcessEnv) => ProbeResult
  /** process.dlopen */
  dlopen?: (module: { exports: unknown }, path: string, flags: number) => void
  /** the text of /proc/cpuinfo */
  cpuinfo?: () => string
  isMainThread?: boolean
  /** process.arch */
  arch?: string
  /** the environment OpenBLAS reads: process.env, the real one on the main thread */
  env?: NodeJS.ProcessEnv
}

export interface NativeLoad {
  backend: MatrixBackend | undefined
  /** which OpenBLAS and core run and why, or why the backend is unavailable */
  message: string
}

/** The loads of this thread by path (a module's state is per thread: each Worker imports it afresh). */
const loads = new Map<string, NativeLoad>()

/**
 * The native backend for this thread, or undefined with the reason, never throwing. The first
 * load of a path on a thread is kept: later calls return it (the same backend) at once, since the
 * probes cost child processes and a failed load will not mend.
 *
 * On the main thread the addon first runs in child processes (probeInChildProcess): once as
 * OpenBLAS chooses, and, when that choice is a lower tier than openblasCoreType's (an OpenBLAS
 * older than the CPU) or fails, once with OPENBLAS_CORETYPE set to ours. It then loads with the
 * better core that ran. A user's OPENBLAS_CORETYPE is left alone (and probed: a name the CPU
 * cannot run makes the backend unavailable rather than the service die).
 *
 * The variables are set in process.env, which on the main thread is no JS copy: Node's setter
 * calls setenv(3) on the process's environment, and libopenblas.so.0, a DT_NEEDED dependency
 * of the addon, is loaded by the dynamic linker inside process.dlopen, where its constructor
 * reads getenv(3). They are restored right after: OpenBLAS has read them, and child processes
 * should not inherit them. OPENBLAS_NUM_THREADS=1 keeps OpenBLAS from starting a thread pool
 * (the service runs one computation per worker thread; the addon also calls
 * openblas_set_num_threads(1)).
 *
 * Only the first load in the process can choose: the library stays loaded, and a Worker's
 * process.env is a private copy that native code does not see (Node's worker_threads docs, the
 * `env` option), so a Worker's load only binds the library already loaded. Load on the main
 * thread before starting workers: a Worker that loads first gets OpenBLAS's own choice, which is
 * safe, and one idle OpenBLAS thread per further core.
 */
export function loadNativeBackend (options: NativeLoadOptions = {}): NativeLoad {
  try {
    const { paths = ADDON_PATHS, exists = existsSync } = options
    const path = paths.find((place) => exists(place))
    if (path === undefined) return unavailable(`not built (looked at ${paths.join(', ')}): run npm run build:native`)
    let result = loads.get(path)
    if (result === undefined) {
      result = load(path, options)
      loads.set(path, result)
    }
    return result
  } catch (error) {
    return unavailable(reason(error))
  }
}

const unavailable = (why: string): NativeLoad => ({ backend: undefined, message: `native backend unavailable: ${why}` })
const reason = (error: unknown): string => error instanceof Error ? error.message : String(error)

function load (path: string, options: NativeLoadOptions): NativeLoad {
  const {
    probe = probeInChildProcess,
    dlopen = (module, file, flags) => process.dlopen(module, file, flags),
    cpuinfo = () => readFileSync('/proc/cpuinfo', 'latin1'),
    isMainThread: main = isMainThread,
    arch = process.arch,
    env = process.env
  } = options
  try {
    const settings: Record<string, string> = { OPENBLAS_NUM_THREADS: '1' }
    let chosen: string
    if (!main) {
      chosen = 'fixed by the first load in this process'
    } else {
      let ours: string | undefined
      if (env.OPENBLAS_CORETYPE !== undefined) {
        chosen = 'set by the user'
      } else {
        chosen = "OpenBLAS's own"
        if (arch === 'x64') {
          let cpu
          try {
            cpu = parseCpuinfo(cpuinfo())
          } catch {}
          if (cpu !== undefined) ours = openblasCoreType(cpu.flags, cpu.vendor)
        }
      }
      const own = probe(path, { ...env, ...settings })
      if (ours !== undefined && ('failure' in own || tier(own.coreType) < tier(ours))) {
        const mine = probe(path, { ...env, ...settings, OPENBLAS_CORETYPE: ours })
        if ('coreType' in mine) {
          settings.OPENBLAS_CORETYPE = ours
          chosen = `chosen from the CPU's flags over OpenBLAS's ${'failure' in own ? 'failing choice' : own.coreType}`
        } else if ('failure' in own) {
          return unavailable(`${own.failure}; with OPENBLAS_CORETYPE=${ours}, ${mine.failure}`)
        } else {
          chosen = `OpenBLAS's own, as ${ours} failed (${mine.failure})`
        }
      } else if ('failure' in own) {
        return unavailable(own.failure)
      } else if (ours !== undefined) {
        chosen = `OpenBLAS's own, as good as ${ours} from the CPU's flags`
      }
    }

    const saved = Object.keys(settings).map((name) => [name, env[name]] as const)
    Object.assign(env, settings)
    const module = { exports: {} as Partial<NativeBlas> }
    try {
      // RTLD_NOW (dlopen(3)): a symbol that does not resolve fails here, as an exception,
      // rather than at its first call, where the dynamic linker would end the process.
      dlopen(module, path, constants.dlopen.RTLD_NOW)
    } finally {
      for (const [name, value] of saved) {
        // Assigning undefined to process.env would store the string 'undefined'.
        if (value === undefined) delete env[name]
        else env[name] = value
      }
    }
    const blas = module.exports
    if (typeof blas.gemm !== 'function' || typeof blas.info !== 'function') return unavailable(`${path} does not export gemm and info`)
    const info = blas.info()
    const wanted = settings.OPENBLAS_CORETYPE
    // Differs when OpenBLAS was already loaded (by an earlier load, another addon, or a Worker).
    const note = wanted !== undefined && info.coreType.toLowerCase() !== wanted.toLowerCase() ? ` (not ${wanted}: OpenBLAS was already loaded)` : ''
    return {
      backend: nativeBackend(blas as NativeBlas),
      message: `native backend: OpenBLAS ${info.version}, core ${info.coreType}${note}, ${chosen}, ${info.threads} thread(s)`
    }
  } catch (error) {
    return unavailable(reason(error))
  }
}
