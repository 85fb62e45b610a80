import type { ComputationError } from '../../src/math/errors.js'

/** The error a call throws, for asserting its status and message. */
export function thrown (fn: () => unknown): ComputationError {
  try {
    fn()
  } catch (error) {
    return error as ComputationError
  }
  throw new Error('expected an error')
}
