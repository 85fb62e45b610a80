/**
 * The cost estimates of the operation table (Operation.cost, nanoseconds): present, finite and
 * positive, growing with the input and the answer. Only estimates are compared here, never
 * measured times; `npm run bench:cost` compares them with the clock.
 */
import t from 'tap'
import { operations } from '../../src/operations/index.js'
import { architectureElementCount } from '../../src/operations/architecture-input.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import type { Operation } from '../../src/operations/operation.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
const estimate = (name: string, input: unknown): number => byName(name).cost(input)
const range = (n: number, scale = 1): number[] => Array.from({ length: n }, (_, i) => scale * Math.sin(i + 1))
const square = (n: number): number[][] => Array.from({ length: n }, () => range(n))
const mlp = (sizes: number[], batch: number) => ({
  kind: 'mlp',
  sizes,
  activation: 'tanh',
  loss: 'cross-entropy',
  inputs: Array.from({ length: batch }, () => range(sizes[0])),
  targets: Array.from({ length: batch }, () => 0)
})
const parameters = (sizes: number[]): number => sizes.slice(1).reduce((total, out, l) => total + (sizes[l] + 1) * out, 0)
const formula = (terms: number) => ({ kind: 'expression', expression: Array.from({ length: terms }, (_, i) => `sin(x*y + ${i})`).join(' + '), variables: ['x', 'y'] })

/** Per operation, inputs from small to large: each estimated higher than the one before. */
const GROWING: Record<string, unknown[]> = {
  softmaxStable: [
    { x: [0, -40] },
    { x: range(1000) },
    { x: range(1000), naive: true },
    { x: Array.from({ length: 1000 }, () => [1, 2]), naive: true }
  ],
  convMatrix: [
    { input: 3, kernelSize: 3, stride: 2, padding: 1 },
    { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, format: 'latex' },
    { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1 },
    { input: 30, kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], padding: 1, x: square(30) },
    { input: 30, kernelSize: 3, padding: 1 }
  ],
  receptiveField: [
    { layers: [{ type: 'conv', kernel: 3 }] },
    { input: 32, architecture: 'Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output' },
    { layers: Array.from({ length: 1000 }, () => ({ type: 'conv', kernel: 3 })) }
  ],
  paramCount: [
    { sizes: [2, 3] },
    { sizes: [32, 512, 512, 10] },
    { architecture: 'Conv-5x5(out=16) -> ReLU -> Global Avg. Pool -> FC-1', input: [3, 32, 32] },
    { architecture: Array.from({ length: 500 }, () => 'Conv-3x3(out=8)').join(' → '), input: [3, 32, 32] }
  ],
  hvp: [
    { model: { kind: 'quadratic', A: [[2, 1], [0, 3]] }, w: [1, 2], v: [1, 0] },
    { model: formula(100), w: [1, 2], v: [1, 0] },
    { model: formula(100), w: [1, 2], v: [1, 0], method: 'forward' },
    { model: formula(100), w: [1, 2], v: [1, 0], method: 'central' },
    { model: formula(100), w: [1, 2], v: [1, 0], sweep: true },
    { model: { kind: 'quadratic', A: square(1000) }, w: range(1000), v: range(1000) },
    { model: mlp([32, 512, 512, 10], 1), w: range(parameters([32, 512, 512, 10])), v: range(parameters([32, 512, 512, 10])) },
    { model: mlp([32, 512, 512, 10], 64), w: range(parameters([32, 512, 512, 10])), v: range(parameters([32, 512, 512, 10])) },
    { model: mlp([32, 512, 512, 10], 64), w: range(parameters([32, 512, 512, 10])), v: range(parameters([32, 512, 512, 10])), sweep: true }
  ],
  newtonStep: [
    { model: { kind: 'quadratic', A: [[4, 1], [1, 3]] }, w: [0, 0] },
    { model: { kind: 'quadratic', A: [[4, 1], [1, 3]] }, w: [0, 0], maxIterations: 1000 },
    { model: { kind: 'quadratic', A: square(200) }, w: range(200) },
    { model: mlp([32, 512, 512, 10], 8), w: range(parameters([32, 512, 512, 10])), maxIterations: 20 }
  ],
  swish: [
    { beta: 10 },
    { beta: 10, x: range(10) },
    { beta: 10, x: range(100_000) }
  ],
  reluDecomposition: [
    { breakpoints: [-1, 2], slopes: [-2, 0, 3] },
    { breakpoints: [-1, 2], slopes: [-2, 0, 3], x: range(1000) },
    { breakpoints: range(1000), slopes: range(1001) },
    { breakpoints: range(1000), slopes: range(1001), x: range(1000) }
  ],
  logisticMixture: [
    { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [1, 2] },
    { pi: [0.3, 0.7], weights: [[1, -2], [0.5, 0.5]], x: [[1, 2], [3, 4]] },
    { pi: [0.5, 0.5], weights: square(2).map(() => range(1000)), x: Array.from({ length: 1000 }, () => range(1000)) }
  ],
  cornerExperiment: [
    { residual: true, epochs: 1 },
    { residual: false, epochs: 300 },
    { epochs: 300 },
    {}
  ]
}

