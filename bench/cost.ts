/**
 * `npm run bench:cost`: calibration of the operations' cost estimates. For every operation of
 * the table, its cost ladder (`Operation.costLadder`), then the larger cases below, up to a few
 * seconds of work and the limits; for each, the estimate (`cost`, in
 * nanoseconds) against the median measured wall time of `run` plus `JSON.stringify` of its
 * answer, in this process (warm-up first). The estimate should be within [0.3, 1.5] of the
 * measurement: above 1.5 it underestimates (work the runtime would put on the main thread, or
 * admit into a full budget), below 0.2 it overestimates enough to send cheap work to the pool.
 *
 * `npm run bench:cost -- conv hvp` runs only the operations whose name contains a word given.
 */
import { cpus, loadavg } from 'node:os'
import { operations } from '../src/operations/index.js'
import { DEFAULT_LIMITS } from '../src/operations/limits.js'
import type { Operation } from '../src/operations/operation.js'
import { questions } from '../src/grading/questions.js'
import { rosterCost, rosterText, type RosterTask, type StatementsTask } from '../src/grading/roster.js'
import { statementsCost, statementsText } from '../src/pages/statements.js'
import { uniformStream } from './timing.js'

/** Measured time per case, about: small cases repeat more for a steadier median. */
const TARGET_MS = Number(process.env.BENCH_TARGET_MS ?? 1500)
const MIN_REPEATS = 3
const MAX_REPEATS = 41
const UNDERESTIMATE = 1.5
const OVERESTIMATE = 0.2

/** Uniform in (−1, 1); restarted for each operation, so its inputs do not depend on which others ran. */
let stream = uniformStream(11)
const uniform = (): number => 2 * stream() - 1
const vector = (n: number, scale = 1): number[] => Array.from({ length: n }, () => scale * uniform())
const matrix = (rows: number, cols: number, scale = 1): number[][] => Array.from({ length: rows }, () => vector(cols, scale))

/** An MLP model with its point and direction, PyTorch's layout. */
function mlp (sizes: number[], batch: number, activation = 'tanh') {
  let n = 0
  for (let l = 1; l < sizes.length; l++) n += (sizes[l - 1] + 1) * sizes[l]
  const fanIn = 1 / Math.sqrt(sizes[0])
  return {
    model: { kind: 'mlp', sizes, activation, loss: 'cross-entropy', inputs: matrix(batch, sizes[0]), targets: Array.from({ length: batch }, (_, b) => b % sizes[sizes.length - 1]) },
    w: vector(n, fanIn),
    v: vector(n, fanIn)
  }
}

/** A symmetric positive-definite n × n quadratic with spread eigenvalues: CG runs every iteration it is allowed. */
function quadratic (n: number) {
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j ? 1 + i : 1e-3 * Math.cos(i + j)))
  return { kind: 'quadratic', A, b: vector(n) }
}

/** A formula of about `length` characters over `variables` variables. */
function formula (length: number, variables: number) {
  const names = Array.from({ length: variables }, (_, i) => `x${i}`)
  const terms: string[] = []
  let size = 0
  for (let i = 0; size < length - 40; i++) {
    const term = `(sin(${names[i % variables]}*${names[(i + 1) % variables]})+${names[(i + 2) % variables]}^2)`
    terms.push(term)
    size += term.length + 1
  }
  // Groups of ten: a flat chain of thousands of terms is deeper than the parser allows.
  const groups: string[] = []
  for (let i = 0; i < terms.length; i += 10) groups.push(`(${terms.slice(i, i + 10).join('+')})`)
  return { kind: 'expression', expression: groups.join('+'), variables: names }
}

const layers = (count: number) => Array.from({ length: count }, (_, i) => i % 3 === 2 ? { type: 'relu' } : { type: 'conv', kernel: 3, padding: 1 })
const architecture = (maxLength: number, layer: string): string => {
  const parts: string[] = []
  let length = 'Image → Output'.length
  while (length + layer.length + 3 <= maxLength) {
    parts.push(layer)
    length += layer.length + 3
  }
  return ['Image', ...parts, 'Output'].join(' → ')
}

