/**
 * GraphQL's bounds, declared once as settings (src/settings.ts; docs/limits.md's table comes
 * from them), and the validation rules that enforce them on one document, after GraphQL
 * Armor's max-depth, max-aliases and cost-limit rules (tokens are graphql-js' own parse
 * option, see src/graphql/index.ts). Armor's max-depth 2.4.2 and cost-limit 2.4.3 skip a
 * `__schema` field by default (`ignoreIntrospection: true`); depth and cost here skip every
 * introspection field (`__schema`, `__type`, `__typename`), so GraphiQL's schema query passes.
 * The token and alias bounds still apply to it.
 */
import { Type } from '@sinclair/typebox'
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql'
import { defaultsOf, sizeSetting as Size, type Options } from '../settings.js'

const MiB = 1024 * 1024

export const GraphqlLimitSettings = Type.Object({
  GRAPHQL_BODY_LIMIT: Size(MiB, 'request body limit of `/graphql`, bytes: GraphQL is sized for exploration, large inputs go through REST (413); see [GraphQL](graphql.md)'),
  GRAPHQL_MAX_VARIABLE_ENTRIES: Size(5000, 'values in the lists and objects of a GraphQL request\'s variables, all variables together (list items, object keys, the values inside JSON scalars), counted before graphql-js coerces them; a body holding more is refused before it is parsed (400)'),
  GRAPHQL_MAX_ANSWER_BYTES: Size(256 * 1024, 'bytes of the answers (their JSON) that GraphQL completes on the main thread for one request, all its computations together: graphql-js completes each entry of a typed list there; larger answers come from the REST route (413)'),
  GRAPHQL_MAX_DEPTH: Size(8, 'nesting depth of a GraphQL document\'s selections, fragments expanded; the schema\'s deepest path is 4 (400)'),
  GRAPHQL_MAX_ALIASES: Size(10, 'aliased fields in a GraphQL document (400)'),
  GRAPHQL_MAX_TOKENS: Size(5000, 'lexical tokens in a GraphQL document: put large inputs in variables, which do not count (400)'),
  GRAPHQL_MAX_NESTING: Type.Integer({ minimum: 1, maximum: 1000, default: 64, description: 'brackets open at once in a GraphQL document, and lists and objects nested in its variables; at most 1000, since graphql-js parses recursively (400)' }),
  GRAPHQL_MAX_FIELDS: Size(500, 'field selections in a GraphQL document, fragments expanded; also the keys of one object in the variables, since graphql-js inspects the whole object once per unknown key (400)'),
  GRAPHQL_MAX_COMPUTATIONS: Size(5, 'computations (Query fields) in one GraphQL document (400)')
})

export type GraphqlLimits = Options<typeof GraphqlLimitSettings>

export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = defaultsOf(GraphqlLimitSettings)

const isIntrospection = (name: string): boolean => name.startsWith('__')

function fragmentsOf (context: ValidationContext): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  return fragments
}

/**
 * Memoised per fragment: a chain of fragments that each spread the next twice would otherwise
 * be expanded 2^n times (found by test/http/fuzz.test.ts: 30 levels blocked the event loop for
 * minutes). A fragment's value does not depend on where it is spread; a cyclic spread counts
 * 0 (graphql-js' NoFragmentCyclesRule rejects the document anyway).
 */
function fragmentMeasure (fragments: Map<string, FragmentDefinitionNode>, measure: (selectionSet: SelectionSetNode) => number): (name: string) => number {
  const memo = new Map<string, number>()
  const visiting = new Set<string>()
  return (name) => {
    const cached = memo.get(name)
    if (cached !== undefined) return cached
    const fragment = fragments.get(name)
    if (fragment === undefined || visiting.has(name)) return 0
    visiting.add(name)
    const value = measure(fragment.selectionSet)
    visiting.delete(name)
    memo.set(name, value)
    return value
  }
}

/**
 * The error Mercurius throws for a document or variables that fail validation (its
 * MER_ERR_GQL_VALIDATION, mercurius/lib/errors.js): its route answers 400 with `errors`.
 */
