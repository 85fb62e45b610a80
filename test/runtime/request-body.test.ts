/**
 * Where a body stops being JSON (src/runtime/request-body.ts): the scan agrees with
 * JSON.parse on what is JSON, and points at the first character that cannot continue it.
 */
import fc from 'fast-check'
import t from 'tap'
import { jsonErrorOffset } from '../../src/runtime/request-body.js'

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

t.test('the offset of the first character that cannot continue a JSON text', async (t) => {
  const cases: Array<[string, number]> = [
    ['{"beta": 0,5}', 11],
    ['{"x": [1, 2', 11],
    ['{"x": [1,,2]}', 9],
    ['{"a":1}x', 7],
    ['{"a":"\\q"}', 7],
    ['"\\u12g4"', 2],
    ['"\\', 2],
    ['"\u0001"', 1],
    ['"open', 5],
    ['{"a" 1}', 5],
    ['{1: 2}', 1],
    ['{"a": 1 "b": 2}', 8],
    ['[tru]', 1],
    ['[1 2]', 3],
    ['-', 0],
    ['01', 1],
    [' {', 2],
    ['{"a":{}}', -1],
    ['[[], {}, "", true, false, null, -0.5e+3, "\\u00e9\\n"]', -1],
    [' 1 ', -1]
  ]
  for (const [text, offset] of cases) {
    t.equal(jsonErrorOffset(text), offset, JSON.stringify(text))
    t.equal(isJson(text), offset === -1, `${JSON.stringify(text)}: JSON.parse agrees`)
  }
})

t.test('it agrees with JSON.parse on JSON texts and on damaged ones', async (t) => {
  const damaged = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', 'x', ' ')).map(([text, at, insert]) => {
    const i = at % (text.length + 1)
    return text.slice(0, i) + insert + text.slice(i + (insert === '' ? 1 : 0))
  })
  fc.assert(fc.property(fc.oneof(fc.json(), damaged), (text) => (jsonErrorOffset(text) === -1) === isJson(text)), { numRuns: 2000, seed: 20261206 })
  t.pass('2000 texts')
})
