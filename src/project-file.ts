/**
 * Files of the repository read at start (the Markdown the service serves), found from
 * src/ (tsx) or from a compiled src/: dist/src/ (npm start, the container) or build/src/ (npm test).
 */
import { existsSync, readFileSync } from 'node:fs'

/**
 * @param path - relative to the repository root
 * @param roots - where the root may be, relative to this module
 * @throws {Error} naming the file and where it was looked for
 */
export function readProjectFile (path: string, roots = ['../', '../../']): string {
  for (const root of roots) {
    const url = new URL(`${root}${path}`, import.meta.url)
    if (existsSync(url)) return readFileSync(url, 'utf8')
  }
  throw new Error(`${path} not found (looked in ${roots.join(', ')} from src/)`)
}