export function validationError (errors: readonly GraphQLError[]): Error {
  return Object.assign(new Error('Graphql validation error'), { errors, statusCode: 400, code: 'MER_ERR_GQL_VALIDATION' })
}

/** At most `max` levels of nested fields per operation, fragments expanded. */
export function maxDepthRule (max: number) {
  return (context: ValidationContext): ASTVisitor => {
    const depth = (selectionSet: SelectionSetNode): number => {
      let deepest = 0
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD && isIntrospection(selection.name.value)) continue
        if (selection.kind === Kind.FRAGMENT_SPREAD) deepest = Math.max(deepest, fragmentDepth(selection.name.value))
        else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depth(selection.selectionSet))
        else deepest = Math.max(deepest, 1 + (selection.selectionSet === undefined ? 0 : depth(selection.selectionSet)))
      }
      return deepest
    }
    const fragmentDepth = fragmentMeasure(fragmentsOf(context), depth)
    return {
      OperationDefinition (node) {
        const found = depth(node.selectionSet)
        if (found > max) context.reportError(new GraphQLError(`the operation nests fields more than ${max} deep (GRAPHQL_MAX_DEPTH)`, { nodes: node }))
      }
    }
  }
}

/** At most `max` aliased fields in the document. */
export function maxAliasesRule (max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0
    return {
      Field (node) {
        if (node.alias !== undefined && ++aliases === max + 1) {
          context.reportError(new GraphQLError(`the document has more than ${max} aliases (GRAPHQL_MAX_ALIASES)`, { nodes: node }))
        }
      }
    }
  }
}

/**
 * At most `maxFields` field selections per operation, fragments expanded (so a fragment
 * spread many times counts many times), and at most `maxComputations` Query fields, each of
 * which is one computation.
 */
export function costRule (maxFields: number, maxComputations: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context)
    /** Field selections, fragments expanded; `onlyTop`: the operation's own fields only. */
    const counter = (onlyTop: boolean) => {
      const count = (selectionSet: SelectionSetNode): number => {
        let total = 0
        for (const selection of selectionSet.selections) {
          if (selection.kind === Kind.FIELD && isIntrospection(selection.name.value)) continue
          if (selection.kind === Kind.FRAGMENT_SPREAD) total += fragmentCount(selection.name.value)
          else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet)
          else total += 1 + (onlyTop || selection.selectionSet === undefined ? 0 : count(selection.selectionSet))
        }
        return total
      }
      const fragmentCount = fragmentMeasure(fragments, count)
      return count
    }
    const computations = counter(true)
    const fields = counter(false)
    return {
      OperationDefinition (node) {
        const asked = computations(node.selectionSet)
        if (asked > maxComputations) {
          context.reportError(new GraphQLError(`the operation asks for ${asked} computations, over the limit of ${maxComputations} (GRAPHQL_MAX_COMPUTATIONS); send them as separate requests`, { nodes: node }))
        }
        if (fields(node.selectionSet) > maxFields) {
          context.reportError(new GraphQLError(`the operation selects more than ${maxFields} fields (GRAPHQL_MAX_FIELDS)`, { nodes: node }))
        }
      }
    }
  }
}

/**
 * How deep brackets (`{`, `[`, `(`) nest in a GraphQL document, outside strings, block strings
 * and comments (the lexical grammar of the GraphQL spec, §2.1), counted up to `max + 1` and no
 * further. graphql-js parses recursively, so a list literal nested a few thousand deep (well
 * under GRAPHQL_MAX_TOKENS) overflows the stack inside parse(); this linear scan refuses it
 * before parsing.
 */
export function bracketNesting (source: string, max: number): number {
  let depth = 0
  let deepest = 0
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++
    } else if (c === '"') {
      if (source.startsWith('"""', i)) {
        // A block string ends at the next """ that is not escaped as \""".
        i += 3
        while (i < source.length && !(source.startsWith('"""', i) && source[i - 1] !== '\\')) i++
        i += 2
      } else {
        i++
        while (i < source.length && source[i] !== '"' && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1
      }
    } else if (c === '{' || c === '[' || c === '(') {
      if (++depth > deepest && (deepest = depth) > max) return deepest
    } else if (c === '}' || c === ']' || c === ')') {
      depth--
    }
  }
  return deepest
}

