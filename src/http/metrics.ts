/**
 * GET /metrics and the hook that times every answer for it (what is reported: src/metrics.ts).
 * With METRICS_TOKEN set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (Prometheus'
 * scrape_config `authorization`): the metrics name no student and no answer, but they show a
 * course's traffic and its success rate per question, which is the staff's to see.
 */
import type { FastifyInstance } from 'fastify'
import { BearerToken } from '../grading/access.js'
import { ServiceMetrics, type BuildInfo } from '../metrics.js'
import type { ComputationPool } from '../runtime/pool.js'
import { METRICS_TOKEN_MISSING, METRICS_UNAUTHORIZED } from './openapi.js'
import type { LoadShedder } from './pressure.js'

/**
 * @param token - METRICS_TOKEN: when set, /metrics needs it as a bearer token
 */
export function registerMetrics (app: FastifyInstance, pool: ComputationPool, shedder: LoadShedder, build: BuildInfo, token?: string): void {
  const metrics = new ServiceMetrics(pool, shedder, build)
  app.decorate('metrics', metrics)
  // Callback style: no promise per request. Fastify's onResponse runs once the answer is sent,
  // for every route and for the 404 handler.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })
  const bearer = token === undefined ? undefined : new BearerToken(token, 'metrics token', 'METRICS_TOKEN')
  if (bearer === undefined) app.log.info('GET /metrics is open (METRICS_TOKEN is not set): keep it off public routes, or set METRICS_TOKEN')
  app.get('/metrics', {
    // Scraped however loaded the service is: that is when the numbers matter.
    config: { loadShedding: false, rateLimit: false },
    onRequest: bearer === undefined ? [] : async (request) => bearer.check(request.headers.authorization, METRICS_TOKEN_MISSING),
    schema: {
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description: 'Prometheus\' text format: request durations by route and status, the worker pool\'s threads, running and queued tasks and estimated queued seconds per lane, ' +
        'load-shed requests, graded items by question and outcome, and the process\'s CPU, memory, GC and event-loop delay. With METRICS_TOKEN set, needs Authorization: Bearer <METRICS_TOKEN>.',
      tags: ['operations'],
      response: {
        200: { description: 'the metrics (text/plain; version=0.0.4)', content: { 'text/plain': { schema: { type: 'string' } } } },
        401: METRICS_UNAUTHORIZED
      }
    }
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return await metrics.text()
  })
}
