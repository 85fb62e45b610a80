/**
 * Question 5.4 over many seeds: how often the four-conv network reaches 100 % on the
 * corners, without and with the residual connection.
 *
 *   npx tsx scripts/corner-seeds.ts [--seeds 10] [--first 0] [--epochs 1000] [--lr 0.01]
 *
 * One row per seed: corner and pixel accuracy, final loss, the first epoch with every
 * corner right, and the switching units per output corner (0/0 ⇒ affine in the two input
 * corners, stuck at p = ½).
 */
import { parseArgs } from 'node:util'
import {
  CORNER_DEFAULT_EPOCHS,
  CORNER_DEFAULT_LEARNING_RATE,
  runCornerExperiment,
  type CornerExperimentResult
} from '../src/math/corner-experiment.js'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    first: { type: 'string', default: '0' },
    epochs: { type: 'string', default: String(CORNER_DEFAULT_EPOCHS) },
    lr: { type: 'string', default: String(CORNER_DEFAULT_LEARNING_RATE) }
  }
})
const seeds = Number(values.seeds)
const first = Number(values.first)
const epochs = Number(values.epochs)
const learningRate = Number(values.lr)

function cell (r: CornerExperimentResult): string {
  const perfect = r.firstPerfectEpoch === null ? '—' : String(r.firstPerfectEpoch)
  return [
    `${(100 * r.accuracy.corners).toFixed(1).padStart(5)} %`,
    `${(100 * r.accuracy.pixels).toFixed(0).padStart(3)} %`,
    r.finalLoss.toExponential(3).padStart(10),
    perfect.padStart(5),
    `${r.switchingUnits.topLeft}/${r.switchingUnits.bottomRight}`.padStart(5)
  ].join('  ')
}

console.log(`question 5.4: ${epochs} epochs of full-batch Adam, lr ${learningRate}, seeds ${first}..${first + seeds - 1}`)
const header = 'corners  pixels  final loss  100%@  switch'
console.log(`seed  | ${'plain'.padEnd(header.length)} | residual`)
console.log(`      | ${header} | ${header}`)
const totals = { plain: 0, residual: 0 }
const finalLosses: Record<'plain' | 'residual', number[]> = { plain: [], residual: [] }
const started = performance.now()
for (let seed = first; seed < first + seeds; seed++) {
  const plain = runCornerExperiment({ residual: false, seed, epochs, learningRate })
  const residual = runCornerExperiment({ residual: true, seed, epochs, learningRate })
  totals.plain += plain.perfect ? 1 : 0
  totals.residual += residual.perfect ? 1 : 0
  finalLosses.plain.push(plain.finalLoss)
  finalLosses.residual.push(residual.finalLoss)
  console.log(`${String(seed).padStart(5)} | ${cell(plain)} | ${cell(residual)}`)
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`100 % on the corners: plain ${totals.plain}/${seeds}, residual ${totals.residual}/${seeds}`)
console.log(`median final loss: plain ${median(finalLosses.plain).toExponential(4)}, residual ${median(finalLosses.residual).toExponential(4)} ` +
  `(stuck at p = ½ on the corners: 8·ln 2/100 = ${(8 * Math.LN2 / 100).toExponential(4)})`)
console.log(`${(2 * seeds)} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`)
