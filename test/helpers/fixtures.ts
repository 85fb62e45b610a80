/** Reference values written by scripts/reference/generate.py (PyTorch, mpmath); see its README. */
import { readFileSync } from 'node:fs'

export interface Fixture<C> { generator: string, source: string, cases: C[] }

export function loadFixture<C> (name: string): Fixture<C> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture<C>
}
