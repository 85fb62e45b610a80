import { Type } from '@sinclair/typebox'
import {
  checkEpochs, CORNER_DEFAULT_EPOCHS, CORNER_DEFAULT_LEARNING_RATE, cornerDataset, runCornerExperiment, type CornerExperimentResult
} from '../math/corner-experiment.js'
import { cornerExperimentNanoseconds } from './corner-experiment-cost.js'
import { defineOperation } from './operation.js'

const Pair = Type.Array(Type.Integer(), { minItems: 2, maxItems: 2 })
const Images = (description: string) => Type.Array(Type.Array(Type.Array(Type.Number())), { description })

const Run = Type.Object({
  residual: Type.Boolean(),
  seed: Type.Integer(),
  epochs: Type.Integer(),
  learningRate: Type.Number(),
  accuracy: Type.Object({
    corners: Type.Number({ description: 'of the 8 judged corner pixels, after the last step' }),
    pixels: Type.Number({ description: 'of all 100 pixels' })
  }, { title: 'CornerAccuracy' }),
  perfect: Type.Boolean({ description: 'every corner pixel right after the last step: the question\'s "100 %"' }),
  firstPerfectEpoch: Type.Union([Type.Integer(), Type.Null()], { description: 'the first epoch after which every corner was right; null if never' }),
  initialLoss: Type.Number(),
  lossCurve: Type.Array(Type.Number(), { description: 'mean binary cross-entropy after lossCurveEpochs[i] (at most 200 points)' }),
  lossCurveEpochs: Type.Array(Type.Integer()),
  finalLoss: Type.Number(),
  predictions: Images('σ(z) after the last step, 4 images × 5 × 5'),
  targets: Images('the targets, 4 × 5 × 5'),
  receptiveField: Type.Object({
    size: Type.Integer({ description: '9: four 3×3 layers' }),
    skipPathSize: Type.Union([Type.Integer(), Type.Null()], { description: 'the receptive field through the skip path (5), null without one' }),
    covers: Type.Array(Type.Object({
      outputCorner: Pair,
      oppositeInputCorner: Pair,
      covered: Type.Boolean({ description: 'the opposite input corner is inside the output corner\'s receptive field' }),
      rows: Pair,
      columns: Pair,
      coveredBySkipPath: Type.Union([Type.Boolean(), Type.Null()]),
      path: Type.Array(Type.Object({
        layer: Type.Integer(),
        position: Pair,
        kernelTap: Type.Optional(Pair)
      }, { title: 'CornerPathStep' }), { description: 'the only chain of positions from the input corner to the output corner' })
    }, { title: 'CornerCoverage' }))
  }, { title: 'CornerReceptiveField' }),
  switchingUnits: Type.Object({
    topLeft: Type.Integer(),
    bottomRight: Type.Integer()
  }, { title: 'CornerSwitchingUnits', description: 'per output corner, the units (of 32) where both input corners meet and whose ReLU switches across the four images; 0 means that corner\'s logit is affine in the two input corners, so it cannot be right on all four' })
}, { title: 'CornerRun' })

/** One sentence on a run: its accuracy and, when stuck, why (see `switchingUnits`). */
function describeRun (run: CornerExperimentResult): string {
  const outcome = run.perfect ? `100 % of the corners from epoch ${run.firstPerfectEpoch}` : `${run.accuracy.corners * 100} % of the corners`
  const stuck = !run.perfect && (run.switchingUnits.topLeft === 0 || run.switchingUnits.bottomRight === 0)
    ? ', stuck: an output corner has no unit that switches between the four images, so its logit is affine in the two input corners'
    : ''
  return `${run.residual ? 'With' : 'Without'} the residual connection: ${outcome} after ${run.epochs} epochs (loss ${run.finalLoss.toPrecision(3)})${stuck}.`
}