const JSON_START = /^\s*(?:\{\s*["}]|[["\d-]|(?:true|false|null)\s*$)/

/**
 * Whether the query text starts as JSON text does and a GraphQL document cannot (`{` then a
 * quote or `}`, `[`, a string, a number, a literal). Mercurius takes a query that graphql-js
 * cannot parse but JSON.parse can as a pre-parsed AST (mercurius/index.js, "Try to parse the
 * source as ast"), which skips GRAPHQL_MAX_TOKENS and lets malformed ASTs reach graphql-js.
 * No executable GraphQL document starts this way, so such a text is refused without
 * JSON.parse, whose cost a megabyte of `[{},{},…]` would otherwise put on the main thread.
 */
export function startsAsJson (source: string): boolean {
  return JSON_START.test(source)
}

/** The bounds variablesProblem checks (GRAPHQL_MAX_VARIABLE_ENTRIES, GRAPHQL_MAX_FIELDS, GRAPHQL_MAX_NESTING). */
export interface VariableBounds {
  maxEntries: number
  maxKeys: number
  maxNesting: number
}

/**
 * What is wrong with the shape of a request's variables, or undefined: more than `maxEntries`
 * values in lists and objects, all variables together; an object with more than `maxKeys` keys;
 * or lists and objects nested more than `maxNesting` deep. `advice` ends the entries message
 * (where large inputs go instead). Iterative, so deep JSON cannot overflow the stack here.
 *
 * Why: Mercurius has graphql-js coerce the variables before any hook that sees the document
 * runs (buildExecutionContext, then graphql-js' execute() does it again; graphql-jit's compiled
 * query does it too), value by value, on the main thread: under a microsecond per value of a
 * [Float!] list, a few per value of a list of input objects (docs/graphql.md). A list's length is counted before its items are read, so a list far over
 * the bound is refused at once; the walk never reads more than `maxEntries` values.
 * And graphql-js reports each key an input type does not define with the whole object
 * inspected into the message (values.js, coerceVariableValues), so an object of 100,000
 * unknown keys costs 50 × 1.2 MB of inspect() and 12 s before its error cap. No input type of
 * the schema has 30 fields, so `maxKeys` = GRAPHQL_MAX_FIELDS loses nothing.
 */
export function variablesProblem (variables: unknown, bounds: VariableBounds, advice: string): string | undefined {
  const { maxEntries, maxKeys, maxNesting } = bounds
  // Paths name where the problem is, cut at 60 characters (a 65-deep path is mostly "[0]").
  const child = (path: string, segment: string): string => path.endsWith('…') ? path : path.length > 60 ? `${path}…` : path + segment
  const tooMany = (path: string): string => `${path}: the variables hold more than ${maxEntries} values in lists and objects, all together (GRAPHQL_MAX_VARIABLE_ENTRIES); ${advice}`
  let entries = 0
  const stack: Array<{ value: unknown, depth: number, path: string }> = [{ value: variables, depth: 0, path: 'variables' }]
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!
    if (value === null || typeof value !== 'object') continue
    if (depth > maxNesting) return `${path}: lists and objects nest more than ${maxNesting} deep (GRAPHQL_MAX_NESTING)`
    if (Array.isArray(value)) {
      if ((entries += value.length) > maxEntries) return tooMany(path)
      for (let i = 0; i < value.length; i++) {
        if (value[i] !== null && typeof value[i] === 'object') stack.push({ value: value[i], depth: depth + 1, path: child(path, `[${i}]`) })
      }
      continue
    }
    // Object.keys reads every key (V8 has no key count without it): about as long as
    // JSON.parse took to make them, and bounded by GRAPHQL_BODY_LIMIT as that is.
    const keys = Object.keys(value)
    if (keys.length > maxKeys) return `${path}: an object with ${keys.length} keys, over the limit of ${maxKeys} (GRAPHQL_MAX_FIELDS)`
    if ((entries += keys.length) > maxEntries) return tooMany(path)
    for (const key of keys) stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: child(path, `.${key}`) })
  }
  return undefined
}
