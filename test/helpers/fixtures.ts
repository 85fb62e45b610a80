/** Reference values written by scripts/reference/generate.py (PyTorch, mpmath); see its README. */
import { readRepositoryFile } from './repository.js'

export interface Fixture<C> { generator: string, source: string, cases: C[] }

export function loadFixture<C> (name: string): Fixture<C> {
  return JSON.parse(readRepositoryFile(`test/fixtures/${name}.json`)) as Fixture<C>
}
