/**
 * Settings declared once, as fastify/demo declares its environment: a TypeBox object whose
 * keys are the environment variables and whose properties say the type, the bounds, the
 * default and what the setting means. The options object the code reads (camelCase keys,
 * `BODY_LIMIT` → `bodyLimit`), its defaults, the env-variable names used in messages, the
 * configuration's validation (src/config.ts) and the table of docs/limits.md
 * (`npm run generate`) are all derived from it.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'

/** `SOFTMAX_MAX_ENTRIES` → `softmaxMaxEntries` */
export type OptionName<E extends string> = E extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<OptionName<Tail>>}` : Lowercase<E>

/** The options a settings object declares, by their camelCase names. */
export type Options<T extends TObject> = { -readonly [K in keyof T['properties'] & string as OptionName<K>]: Static<T['properties'][K]> }

/** A setting's schema: a TypeBox schema with a default, and, where the default depends on the machine, how to write it. */
export type Setting = TSchema & { default: unknown, defaultText?: string }

/** A size, a duration or a count that cannot be 0: an integer of at least 1. */
export const sizeSetting = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description })

/** A count where 0 means "off" (or, for WORKERS, "no pool"); `defaultText` where the default depends on the machine. */
export const countSetting = (fallback: number, description: string, defaultText?: string) =>
  Type.Integer({ minimum: 0, default: fallback, description, ...(defaultText !== undefined && { defaultText }) })

export function optionName (env: string): string {
  return env.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

/** Each option's default. */
export function defaultsOf<T extends TObject> (settings: T): Options<T> {
  return Object.fromEntries(Object.entries(settings.properties).map(([env, schema]) => [optionName(env), (schema as Setting).default])) as Options<T>
}

/** Each option's environment variable, for messages that say which setting to change. */
export function envNamesOf<T extends TObject> (settings: T): Record<keyof Options<T>, string> {
  return Object.fromEntries(Object.keys(settings.properties).map((env) => [optionName(env), env])) as Record<keyof Options<T>, string>
}

/** The options in a validated environment (keys: env names). */
export function optionsOf<T extends TObject> (settings: T, environment: Record<string, unknown>): Options<T> {
  return Object.fromEntries(Object.keys(settings.properties).map((env) => [optionName(env), environment[env]])) as Options<T>
}

/** A Markdown table of settings: variable, default, meaning. */
export function settingsTable (settings: readonly TObject[]): string {
  const rows = settings.flatMap((object) => Object.entries(object.properties).map(([env, schema]) => {
    const setting = schema as Partial<Setting>
    const text = setting.defaultText ?? (setting.default === undefined ? 'unset' : `\`${String(setting.default)}\``)
    return `| \`${env}\` | ${text} | ${(setting.description ?? '').replace(/\|/g, '\\|')} |`
  }))
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}