type Case = [name: string, input: unknown]

/** Beyond the ladders: inputs up to seconds of work and up to the limits, by operation. */
const LARGER_CASES: Partial<Record<string, () => Case[]>> = {
  softmaxStable: () => [
    ['100,000 entries', { x: vector(100_000, 10) }],
    ['1,000,000 entries', { x: vector(1_000_000, 10) }],
    ['1,000,000 entries, naive', { x: vector(1_000_000, 10), naive: true }],
    ['1,000 × 1,000 batch', { x: matrix(1000, 1000, 10) }],
    ['250,000 × 4 batch', { x: matrix(250_000, 4, 10) }],
    ['250,000 × 4 batch, naive', { x: matrix(250_000, 4, 10), naive: true }]
  ],
  convMatrix: () => [
    ['question 4.4 LaTeX, transposed', { input: 2, kernelSize: 2, stride: 2, transposed: true, format: 'latex' }],
    ['16×16 k3 p1 dense numeric', { input: 16, kernel: matrix(3, 3), padding: 1 }],
    ['31×31 k3 p1 dense numeric + x', { input: 31, kernel: matrix(3, 3), padding: 1, x: matrix(31, 31) }],
    ['31×31 k3 p1 dense symbolic', { input: 31, kernelSize: 3, padding: 1 }],
    ['10×10 k3 p1 LaTeX symbolic', { input: 10, kernelSize: 3, padding: 1, format: 'latex' }],
    ['10×10 k3 p1 LaTeX numeric', { input: 10, kernel: matrix(3, 3), padding: 1, format: 'latex' }],
    ['200×200 k5 sparse numeric', { input: 200, kernel: matrix(5, 5), format: 'sparse' }],
    ['200×200 k5 sparse symbolic', { input: 200, kernelSize: 5, format: 'sparse' }],
    ['[15,16] k64 transposed sparse symbolic', { input: [15, 16], kernelSize: 64, transposed: true, format: 'sparse' }],
    ['[15,16] k64 transposed sparse numeric', { input: [15, 16], kernel: matrix(64, 64), transposed: true, format: 'sparse' }],
    ['8×8 k8 s2 transposed dense numeric', { input: 8, kernel: matrix(8, 8), stride: 2, transposed: true }],
    ['1×1 k64 p64 sparse (wide padding)', { input: 1, kernelSize: 64, padding: 64, format: 'sparse' }],
    ['300×300 k3 p1 sparse + x', { input: 300, kernel: matrix(3, 3), padding: 1, format: 'sparse', x: matrix(300, 300) }]
  ],
  receptiveField: () => [
    ['100 layers', { input: 1024, layers: layers(100), pixel: [5, 5] }],
    ['1,000 layers', { input: 1024, layers: layers(1000), pixel: [5, 5] }],
    ['architecture of 20,000 characters', { input: 1024, architecture: architecture(20_000, 'Conv-3x3(padding=1)') }]
  ],
  paramCount: () => [
    ['1,000 layers', { sizes: Array.from({ length: 1001 }, (_, i) => 10 + i) }],
    ['question 4.2\'s CNN', { architecture: 'Image → Conv-5x5(out=16) → ReLU → Conv-5x5(out=32) → ReLU → Global Avg. Pool → FC-128 → FC-1 (Output)', input: [3, 32, 32] }],
    ['architecture of 20,000 characters', { architecture: architecture(20_000, 'Conv-3x3(padding=1, out=8)'), input: [3, 64, 64] }]
  ],
  hvp: () => [
    ['formula example', { model: { kind: 'expression', expression: 'x^2*y + sin(x*y)', variables: ['x', 'y'] }, w: [1.5, -0.7], v: [0.3, 2] }],
    ['formula of 10,000 characters, 1,000 variables', { ...(() => { const model = formula(10_000, 1000); return { model, w: vector(1000), v: vector(1000) } })() }],
    ['formula of 10,000 characters, sweep', { ...(() => { const model = formula(10_000, 100); return { model, w: vector(100), v: vector(100), sweep: true } })() }],
    ['quadratic n = 100', { model: quadratic(100), w: vector(100), v: vector(100) }],
    ['quadratic n = 1,000, sweep', { model: quadratic(1000), w: vector(1000), v: vector(1000), sweep: true }],
    ['MLP 2-3-2, sweep', { ...mlp([2, 3, 2], 2), sweep: true }],
    ['MLP 32-512-512-10, batch 350 (≈ HVP_MAX_WORK)', mlp([32, 512, 512, 10], 350, 'relu')],
    ['MLP 32-512-512-10, batch 16, central', { ...mlp([32, 512, 512, 10], 16), method: 'central' }],
    ['MLP 32-512-512-10, batch 16, sweep', { ...mlp([32, 512, 512, 10], 16), sweep: true }],
    ['MLP 1000-1000-10, batch 1', mlp([1000, 1000, 10], 1)],
    ['MLP 20 layers of 16, batch 8', mlp(Array.from({ length: 21 }, () => 16), 8)]
  ],
  newtonStep: () => [
    ['quadratic 2 × 2 example', { model: { kind: 'quadratic', A: [[4, 1], [1, 3]], b: [1, 2] }, w: [0, 0] }],
    ['quadratic n = 500, 100 iterations', { model: quadratic(500), w: vector(500), tolerance: 1e-300 }],
    ['quadratic n = 1,000, 300 iterations', { model: quadratic(1000), w: vector(1000), maxIterations: 300, tolerance: 1e-300 }],
    ['formula of 10,000 characters, 50 iterations', { ...(() => { const model = formula(10_000, 100); return { model, w: vector(100, 0.1), damping: 1e3, maxIterations: 50, tolerance: 1e-300 } })() }],
    ['MLP 32-512-512-10, batch 8, 20 iterations', { ...(({ model, w }) => ({ model, w }))(mlp([32, 512, 512, 10], 8)), damping: 10, maxIterations: 20, tolerance: 1e-300 }],
    ['MLP 32-256-10, batch 64, 60 iterations', { ...(({ model, w }) => ({ model, w }))(mlp([32, 256, 10], 64)), damping: 10, maxIterations: 60, tolerance: 1e-300 }]
  ],
  swish: () => [
    ['1,000 points', { beta: 1.5, x: vector(1000, 10) }],
    ['100,000 points', { beta: 1.5, x: vector(100_000, 10) }],
    ['1,000,000 points', { beta: 1.5, x: vector(1_000_000, 10) }],
    ['10,000,000 points (EVALUATION_MAX_WORK)', { beta: 1.5, x: vector(10_000_000, 10) }]
  ],
  reluDecomposition: () => [
    ['10,000 breakpoints', { breakpoints: Array.from({ length: 10_000 }, (_, i) => i), slopes: vector(10_001) }],
    ['100,000 breakpoints', { breakpoints: Array.from({ length: 100_000 }, (_, i) => i), slopes: vector(100_001) }],
    ['9 breakpoints × 999,999 points (EVALUATION_MAX_WORK)', { breakpoints: Array.from({ length: 9 }, (_, i) => i), slopes: vector(10), x: vector(999_999, 10) }],
    ['999 breakpoints × 9,999 points (EVALUATION_MAX_WORK)', { breakpoints: Array.from({ length: 999 }, (_, i) => i), slopes: vector(1000), x: vector(9_999, 1000) }],
    ['99,999 breakpoints × 99 points (EVALUATION_MAX_WORK)', { breakpoints: Array.from({ length: 99_999 }, (_, i) => i), slopes: vector(100_000), x: vector(99, 1e5) }]
  ],
  logisticMixture: () => {
    const mixture = (K: number, d: number, N: number) => ({ pi: Array.from({ length: K }, () => 1 / K), weights: matrix(K, d), x: N === 1 ? vector(d) : matrix(N, d) })
    return [
      ['K 10, d 100, N 100', mixture(10, 100, 100)],
      ['K 10, d 100, N 10,000 (EVALUATION_MAX_WORK)', mixture(10, 100, 10_000)],
      ['K 1,000, d 1,000, N 10 (EVALUATION_MAX_WORK)', mixture(1000, 1000, 10)],
      ['K 1, d 10, N 1,000,000 (EVALUATION_MAX_WORK)', mixture(1, 10, 1_000_000)],
      ['K 10,000, d 1,000, N 1', mixture(10_000, 1000, 1)]
    ]
  },
  cornerExperiment: () => [
    ['one network, 1 epoch', { residual: false, epochs: 1 }],
    ['one network, 10 epochs', { residual: true, epochs: 10 }],
    ['one network, 100 epochs', { residual: false, epochs: 100 }],
    ['both networks, 600 epochs', { seed: 2, epochs: 600 }]
  ]
}

