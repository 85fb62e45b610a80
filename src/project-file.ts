/**
 * Files of the repository read at start (the Markdown the service serves), found from
 * src/ (tsx) or from a compiled src/: dist/src/ (npm start, the container) or build/src/ (npm test).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * @param path - relative to the repository root
 * @param roots - where the root may be, relative to this module
 * @throws {Error} naming the file and where it was looked for
 */
export function readProjectFile (path: string, roots = ['../', '../../']): string {
  return readFileSync(projectUrl(path, roots), 'utf8')
}

/** Where a repository file is: the first of `roots` that holds it. */
function projectUrl (path: string, roots = ['../', '../../']): URL {
  for (const root of roots) {
    const url = new URL(`${root}${path}`, import.meta.url)
    if (existsSync(url)) return url
  }
  throw new Error(`${path} not found (looked in ${roots.join(', ')} from src/)`)
}

/**
 * The commit checked out where the service runs from (`git rev-parse HEAD`), for GET /version
 * when GIT_COMMIT does not say; undefined without git or outside a checkout (the image: its
 * build passes GIT_COMMIT instead). Run once, at start.
 *
 * @param directory - where to ask (default: the repository root, found as readProjectFile finds files)
 */
export function checkoutCommit (directory = fileURLToPath(new URL('.', projectUrl('package.json')))): string | undefined {
  try {
    // A checkout without a commit yet fails too (git exits 128).
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: directory, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}
