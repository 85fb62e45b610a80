import t from 'tap'
import { loadConfig } from '../src/config.js'
import { DEFAULT_SERVICE_LIMITS } from '../src/limits.js'
import { DEFAULT_RUNTIME } from '../src/runtime/options.js'

t.test('defaults: PORT 3000, HOST 127.0.0.1, the documented limits', async (t) => {
  t.strictSame(loadConfig({}), { port: 3000, host: '127.0.0.1', logLevel: 'info', limits: DEFAULT_SERVICE_LIMITS, runtime: DEFAULT_RUNTIME, grading: { graderToken: undefined, variantSecret: undefined, computations: 'open', publicUrl: undefined }, commit: undefined, metricsToken: undefined })
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
    LATEX_MAX_ENTRIES: '45',
    MAX_LAYERS: '14',
    HVP_BODY_LIMIT: '15',
    HVP_MAX_WORK: '16',
    HVP_MAX_ACTIVATIONS: '17',
    GRAPHQL_MAX_DEPTH: '18',
    GRAPHQL_MAX_ALIASES: '19',
    GRAPHQL_MAX_TOKENS: '20',
    GRAPHQL_MAX_NESTING: '34',
    GRAPHQL_MAX_FIELDS: '21',
    GRAPHQL_MAX_COMPUTATIONS: '22',
    GRAPHQL_BODY_LIMIT: '37',
    GRAPHQL_MAX_VARIABLE_ENTRIES: '38',
    GRAPHQL_MAX_ANSWER_BYTES: '43',
    GRADE_MAX_ITEMS: '23',
    CORNER_MAX_EPOCHS: '35',
    EVALUATION_MAX_WORK: '36',
    WORKERS: '0',
    LONG_WORKERS: '40',
    LONG_TASK_MS: '41',
    WORKER_BODY_BYTES: '42',
    QUEUE_LIMIT: '24',
    COMPUTE_TIMEOUT_MS: '25',
    INLINE_COST_LIMIT: '26',
    RATE_LIMIT_MAX: '27',
    RATE_LIMIT_WINDOW_MS: '28',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    MAX_HEAP_USED_BYTES: '29',
    REQUEST_TIMEOUT_MS: '30',
    CONNECTION_TIMEOUT_MS: '31',
    KEEP_ALIVE_TIMEOUT_MS: '32',
    SHUTDOWN_TIMEOUT_MS: '33',
    TRUST_PROXY: 'true',
    MATRIX_BACKEND: 'js',
    GRADER_TOKEN: 'a-grader-token-of-some-length',
    VARIANT_SECRET: 'a-variant-secret-of-some-length',
    COMPUTATIONS: 'token',
    PUBLIC_URL: 'https://dlcheck.example.edu:8443',
    ROSTER_MAX_STUDENTS: '44',
    NODE_ENV: 'production',
    GIT_COMMIT: '540eba1',
    METRICS_TOKEN: 'a-metrics-token-of-some-length',
    UNRELATED: 'ignored',
    MAX_LAYER: ''
  })
  t.strictSame(config, {
    port: 8080,
    host: '0.0.0.0',
    logLevel: 'warn',
    limits: { bodyLimit: 2048, softmaxBodyLimit: 4096, softmaxMaxEntries: 10, convMaxDenseEntries: 11, convMaxSparseEntries: 12, convMaxLatexEntries: 13, latexMaxEntries: 45, maxLayers: 14, hvpBodyLimit: 15, hvpMaxWork: 16, hvpMaxActivations: 17, graphqlMaxDepth: 18, graphqlMaxAliases: 19, graphqlMaxTokens: 20, graphqlMaxNesting: 34, graphqlMaxFields: 21, graphqlMaxComputations: 22, graphqlBodyLimit: 37, graphqlMaxVariableEntries: 38, graphqlMaxAnswerBytes: 43, gradeMaxItems: 23, rosterMaxStudents: 44, cornerMaxEpochs: 35, evaluationMaxWork: 36 },
    runtime: { workers: 0, longWorkers: 40, longTaskMs: 41, workerBodyBytes: 42, queueLimit: 24, computeTimeoutMs: 25, inlineCostLimit: 26, rateLimitMax: 27, rateLimitWindowMs: 28, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 29, requestTimeoutMs: 30, connectionTimeoutMs: 31, keepAliveTimeoutMs: 32, shutdownTimeoutMs: 33, trustProxy: true, matrixBackend: 'js' },
    grading: { graderToken: 'a-grader-token-of-some-length', variantSecret: 'a-variant-secret-of-some-length', computations: 'token', publicUrl: 'https://dlcheck.example.edu:8443' },
    commit: '540eba1',
    metricsToken: 'a-metrics-token-of-some-length'
  })
  for (const bad of ['dlcheck.example.edu', 'https://dlcheck.example.edu/', 'https://dlcheck.example.edu/path', 'ftp://x']) {
    t.throws(() => loadConfig({ PUBLIC_URL: bad }), { message: /^invalid configuration: PUBLIC_URL=".*": Expected string to match/ }, bad)
  }
  t.equal(loadConfig({ PORT: '' }).port, 3000, 'an empty variable means the default')
})

