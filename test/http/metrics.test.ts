/**
 * GET /metrics: what Prometheus reads after traffic, checked in the text it scrapes.
 */
import t from 'tap'
import { DEFAULT_SERVICE_LIMITS } from '../../src/limits.js'
import { ServiceMetrics } from '../../src/metrics.js'
import { LoadShedder } from '../../src/http/pressure.js'
import { ComputationPool, type LaneStats } from '../../src/runtime/pool.js'
import { DEFAULT_RUNTIME } from '../../src/runtime/options.js'
import { build, post } from '../helpers/app.js'
import { loadFixture } from '../helpers/fixtures.js'
import { corner, LONG, POOLED, until } from '../helpers/pool.js'

/** The exposition's samples as `name{labels}` → value (labels as prom-client writes them, sorted by name here). */
function samples (text: string): Map<string, number> {
  const found = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    const labels = match[2] === undefined ? '' : `{${match[2].split(/,(?=[a-z_]+=")/).sort().join(',')}}`
    found.set(`${match[1]}${labels}`, Number(match[3]))
  }
  return found
}

const answers = new Map(loadFixture<{ name: string, answer: unknown }>('questions').cases.map((c) => [c.name, c.answer]))

t.test('after traffic: request histograms by route and status, graded items by outcome, the pool, the build', async (t) => {
  const app = await build(t, { commit: 'c'.repeat(40), runtime: { workers: 1 } })
  await until(() => app.computations.ready, 'the pool')
  t.equal((await post(app, '/param-count', { sizes: [2, 3] })).statusCode, 200)
  t.equal((await post(app, '/param-count', { sizes: [2, 3] })).statusCode, 200)
  t.equal((await post(app, '/param-count', { sizes: [2, -1] })).statusCode, 400)
  t.equal((await app.inject({ url: '/no-such-route?student=someone' })).statusCode, 404)
  t.equal((await post(app, '/graphql', { query: '{ paramCount(input: {sizes: [2, 3]}) { total } }' })).statusCode, 200)
  const sheet = { items: [{ question: '3.2-param-count', answer: answers.get('3.2-param-count') }, { question: '3.2-param-count', answer: 1 }, { question: '1.1-swish', answer: 'not a number' }] }
  t.strictSame((await post(app, '/grade', sheet)).json().items.map((item: { correct: boolean, invalid: boolean }) => [item.correct, item.invalid]), [[true, false], [false, false], [false, true]])
  const mutation = await post(app, '/graphql', { query: 'mutation ($input: GradeInput!) { grade(input: $input) { score } }', variables: { input: { items: [sheet.items[0]] } } })
  t.equal(mutation.json().data.grade.score, 1)

  const response = await app.inject({ url: '/metrics' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8', 'Prometheus\' text format')
  const found = samples(response.body)
  const count = (labels: string): number | undefined => found.get(`dlcheck_http_request_duration_seconds_count{${labels}}`)
  t.equal(count('method="POST",route="/param-count",status_code="200"'), 2, 'two answers to /param-count')
  t.equal(count('method="POST",route="/param-count",status_code="400"'), 1, 'one refusal, its own series')
  t.equal(count('method="GET",route="unmatched",status_code="404"'), 1, 'a 404 under `unmatched`, never its URL')
  t.equal(count('method="POST",route="/graphql",status_code="200"'), 2)
  t.equal(count('method="POST",route="/grade",status_code="200"'), 1)
  t.notOk(response.body.includes('no-such-route'), 'no raw URL in a label')
  t.equal(found.get('dlcheck_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/param-count",status_code="200"}'), 2)
  t.ok(found.get('dlcheck_http_request_duration_seconds_sum{method="POST",route="/param-count",status_code="200"}')! > 0, 'durations summed')
  t.equal(found.get('dlcheck_graded_items_total{outcome="correct",question="3.2-param-count"}'), 2, 'REST and GraphQL both counted')
  t.equal(found.get('dlcheck_graded_items_total{outcome="incorrect",question="3.2-param-count"}'), 1)
  t.equal(found.get('dlcheck_graded_items_total{outcome="invalid",question="1.1-swish"}'), 1)
  for (const lane of ['short', 'long']) {
    t.equal(found.get(`dlcheck_pool_threads{lane="${lane}"}`), 1, `${lane}: one thread`)
    t.equal(found.get(`dlcheck_pool_running_tasks{lane="${lane}"}`), 0)
    t.equal(found.get(`dlcheck_pool_queued_tasks{lane="${lane}"}`), 0)
    t.equal(found.get(`dlcheck_pool_queued_seconds{lane="${lane}"}`), 0)
  }
  t.equal(found.get('dlcheck_load_shed_requests_total'), 0)
  t.equal(found.get(`dlcheck_build_info{commit="${'c'.repeat(40)}",kernels="${app.computations.kernels}",node="${process.version}",version="0.1.0"}`), 1)
  t.ok(found.has('nodejs_eventloop_lag_seconds'), 'the event-loop delay')
  t.ok(found.has('process_cpu_seconds_total'), 'the process\'s metrics')
  t.equal(samples((await app.inject({ url: '/metrics' })).body).get('dlcheck_http_request_duration_seconds_count{method="GET",route="/metrics",status_code="200"}'), 1, 'a scrape is counted once answered')
})

t.test('the pool\'s gauges follow its lanes; no pool, no lane series', async (t) => {
  const pool = new ComputationPool({ ...POOLED, workers: 2 }, DEFAULT_SERVICE_LIMITS)
  t.teardown(() => pool.close())
  await until(() => pool.ready, 'the pool')
  const running = pool.execute(corner, LONG)
  const busy = pool.laneStats().find((lane) => lane.lane === 'long')!
  t.match(busy, { threads: 1, running: 1, queued: 0 }, 'the corner experiment runs on the long lane')
  t.ok(busy.waitSeconds > 7 && busy.waitSeconds <= 8, `its 8 s estimate is ahead of the next task: ${busy.waitSeconds} s`)
  t.match(pool.laneStats().find((lane) => lane.lane === 'short'), { threads: 2, running: 0, queued: 0, waitSeconds: 0 })
  await running
  t.strictSame(new ComputationPool({ ...POOLED, workers: 0 }, DEFAULT_SERVICE_LIMITS).laneStats(), [], 'WORKERS=0: no lanes')

  const stats: LaneStats[] = [{ lane: 'short', threads: 3, running: 2, queued: 5, waitSeconds: 1.5 }]
  const shedder = new LoadShedder(DEFAULT_RUNTIME)
  shedder.refusedTotal = 7
  const metrics = new ServiceMetrics({ laneStats: () => stats, kernels: 'js' } as unknown as ComputationPool, shedder, { version: '1.2.3', commit: null, node: 'v0' })
  const found = samples(await metrics.text())
  t.equal(found.get('dlcheck_pool_threads{lane="short"}'), 3)
  t.equal(found.get('dlcheck_pool_running_tasks{lane="short"}'), 2)
  t.equal(found.get('dlcheck_pool_queued_tasks{lane="short"}'), 5)
  t.equal(found.get('dlcheck_pool_queued_seconds{lane="short"}'), 1.5)
  t.equal(found.get('dlcheck_load_shed_requests_total'), 7, 'load shedding\'s refusals')
  t.equal(found.get('dlcheck_build_info{commit="",kernels="js",node="v0",version="1.2.3"}'), 1, 'no commit: an empty label')
  stats.length = 0
  t.notOk([...samples(await metrics.text()).keys()].some((key) => key.startsWith('dlcheck_pool_')), 'a lane gone: its series gone')
})

t.test('METRICS_TOKEN: /metrics needs it as a bearer token; other routes do not', async (t) => {
  const token = 'metrics-token-for-tests-0123'
  const app = await build(t, { metricsToken: token })
  const none = await app.inject({ url: '/metrics' })
  t.equal(none.statusCode, 401)
  t.match(none.json(), { code: 'DLCHECK_UNAUTHORIZED', message: /METRICS_TOKEN/ })
  t.match(none.headers['www-authenticate'], /^Bearer realm="dlcheck"$/)
  const wrong = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-the-metrics-token' } })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json().message, 'the bearer token is not the metrics token')
  t.match((await app.inject({ url: '/metrics', headers: { authorization: 'Basic abc' } })).json().message, 'the Authorization header must be "Bearer <METRICS_TOKEN>"')
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, '/health stays open')
  const documented = (await app.inject({ url: '/openapi.json' })).json().paths['/metrics'].get.responses['401'].content['application/json'].examples.example.value
  t.equal(documented.message, none.json().message, 'the contract shows the 401 the route sends')
})
