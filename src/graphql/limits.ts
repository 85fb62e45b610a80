/**
 * Validation rules that bound the work one GraphQL document can ask for, after GraphQL
 * Armor's max-depth, max-aliases and cost-limit rules (tokens are graphql-js' own parse
 * option, see src/graphql/index.ts). As Armor does by default (ignoreIntrospection), depth
 * and cost skip introspection fields (`__schema`, `__type`), so GraphiQL's schema query
 * passes; the token and alias bounds still apply to it.
 */
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql'

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
