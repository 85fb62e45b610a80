/** The /corner-experiment operation: defaults, the limit, and its one-sentence summary. */
import t from 'tap'
import { LimitExceededError } from '../../src/math/errors.js'
import { cornerExperimentOperation } from '../../src/operations/corner-experiment.js'
import { DEFAULT_LIMITS } from '../../src/operations/limits.js'

t.test('without epochs, the default 2000 is checked against CORNER_MAX_EPOCHS', async (t) => {
  t.throws(() => cornerExperimentOperation.run({}, { ...DEFAULT_LIMITS, cornerMaxEpochs: 20 }), LimitExceededError)
  t.equal(cornerExperimentOperation.cost!({}), 2 * cornerExperimentOperation.cost!({ residual: true }), 'both networks cost twice one')
  t.ok(cornerExperimentOperation.cost!({}) > 1e9, 'always the worker pool: 2000 epochs are Gflops')
})

t.test('the summary says what each run found, and why a run is stuck', async (t) => {
  // Seed 2 after one step: 50 % of the corners, but units already switch at both corners.
  const early = cornerExperimentOperation.run({ seed: 2, epochs: 1, residual: false }, DEFAULT_LIMITS)
  t.match(early.summary, /^Without the residual connection: 50 % of the corners after 1 epochs \(loss [\d.]+\)\. The 9×9 receptive field/)
  t.notMatch(early.summary, 'stuck', 'not stuck: switching units at both corners')
  // Seed 0 heads for the p = ½ plateau: no unit switches.
  const stuck = cornerExperimentOperation.run({ seed: 0, epochs: 300, residual: true }, DEFAULT_LIMITS)
  t.match(stuck.summary, /^With the residual connection: 37.5 % of the corners after 300 epochs \(loss [\d.]+\), stuck: an output corner has no unit that switches/)
  t.equal(stuck.runs.length, 1)
  t.strictSame(stuck.dataset.inputs[3][0][0], 1, 'dataset: image 4 has a white top-left corner')
  // Seed 5 at a learning rate of 0.05 gets every corner right from epoch 167.
  const perfect = cornerExperimentOperation.run({ seed: 5, epochs: 170, residual: true, learningRate: 0.05 }, DEFAULT_LIMITS)
  t.match(perfect.summary, /^With the residual connection: 100 % of the corners from epoch 167 after 170 epochs \(loss [\d.]+\)\./)
})
