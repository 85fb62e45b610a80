/**
 * The service's documented, configurable limits (env names in parentheses, see docs/limits.md).
 * They bound what a request may ask before anything large is allocated; over a limit the
 * answer is 413 naming the limit and the way around it.
 */
export interface Limits {
  /** default body size for every route, bytes (BODY_LIMIT) */
  bodyLimit: number
  /** body size for /softmax-stable, which takes up to a million numbers, bytes (SOFTMAX_BODY_LIMIT) */
  softmaxBodyLimit: number
  /** entries of x, all rows together (SOFTMAX_MAX_ENTRIES) */
  softmaxMaxEntries: number
  /** rows·cols of a dense conv matrix (CONV_MAX_DENSE_ENTRIES) */
  convMaxDenseEntries: number
  /** non-zeros of a sparse conv matrix (CONV_MAX_SPARSE_ENTRIES) */
  convMaxSparseEntries: number
  /** rows·cols of a LaTeX conv matrix (CONV_MAX_LATEX_ENTRIES) */
  convMaxLatexEntries: number
  /** layers in a receptive-field or param-count request (MAX_LAYERS) */
  maxLayers: number
  /** body size for /hvp and /newton-step, which take whole parameter vectors, bytes (HVP_BODY_LIMIT) */
  hvpBodyLimit: number
  /** batch size × parameter count of an MLP, about a ninth of the multiply-adds of one HVP (HVP_MAX_WORK) */
  hvpMaxWork: number
  /** batch size × Σ layer widths of an MLP: the activations kept for the backward pass (HVP_MAX_ACTIVATIONS) */
  hvpMaxActivations: number
  /** nesting depth of a GraphQL document (GRAPHQL_MAX_DEPTH) */
  graphqlMaxDepth: number
  /** aliased fields in a GraphQL document (GRAPHQL_MAX_ALIASES) */
  graphqlMaxAliases: number
  /** lexical tokens in a GraphQL document; put large inputs in variables (GRAPHQL_MAX_TOKENS) */
  graphqlMaxTokens: number
  /** how deep lists and objects nest in a GraphQL document or its variables (GRAPHQL_MAX_NESTING) */
  graphqlMaxNesting: number
  /** field selections in a GraphQL document, fragments expanded (GRAPHQL_MAX_FIELDS) */
  graphqlMaxFields: number
  /** computations (Query fields) in one GraphQL document (GRAPHQL_MAX_COMPUTATIONS) */
  graphqlMaxComputations: number
  /** body size of POST /graphql, bytes: GraphQL is sized for exploration, large inputs go through REST (GRAPHQL_BODY_LIMIT) */
  graphqlBodyLimit: number
  /** values in the lists and objects of a GraphQL request's variables, all together, counted before graphql-js coerces them (GRAPHQL_MAX_VARIABLE_ENTRIES) */
  graphqlMaxVariableEntries: number
  /** bytes of the answers (their JSON) that GraphQL completes on the main thread for one request; larger answers come from REST (GRAPHQL_MAX_ANSWER_BYTES) */
  graphqlMaxAnswerBytes: number
  /** answers graded by one /grade request (GRADE_MAX_ITEMS) */
  gradeMaxItems: number
  /**
   * Adam steps of one /corner-experiment network, about 1.3 ms of CPU each and estimated at
   * 1.6 ms, so both networks at the default are estimated at 19 s, inside the 30 s budget
   * of COMPUTE_TIMEOUT_MS (CORNER_MAX_EPOCHS)
   */
  cornerMaxEpochs: number
  /** ReLU terms × points of /relu-decomposition, and K·d·N of /logistic-mixture (EVALUATION_MAX_WORK) */
  evaluationMaxWork: number
}

export const DEFAULT_LIMITS: Limits = {
  bodyLimit: 1024 * 1024,
  softmaxBodyLimit: 32 * 1024 * 1024,
  softmaxMaxEntries: 1_000_000,
  convMaxDenseEntries: 1_000_000,
  convMaxSparseEntries: 1_000_000,
  convMaxLatexEntries: 10_000,
  maxLayers: 1000,
  hvpBodyLimit: 32 * 1024 * 1024,
  hvpMaxWork: 100_000_000,
  hvpMaxActivations: 1_000_000,
  graphqlMaxDepth: 8,
  graphqlMaxAliases: 10,
  graphqlMaxTokens: 5000,
  graphqlMaxNesting: 64,
  graphqlMaxFields: 500,
  graphqlMaxComputations: 5,
  graphqlBodyLimit: 1024 * 1024,
  graphqlMaxVariableEntries: 5000,
  graphqlMaxAnswerBytes: 256 * 1024,
  gradeMaxItems: 100,
  cornerMaxEpochs: 6000,
  evaluationMaxWork: 10_000_000
}

/** The env variable behind each limit, for messages and docs/limits.md. */
export const LIMIT_ENV: Record<keyof Limits, string> = {
  bodyLimit: 'BODY_LIMIT',
  softmaxBodyLimit: 'SOFTMAX_BODY_LIMIT',
  softmaxMaxEntries: 'SOFTMAX_MAX_ENTRIES',
  convMaxDenseEntries: 'CONV_MAX_DENSE_ENTRIES',
  convMaxSparseEntries: 'CONV_MAX_SPARSE_ENTRIES',
  convMaxLatexEntries: 'CONV_MAX_LATEX_ENTRIES',
  maxLayers: 'MAX_LAYERS',
  hvpBodyLimit: 'HVP_BODY_LIMIT',
  hvpMaxWork: 'HVP_MAX_WORK',
  hvpMaxActivations: 'HVP_MAX_ACTIVATIONS',
  graphqlMaxDepth: 'GRAPHQL_MAX_DEPTH',
  graphqlMaxAliases: 'GRAPHQL_MAX_ALIASES',
  graphqlMaxTokens: 'GRAPHQL_MAX_TOKENS',
  graphqlMaxNesting: 'GRAPHQL_MAX_NESTING',
  graphqlMaxFields: 'GRAPHQL_MAX_FIELDS',
  graphqlMaxComputations: 'GRAPHQL_MAX_COMPUTATIONS',
  graphqlBodyLimit: 'GRAPHQL_BODY_LIMIT',
  graphqlMaxVariableEntries: 'GRAPHQL_MAX_VARIABLE_ENTRIES',
  graphqlMaxAnswerBytes: 'GRAPHQL_MAX_ANSWER_BYTES',
  gradeMaxItems: 'GRADE_MAX_ITEMS',
  cornerMaxEpochs: 'CORNER_MAX_EPOCHS',
  evaluationMaxWork: 'EVALUATION_MAX_WORK'
}
