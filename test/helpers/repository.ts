/**
 * The repository's files, for tests. The tests run compiled (`npm test` builds them into
 * build/test/), so a path relative to a test file would point into build/: paths are taken
 * from the repository's root instead, the nearest folder up with a package.json.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder
    if (dirname(folder) === folder) throw new Error(`no package.json above ${from}`)
  }
}

/** The repository's root folder. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))

/** `path` (relative to the root) as an absolute path. */
export const repositoryPath = (path: string): string => join(ROOT, path)

export const readRepositoryFile = (path: string): string => readFileSync(repositoryPath(path), 'utf8')
