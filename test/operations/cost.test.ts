/**
 * The cost estimates of the operation table (Operation.cost, nanoseconds): present, finite and
 * positive, growing with the input and the answer. Only estimates are compared here, never
 * measured times; `npm run bench:cost` compares them with the clock.
 */
import { Ajv } from 'ajv'
import t from 'tap'
import { operations } from '../../src/operations/index.js'
import { architectureElementCount } from '../../src/operations/architecture-input.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import type { Operation } from '../../src/operations/operation.js'
import { AJV_OPTIONS } from '../../src/validation.js'
import { CHEAP_NS } from '../helpers/bodies.js'

const byName = (name: string): Operation => operations.find((operation) => operation.name === name)!
const estimate = (name: string, input: unknown): number => byName(name).cost(input)
const mlp = (sizes: number[], batch: number) => ({
  kind: 'mlp',
  sizes,
  activation: 'tanh',
  loss: 'cross-entropy',
  inputs: Array.from({ length: batch }, () => [sizes[0]]),
  targets: Array.from({ length: batch }, () => 0)
})

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

t.test('every estimate grows along its operation\'s cost ladder (Operation.costLadder)', async (t) => {
  for (const operation of operations) {
    const ladder = operation.costLadder()
    t.ok(ladder.length >= 2, `${operation.name}: a ladder of small and large inputs`)
    // Inputs the operation answers over REST: within its body limit, valid (as the routes
    // validate), within the limits checked before work, and those cheap to run, run.
    const valid = new Ajv({ ...AJV_OPTIONS, strict: false }).compile(operation.body)
    const bodyLimit = DEFAULT_LIMITS[operation.bodyLimit ?? 'bodyLimit']
    for (const { summary, value } of ladder) {
      const bytes = Buffer.byteLength(JSON.stringify(value))
      t.ok(bytes <= bodyLimit, `${operation.name}, ${summary}: ${bytes} bytes, within the body limit of ${bodyLimit}`)
      t.ok(valid(value), `${operation.name}, ${summary}: valid`)
      t.doesNotThrow(() => operation.checkLimits?.(value, DEFAULT_LIMITS), `${operation.name}, ${summary}: within the limits`)
      if (operation.cost(value) < CHEAP_NS) t.doesNotThrow(() => operation.run(value, DEFAULT_LIMITS), `${operation.name}, ${summary}: answered`)
    }
    for (let i = 1; i < ladder.length; i++) {
      const [smaller, larger] = [operation.cost(ladder[i - 1].value), operation.cost(ladder[i].value)]
      t.ok(larger > smaller, `${operation.name}: ${ladder[i].summary} (${larger} ns) over ${ladder[i - 1].summary} (${smaller} ns)`)
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