/** Schema-valid inputs that run refuses (or that name absurd sizes): still a finite estimate. */
const ODD: Record<string, unknown[]> = {
  convMatrix: [{ input: 2 }, { input: 2, kernelSize: 5 }, { input: 65_536, kernelSize: 64, dilation: 64, transposed: true, format: 'sparse' }],
  receptiveField: [{}],
  paramCount: [{}],
  hvp: [{ model: { ...mlp([1, 1], 1), sizes: [1_000_000, 1_000_000, 1_000_000] }, w: [], v: [] }],
  cornerExperiment: [{ epochs: 1e308 }]
}

t.test('every operation has a cost estimate, finite and positive on every example', async (t) => {
  for (const operation of operations) {
    t.type(operation.cost, 'function', `${operation.name} has a cost`)
    for (const example of operation.examples) {
      const cost = operation.cost(example.value)
      t.ok(Number.isFinite(cost) && cost > 0, `${operation.name}, ${example.summary}: ${cost} ns`)
    }
  }
})

t.test('every estimate grows with the input and the answer', async (t) => {
  for (const operation of operations) {
    const inputs = GROWING[operation.name]
    t.ok(inputs !== undefined && inputs.length >= 2, `${operation.name}: small and large inputs`)
    for (let i = 1; i < inputs.length; i++) {
      const [smaller, larger] = [operation.cost(inputs[i - 1]), operation.cost(inputs[i])]
      t.ok(larger > smaller, `${operation.name}: input ${i} (${larger} ns) over input ${i - 1} (${smaller} ns)`)
    }
  }
})

t.test('odd inputs run will refuse still get a finite estimate', async (t) => {
  for (const [name, inputs] of Object.entries(ODD)) {
    for (const input of inputs) {
      const cost = estimate(name, input)
      t.ok(Number.isFinite(cost) && cost > 0, `${name} ${JSON.stringify(input).slice(0, 60)}: ${cost} ns`)
    }
  }
})

t.test('a transposed 64×64 kernel on 15×16, sparse: a 20 MB answer from 69 bytes is over 100 ms', async (t) => {
  const body = { input: [15, 16], kernelSize: 64, transposed: true, format: 'sparse' }
  t.equal(JSON.stringify(body).length, 69)
  t.ok(estimate('convMatrix', body) > 1e8, `${estimate('convMatrix', body)} ns`)
})

t.test('the corner experiment at CORNER_MAX_EPOCHS, both networks, is estimated under the 30 s budget', async (t) => {
  const cost = estimate('cornerExperiment', { epochs: DEFAULT_LIMITS.cornerMaxEpochs })
  t.ok(cost < 30e9, `${cost / 1e9} s`)
  t.equal(cost, 2 * estimate('cornerExperiment', { residual: false, epochs: DEFAULT_LIMITS.cornerMaxEpochs }), 'twice one network')
})

t.test('an architecture\'s elements are counted by either arrow, without parsing', async (t) => {
  t.equal(architectureElementCount('Image → Conv-3x3 -> ReLU->Output'), 4)
  t.equal(architectureElementCount('FC-1'), 1)
})
