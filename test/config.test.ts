import t from 'tap'
import { loadConfig } from '../src/config.js'
import { DEFAULT_LIMITS } from '../src/operations/limits.js'

t.test('defaults: PORT 3000, HOST 127.0.0.1, the documented limits', async (t) => {
  t.strictSame(loadConfig({}), { port: 3000, host: '127.0.0.1', logLevel: 'info', limits: DEFAULT_LIMITS })
})

t.test('every limit is configurable by env', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'warn',
    BODY_LIMIT: '2048',
    SOFTMAX_BODY_LIMIT: '4096',
    SOFTMAX_MAX_ENTRIES: '10',
    CONV_MAX_DENSE_ENTRIES: '11',
    CONV_MAX_SPARSE_ENTRIES: '12',
    CONV_MAX_LATEX_ENTRIES: '13',
    MAX_LAYERS: '14',
    HVP_BODY_LIMIT: '15',
    HVP_MAX_WORK: '16',
    HVP_MAX_ACTIVATIONS: '17',
    GRAPHQL_MAX_DEPTH: '18',
    GRAPHQL_MAX_ALIASES: '19',
    GRAPHQL_MAX_TOKENS: '20',
    GRAPHQL_MAX_FIELDS: '21',
    GRAPHQL_MAX_COMPUTATIONS: '22',
    UNRELATED: 'ignored',
    MAX_LAYER: ''
  })
  t.strictSame(config, {
    port: 8080,
    host: '0.0.0.0',
    logLevel: 'warn',
    limits: { bodyLimit: 2048, softmaxBodyLimit: 4096, softmaxMaxEntries: 10, convMaxDenseEntries: 11, convMaxSparseEntries: 12, convMaxLatexEntries: 13, maxLayers: 14, hvpBodyLimit: 15, hvpMaxWork: 16, hvpMaxActivations: 17, graphqlMaxDepth: 18, graphqlMaxAliases: 19, graphqlMaxTokens: 20, graphqlMaxFields: 21, graphqlMaxComputations: 22 }
  })
  t.equal(loadConfig({ PORT: '' }).port, 3000, 'an empty variable means the default')
})

t.test('a bad value stops the service with the variable named', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), /invalid configuration: PORT="eighty"/)
  t.throws(() => loadConfig({ MAX_LAYERS: '2.5' }), /MAX_LAYERS="2.5": Expected integer/)
  t.throws(() => loadConfig({ SOFTMAX_MAX_ENTRIES: '0' }), /SOFTMAX_MAX_ENTRIES="0"/)
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud"/)
})
