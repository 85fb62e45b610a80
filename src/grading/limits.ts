/** Grading's bounds, declared once as a setting (src/settings.ts: docs/limits.md's table comes from it). */
import { Type } from '@sinclair/typebox'
import { defaultsOf, sizeSetting as Size, type Options } from '../settings.js'

export const GradingLimitSettings = Type.Object({
  GRADE_MAX_ITEMS: Size(100, 'answers graded by one `/grade` request or `grade` mutation (413)'),
  ROSTER_MAX_STUDENTS: Size(1000, 'students in one `POST /variants` roster (413); the JSON of a thousand, every question with its statement, is about 8 MB')
})

export type GradingLimits = Options<typeof GradingLimitSettings>

export const DEFAULT_GRADING_LIMITS: GradingLimits = defaultsOf(GradingLimitSettings)