export const cornerExperimentOperation = defineOperation({
  name: 'cornerExperiment',
  path: '/corner-experiment',
  summary: 'Question 5.4 by experiment: train the 4-layer 3×3 network on the corner images, with and without a residual connection',
  description: 'Question 5.4. Trains four 3×3 convolutions (zero padding 1, 16 channels, 1 output channel, biases, ReLU; sigmoid output, ' +
    'mean binary cross-entropy) with full-batch Adam (PyTorch\'s defaults, lr 0.001) from PyTorch\'s default initialisation drawn from `seed`, ' +
    'on the four 5×5 corner images (Figure 2, reconstructed: see `dataset.description`). Without `residual`, both networks are trained; ' +
    'the residual one adds conv₁\'s output to conv₃\'s before its ReLU (He et al., 2016). Deterministic: the same body gives the same answer on every machine. ' +
    'Agrees with PyTorch float64 to 1e-13. Runs in the worker pool; about 1.3 ms of CPU per epoch per network (estimated at 1.6 ms). ' +
    'Limit: epochs ≤ CORNER_MAX_EPOCHS (default 6000).',
  questions: ['5.4'],
  body: Type.Object({
    residual: Type.Optional(Type.Boolean({ description: 'train only the plain (false) or only the residual (true) network; absent: both' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 0, description: 'seed of the initial weights' })),
    epochs: Type.Optional(Type.Integer({ minimum: 1, default: CORNER_DEFAULT_EPOCHS, description: `Adam steps (default ${CORNER_DEFAULT_EPOCHS}; most successful runs reach 100 % between epochs 465 and 2268)` })),
    learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: CORNER_DEFAULT_LEARNING_RATE, description: 'Adam\'s learning rate' }))
  }, { additionalProperties: false }),
  response: Type.Object({
    summary: Type.String({ description: 'what the runs found, in one sentence each' }),
    dataset: Type.Object({
      description: Type.String(),
      inputs: Images('the four 5×5 inputs, (top-left, bottom-right) = (0, 0), (0, 1), (1, 0), (1, 1)'),
      targets: Images('their 5×5 targets')
    }, { title: 'CornerDataset' }),
    runs: Type.Array(Run, { description: 'the plain network, then the residual one (or the one asked for)' })
  }),
  examples: [
    { summary: 'question 5.4: both networks, seed 2, 1000 epochs', value: { seed: 2, epochs: 1000 } },
    { summary: 'the residual network only, 300 epochs', value: { residual: true, seed: 0, epochs: 300 } }
  ],
  edgeCases: [
    { residual: true, epochs: 1 },
    { residual: false, seed: 4_294_967_295, epochs: 5, learningRate: 1 },
    { epochs: 2, learningRate: 1e-12 },
    { epochs: 3 },
    { residual: false, seed: 7, epochs: 12, learningRate: 0.01 },
    { residual: true, seed: 4_294_967_295, epochs: 30, learningRate: 1 },
    // Every corner right from epoch 167: perfect, with a firstPerfectEpoch (about 0.3 s).
    { residual: true, seed: 5, epochs: 170, learningRate: 0.05 }
  ],
  cost: cornerExperimentNanoseconds,
  costLadder: () => [
    { summary: 'the residual network, 1 epoch', value: { residual: true, epochs: 1 } },
    { summary: 'the plain network, 300 epochs', value: { residual: false, epochs: 300 } },
    { summary: 'both networks, 300 epochs', value: { epochs: 300 } },
    { summary: 'both networks, the default epochs', value: {} }
  ],
  checkLimits: (input, limits) => checkEpochs(input.epochs ?? CORNER_DEFAULT_EPOCHS, limits.cornerMaxEpochs),
  run (input, limits) {
    const dataset = cornerDataset()
    const variants = input.residual === undefined ? [false, true] : [input.residual]
    const runs = variants.map((residual) => runCornerExperiment({
      residual,
      seed: input.seed ?? 0,
      epochs: input.epochs ?? CORNER_DEFAULT_EPOCHS,
      learningRate: input.learningRate
    }, limits.cornerMaxEpochs))
    const summary = `${runs.map(describeRun).join(' ')} The 9×9 receptive field of every output corner covers the opposite input corner, through a single chain of kernel taps.`
    // The summary first: it is what a reader of a cut-short answer wants.
    return {
      summary,
      dataset: {
        description: dataset.description,
        inputs: dataset.examples.map((example) => example.input),
        targets: dataset.examples.map((example) => example.target)
      },
      runs
    }
  }
})
