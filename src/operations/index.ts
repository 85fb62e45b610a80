/** The table of computations: the REST routes, GraphQL's fields and schema, and OpenAPI are generated from it. */
import { convMatrixOperation } from './conv-matrix.js'
import { cornerExperimentOperation } from './corner-experiment.js'
import { logisticMixtureOperation } from './logistic-mixture.js'
import { reluDecompositionOperation } from './relu-decomposition.js'
import { swishOperation } from './swish.js'
import { hessianSpectrumOperation } from './hessian-spectrum.js'
import { hvpOperation } from './hvp.js'
import { newtonStepOperation } from './newton-step.js'
import type { Operation } from './operation.js'
import { paramCountOperation } from './param-count.js'
import { receptiveFieldOperation } from './receptive-field.js'
import { softmaxStableOperation } from './softmax-stable.js'

export const operations: readonly Operation[] = [
  softmaxStableOperation,
  convMatrixOperation,
  receptiveFieldOperation,
  paramCountOperation,
  hvpOperation,
  newtonStepOperation,
  hessianSpectrumOperation,
  swishOperation,
  reluDecompositionOperation,
  logisticMixtureOperation,
  cornerExperimentOperation
]
