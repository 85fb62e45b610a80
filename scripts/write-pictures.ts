/**
 * Writes docs/pictures/*.svg, the pictures docs/api.md shows, from PICTURE_EXAMPLES through the
 * same operations and renderers the service uses; test/readme.test.ts checks they are current.
 * Usage: npm run pictures
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { renderPictureExamples } from '../src/http/pictures.js'

const directory = new URL('../docs/pictures/', import.meta.url)
mkdirSync(directory, { recursive: true })
for (const { file, svg } of renderPictureExamples()) {
  writeFileSync(new URL(file, directory), svg)
  console.log(`docs/pictures/${file}: ${svg.length} bytes`)
}
