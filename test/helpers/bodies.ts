/**
 * What the tests that walk the operations table send: each operation's examples cheap enough
 * to run many times, and its edge cases. An example estimated over CHEAP_NS (the corner
 * experiment's, which trains networks for seconds) runs once, in test/http/operations.test.ts,
 * which sends every documented example.
 */
import type { Operation } from '../../src/operations/operation.js'

/** 20 ms of estimated CPU (src/operations/*-cost.ts). */
export const CHEAP_NS = 20e6

export function tableBodies (operation: Operation): unknown[] {
  const cheap = operation.examples.filter((example) => operation.cost(example.value) < CHEAP_NS)
  return [...cheap.map((example) => example.value), ...(operation.edgeCases ?? [])]
}
