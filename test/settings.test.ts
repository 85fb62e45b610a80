/** Settings declared once (src/settings.ts): the names, defaults and table derived from a declaration. */
import { Type } from '@sinclair/typebox'
import t from 'tap'
import { defaultsOf, envNamesOf, optionName, optionsOf, settingsTable } from '../src/settings.js'

const Toy = Type.Object({
  MAX_LAYERS: Type.Integer({ default: 3, description: 'layers | at most' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  SECRET: Type.Optional(Type.String({ description: 'unset by default' })),
  WORKERS: Type.Integer({ default: 7, defaultText: 'CPUs − 1' })
})

t.test('env names become camelCase options', async (t) => {
  t.equal(optionName('SOFTMAX_MAX_ENTRIES'), 'softmaxMaxEntries')
  t.equal(optionName('PORT'), 'port')
  t.strictSame(defaultsOf(Toy), { maxLayers: 3, trustProxy: false, secret: undefined, workers: 7 })
  t.strictSame(envNamesOf(Toy), { maxLayers: 'MAX_LAYERS', trustProxy: 'TRUST_PROXY', secret: 'SECRET', workers: 'WORKERS' })
  t.strictSame(optionsOf(Toy, { MAX_LAYERS: 5, TRUST_PROXY: true, WORKERS: 1, OTHER: 2 }), { maxLayers: 5, trustProxy: true, secret: undefined, workers: 1 })
})

t.test('the table: one row per setting, its default written as the code has it or as declared', async (t) => {
  t.equal(settingsTable([Toy]), [
    '| variable | default | meaning |',
    '|---|---|---|',
    '| `MAX_LAYERS` | `3` | layers \\| at most |',
    '| `TRUST_PROXY` | `false` |  |',
    '| `SECRET` | unset | unset by default |',
    '| `WORKERS` | CPUs − 1 |  |'
  ].join('\n'))
})
