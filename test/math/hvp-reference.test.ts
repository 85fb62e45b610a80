/**
 * Hessian-vector products against PyTorch autograd (float64, double backward) on every
 * reference case of scripts/reference/gen_hvp.py: quadratics, formulas and MLPs with every
 * activation and loss.
 */
import t from 'tap'
import { hessianVectorProduct } from '../../src/math/hvp.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'
import { buildModel, type ModelInput } from '../../src/operations/models.js'
import { loadFixture } from '../helpers/fixtures.js'

interface HvpCase {
  name: string
  model: ModelInput
  w: number[]
  v: number[]
  expected: { value: number, gradient: number[], hv: number[] }
}

/** max |a − e| relative to max(1, max |e|): the vectors' own scale, as PyTorch rounds at that scale. */
function normwiseError (actual: ArrayLike<number>, expected: readonly number[]): number {
  let difference = 0
  let scale = 1
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]))
    scale = Math.max(scale, Math.abs(expected[i]))
  }
  return actual.length === expected.length ? difference / scale : Infinity
}

// Observed worst cases: 3.5e-16 (quadratic), 1.2e-15 (expression), 7.9e-16 (mlp): the same
// roundings as PyTorch's in another order. The bounds leave a few ulps of room.
const TOLERANCE = { quadratic: 2e-15, expression: 1e-14, mlp: 1e-14 }

const fixture = loadFixture<HvpCase>('hvp')

t.test('value, gradient and Hv agree with torch.autograd', async (t) => {
  t.ok(fixture.cases.length >= 100, `${fixture.cases.length} cases`)
  const worst = { quadratic: 0, expression: 0, mlp: 0 }
  for (const c of fixture.cases) {
    const result = hessianVectorProduct(buildModel(c.model, DEFAULT_LIMITS), c.w, c.v)
    const errors = {
      value: normwiseError([result.value], [c.expected.value]),
      gradient: normwiseError(result.gradient, c.expected.gradient),
      hv: normwiseError(result.hv, c.expected.hv)
    }
    const largest = Math.max(errors.value, errors.gradient, errors.hv)
    worst[c.model.kind] = Math.max(worst[c.model.kind], largest)
    t.ok(largest <= TOLERANCE[c.model.kind], `${c.name}: ${JSON.stringify(errors)}`)
  }
  t.comment(`largest normwise errors: ${JSON.stringify(worst)}`)
})

t.test('every activation and loss is covered', async (t) => {
  const pairs = new Set(fixture.cases.flatMap((c) => c.model.kind === 'mlp' ? [`${c.model.activation}/${c.model.loss}`] : []))
  t.equal(pairs.size, 12)
})
