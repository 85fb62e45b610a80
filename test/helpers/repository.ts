/**
 * The repository's files, for tests. The tests run compiled (`npm test` builds them into
 * dist/test/), so a path relative to a test file would point into dist/: paths are taken from
 * the repository's root instead, the nearest folder up with a package.json.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (from: string): string {
  let folder = from
  while (!existsSync(join(folder, 'package.json'))) folder = dirname(folder)
  return folder
}

/** The repository's root folder. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))

/** `path` (relative to the root) as an absolute path. */
export const repositoryPath = (path: string): string => join(ROOT, path)

export const readRepositoryFile = (path: string): string => readFileSync(repositoryPath(path), 'utf8')