/** An operation's run and its JSON: what a worker does with it. */
const operationWork = (operation: Operation, input: unknown) => () => {
  const answer = operation.run(input, DEFAULT_LIMITS)
  return { answer, text: JSON.stringify(answer) }
}

/**
 * Median wall time of `work` (a computation and the text of its answer), ms, after a warm-up;
 * the median CPU time of the process over the same runs (close to the wall time when nothing
 * else competes for the core; above it when the garbage collector's helper threads work); and
 * the answer's length.
 */
function measure (work: () => { answer: unknown, text: string }): { ms: number, cpuMs: number, repeats: number, bytes: number, answer: unknown } {
  let bytes = 0
  let answer: unknown
  const once = (): [number, number] => {
    const cpu = process.cpuUsage()
    const start = process.hrtime.bigint()
    const done = work()
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6
    const { user, system } = process.cpuUsage(cpu)
    answer = done.answer
    bytes = done.text.length
    return [elapsed, (user + system) / 1e3]
  }
  // Warm-up: at least one run, and more when they are short (up to 20 runs or 200 ms), so the
  // JIT has optimised the loops: a formula's evaluator still ran twice as slow after 5 runs.
  let [warm] = once()
  for (let i = 1, spent = warm; i < 20 && spent < 200; i++) {
    const [ms] = once()
    warm = Math.min(warm, ms)
    spent += ms
  }
  const repeats = Math.max(MIN_REPEATS, Math.min(MAX_REPEATS, Math.floor(TARGET_MS / Math.max(warm, 1e-3))) | 1)
  const runs = Array.from({ length: repeats }, once)
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(repeats / 2)]
  return { ms: median(runs.map(([ms]) => ms)), cpuMs: median(runs.map(([, cpuMs]) => cpuMs)), repeats, bytes, answer }
}

