/**
 * The service's documented, configurable limits (env names in parentheses, see README).
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
}

export const DEFAULT_LIMITS: Limits = {
  bodyLimit: 1024 * 1024,
  softmaxBodyLimit: 32 * 1024 * 1024,
  softmaxMaxEntries: 1_000_000,
  convMaxDenseEntries: 1_000_000,
  convMaxSparseEntries: 1_000_000,
  convMaxLatexEntries: 10_000,
  maxLayers: 1000
}

/** The env variable behind each limit, for messages and the README. */
export const LIMIT_ENV: Record<keyof Limits, string> = {
  bodyLimit: 'BODY_LIMIT',
  softmaxBodyLimit: 'SOFTMAX_BODY_LIMIT',
  softmaxMaxEntries: 'SOFTMAX_MAX_ENTRIES',
  convMaxDenseEntries: 'CONV_MAX_DENSE_ENTRIES',
  convMaxSparseEntries: 'CONV_MAX_SPARSE_ENTRIES',
  convMaxLatexEntries: 'CONV_MAX_LATEX_ENTRIES',
  maxLayers: 'MAX_LAYERS'
}