t.test('GIT_COMMIT: lower-case hex, 7 to 64 digits', async (t) => {
  t.equal(loadConfig({ GIT_COMMIT: '540eba1' }).commit, '540eba1')
  t.equal(loadConfig({ GIT_COMMIT: 'a'.repeat(40) }).commit, 'a'.repeat(40))
  for (const bad of ['540EBA1', '540eb', 'main', 'a'.repeat(65)]) {
    t.throws(() => loadConfig({ GIT_COMMIT: bad }), { message: /^invalid configuration: GIT_COMMIT=".*": Expected string to match/ }, bad)
  }
})

t.test('a bad value stops the service with the variable named', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), /invalid configuration: PORT="eighty"/)
  t.throws(() => loadConfig({ MAX_LAYERS: '2.5' }), /MAX_LAYERS="2.5": Expected integer/)
  t.throws(() => loadConfig({ SOFTMAX_MAX_ENTRIES: '0' }), /SOFTMAX_MAX_ENTRIES="0"/)
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud"/)
  t.throws(() => loadConfig({ TRUST_PROXY: 'yes' }), /TRUST_PROXY="yes"/)
  t.throws(() => loadConfig({ MATRIX_BACKEND: 'gpu' }), /MATRIX_BACKEND="gpu"/)
  t.throws(() => loadConfig({ WORKERS: '-1' }), /WORKERS="-1"/)
  t.throws(() => loadConfig({ GRAPHQL_MAX_NESTING: '1001' }), /GRAPHQL_MAX_NESTING="1001": Expected integer to be less or equal to 1000/, 'deeper would overflow graphql-js\' parser')
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).runtime.trustProxy, false)
})

t.test('grading secrets: checked at start, never echoed', async (t) => {
  const canary = 'CANARY-short'
  let message = ''
  try {
    loadConfig({ GRADER_TOKEN: canary, VARIANT_SECRET: `${canary}-x`, METRICS_TOKEN: `${canary}-y` })
  } catch (error) {
    message = (error as Error).message
  }
  t.match(message, 'GRADER_TOKEN=(12 characters, not shown): Expected string length greater or equal to 16')
  t.match(message, 'VARIANT_SECRET=(14 characters, not shown)')
  t.match(message, 'METRICS_TOKEN=(14 characters, not shown)')
  t.throws(() => loadConfig({ METRICS_TOKEN: '' }), /METRICS_TOKEN is empty; set it/, 'an empty metrics token is a secret left unfilled, not "no token"')
  t.notMatch(message, 'CANARY', 'the values are not in the message')
  t.throws(() => loadConfig({ GRADER_TOKEN: 'a-grader-token-of-some-length' }), /GRADER_TOKEN is set but VARIANT_SECRET is not; set VARIANT_SECRET/, 'a token without a secret would give each replica its own variants')
  t.strictSame(loadConfig({ VARIANT_SECRET: 'a-variant-secret-of-some-length' }).grading, { graderToken: undefined, variantSecret: 'a-variant-secret-of-some-length', computations: 'open', publicUrl: undefined }, 'a secret alone: open grading, stable variants')
})

t.test('production fails closed: no grader token, no start, unless grading is opened on purpose', async (t) => {
  const secrets = { GRADER_TOKEN: 'a-grader-token-of-some-length', VARIANT_SECRET: 'a-variant-secret-of-some-length' }
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), /NODE_ENV=production and GRADER_TOKEN is not set.*set GRADER_TOKEN and VARIANT_SECRET.*or GRADING=open/)
  t.throws(() => loadConfig({ NODE_ENV: 'production', VARIANT_SECRET: secrets.VARIANT_SECRET }), /GRADER_TOKEN is not set/, 'a variant secret does not close grading')
  t.equal(loadConfig({ NODE_ENV: 'production', ...secrets }).grading.graderToken, secrets.GRADER_TOKEN)
  t.equal(loadConfig({ NODE_ENV: 'production', GRADING: 'open' }).grading.graderToken, undefined, 'GRADING=open: open on purpose')
  t.equal(loadConfig({}).grading.graderToken, undefined, 'outside production an unset token still starts (with a warning)')
  t.throws(() => loadConfig({ GRADING: 'open', ...secrets }), /GRADING=open and GRADER_TOKEN are both set/)
  t.throws(() => loadConfig({ GRADING: 'closed' }), /GRADING="closed"/)
  t.throws(() => loadConfig({ COMPUTATIONS: 'token' }), /COMPUTATIONS=token needs GRADER_TOKEN/)
  t.throws(() => loadConfig({ COMPUTATIONS: 'closed', ...secrets }), /COMPUTATIONS="closed"/)
})