const format = (ms: number): string => ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(2)
const formatBytes = (bytes: number): string => bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} kB` : `${bytes} B`

export function benchCost (filter: string[]): Array<{ operation: string, name: string, estimatedMs: number, measuredMs: number }> {
  const rows: Array<{ operation: string, name: string, estimatedMs: number, measuredMs: number }> = []
  console.log(`\n${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0].model}, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
  console.log(`estimated cost vs measured run + JSON.stringify, median wall and CPU time, ms; ratio = measured ÷ estimated (flags: > ${UNDERESTIMATE} underestimate, < ${OVERESTIMATE} overestimate)`)
  console.log(`  ${'operation'.padEnd(18)} ${'case'.padEnd(50)} ${'estimated'.padStart(10)} ${'measured'.padStart(10)} ${'ratio'.padStart(6)} ${'cpu'.padStart(10)}  answer`)
  for (const operation of operations) {
    if (filter.length > 0 && !filter.some((word) => operation.name.toLowerCase().includes(word.toLowerCase()))) continue
    stream = uniformStream(11)
    const cases: Case[] = [...operation.costLadder().map(({ summary, value }): Case => [summary, value]), ...LARGER_CASES[operation.name]?.() ?? []]
    for (const [name, input] of cases) {
      const estimatedMs = operation.cost(input) / 1e6
      const { ms, cpuMs, repeats, bytes, answer } = measure(operationWork(operation, input))
      // The estimate assumes every CG iteration allowed runs: say when fewer did.
      const iterations = operation.name === 'newtonStep' ? `, ${(answer as { iterations: number }).iterations} CG iterations` : ''
      const ratio = ms / estimatedMs
      const flag = ratio > UNDERESTIMATE ? '  UNDER' : ratio < OVERESTIMATE ? '  OVER' : ''
      console.log(`  ${operation.name.padEnd(18)} ${name.padEnd(50)} ${format(estimatedMs).padStart(10)} ${format(ms).padStart(10)} ${ratio.toFixed(2).padStart(6)} ${format(cpuMs).padStart(10)}  ${formatBytes(bytes)} ×${repeats}${iterations}${flag}`)
      rows.push({ operation: operation.name, name, estimatedMs, measuredMs: ms })
    }
  }
  if (filter.length === 0 || filter.some((word) => 'grading'.includes(word.toLowerCase()))) rows.push(...benchGradingTasks())
  const corner = rows.filter((row) => row.operation === 'cornerExperiment' && /^both networks, \d+ epochs/.test(row.name))
  if (corner.length > 0) {
    const perEpoch = corner.map((row) => row.measuredMs / (2 * Number(/(\d+) epochs/.exec(row.name)![1])))
    console.log(`\ncorner experiment, both networks: ${perEpoch.map((ms) => ms.toFixed(2)).join(', ')} ms per network-epoch`)
  }
  console.log(`load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
  return rows
}

/**
 * The grading door's tasks that are not operations but go through the pool by their estimate:
 * rosters (POST /variants) and students' pages (GET /statements). `npm run bench:cost -- grading`
 * runs them alone.
 */
function benchGradingTasks (): Array<{ operation: string, name: string, estimatedMs: number, measuredMs: number }> {
  const secret = Buffer.from('bench-variant-secret-0123456789')
  const students = (count: number): string[] => Array.from({ length: count }, (_, i) => `student${i}@example.edu`)
  const cases: Array<[string, string, number, () => string]> = []
  for (const count of [10, 100, 1000]) {
    for (const format of ['json', 'csv'] as const) {
      const task: RosterTask = { secret, request: { students: students(count) }, language: 'fr', origin: 'https://dlcheck.example.edu', format }
      cases.push(['roster', `${count} students × ${questions.length} questions, ${format}`, rosterCost(task), () => rosterText(task)])
    }
  }
  for (const format of ['html', 'json'] as const) {
    for (const chosen of [questions.slice(0, 1), questions]) {
      const task: StatementsTask = { secret, student: 'ada@example.edu', questions: chosen.map((question) => question.id), language: 'fr', format, key: 'k'.repeat(60) }
      cases.push(['statements', `${chosen.length} question${chosen.length === 1 ? '' : 's'}, ${format}`, statementsCost(task), () => statementsText(task)])
    }
  }
  return cases.map(([kind, name, estimateNs, write]) => {
    const estimatedMs = estimateNs / 1e6
    const { ms, cpuMs, repeats, bytes } = measure(() => ({ answer: undefined, text: write() }))
    const ratio = ms / estimatedMs
    const flag = ratio > UNDERESTIMATE ? '  UNDER' : ratio < OVERESTIMATE ? '  OVER' : ''
    console.log(`  ${kind.padEnd(18)} ${name.padEnd(50)} ${format(estimatedMs).padStart(10)} ${format(ms).padStart(10)} ${ratio.toFixed(2).padStart(6)} ${format(cpuMs).padStart(10)}  ${formatBytes(bytes)} ×${repeats}${flag}`)
    return { operation: kind, name, estimatedMs, measuredMs: ms }
  })
}

benchCost(process.argv.slice(2))
