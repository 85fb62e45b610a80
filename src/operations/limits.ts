/**
 * The computations' documented, configurable limits, declared once (src/settings.ts): each
 * environment variable with its bounds, default and meaning. They bound what a request may
 * ask before anything large is allocated; over a limit the answer is 413 naming the limit and
 * the way around it. docs/limits.md's table is generated from this declaration. GraphQL's
 * own bounds are declared in src/graphql/limits.ts, grading's in src/grading/limits.ts.
 */
import { Type } from '@sinclair/typebox'
import { defaultsOf, envNamesOf, sizeSetting as Size, type Options } from '../settings.js'

const MiB = 1024 * 1024

export const LimitSettings = Type.Object({
  BODY_LIMIT: Size(MiB, 'request body limit in bytes, every route but `/softmax-stable`, `/hvp`, `/newton-step` and `/graphql` (413)'),
  SOFTMAX_BODY_LIMIT: Size(32 * MiB, 'request body limit of `/softmax-stable`, bytes (a million numbers is about 20 MB of JSON)'),
  SOFTMAX_MAX_ENTRIES: Size(1_000_000, 'entries of `x`, all rows together (413)'),
  CONV_MAX_DENSE_ENTRIES: Size(1_000_000, 'rows·cols of a dense conv matrix (413: use `format: "sparse"`)'),
  CONV_MAX_SPARSE_ENTRIES: Size(1_000_000, 'non-zeros of a conv matrix in any format (413)'),
  CONV_MAX_LATEX_ENTRIES: Size(10_000, 'rows·cols of a LaTeX matrix (413: use `format: "sparse"`)'),
  LATEX_MAX_ENTRIES: Size(10_000, 'numbers and table cells typeset in one LaTeX answer (`Accept: application/x-latex`, GraphQL `latex`), a conv matrix aside (413: ask for JSON)'),
  MAX_LAYERS: Size(1000, 'layers in one network, in a receptive-field or param-count request (413)'),
  HVP_BODY_LIMIT: Size(32 * MiB, 'request body limit of `/hvp` and `/newton-step`, bytes (the assignment\'s MLP needs about 12 MB)'),
  HVP_MAX_WORK: Size(100_000_000, 'MLP batch × parameters, a ninth of the multiply-adds of one HVP (413: use a smaller batch)'),
  HVP_MAX_ACTIVATIONS: Size(1_000_000, 'MLP batch × Σ layer widths, the activations kept for the backward pass (413)'),
  // About 1.3 ms of CPU per step, estimated at 1.6 ms: both networks at the maximum are
  // estimated at 19 s, inside COMPUTE_TIMEOUT_MS's 30 s (BENCHMARKS.md, *Cost model*).
  CORNER_MAX_EPOCHS: Size(6000, 'Adam steps of one `/corner-experiment` network, about 1.3 ms of CPU each; both networks at 6000 are estimated at 19 s (413)'),
  EVALUATION_MAX_WORK: Size(10_000_000, '`(breakpoints + 1) × (1 + points)` of `/relu-decomposition` and `K·d·N` of `/logistic-mixture` (413); large requests run in the worker pool')
})

/** The limits as the code reads them: `limits.softmaxMaxEntries` is SOFTMAX_MAX_ENTRIES. */
export type Limits = Options<typeof LimitSettings>

export const DEFAULT_LIMITS: Limits = defaultsOf(LimitSettings)

/** The env variable behind each limit, for messages. */
export const LIMIT_ENV = envNamesOf(LimitSettings)
