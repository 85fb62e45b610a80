/**
 * Every limit of the service, each declared beside what it bounds: the computations' in
 * src/operations/limits.ts, GraphQL's in src/graphql/limits.ts, grading's in
 * src/grading/limits.ts. The app takes them as one object.
 */
import { DEFAULT_GRADING_LIMITS, GradingLimitSettings, type GradingLimits } from './grading/limits.js'
import { DEFAULT_GRAPHQL_LIMITS, GraphqlLimitSettings, type GraphqlLimits } from './graphql/limits.js'
import { DEFAULT_LIMITS, LimitSettings, type Limits } from './operations/limits.js'

export type ServiceLimits = Limits & GraphqlLimits & GradingLimits

/** The declarations, in the order docs/limits.md lists them. */
export const LIMIT_SETTINGS = [LimitSettings, GraphqlLimitSettings, GradingLimitSettings] as const

export const DEFAULT_SERVICE_LIMITS: ServiceLimits = { ...DEFAULT_LIMITS, ...DEFAULT_GRAPHQL_LIMITS, ...DEFAULT_GRADING_LIMITS }
