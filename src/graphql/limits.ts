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

/** The selection sets a selection stands for: its own, or its fragment's (unknown or cyclic: none). */
function innerSelections (selection: SelectionSetNode['selections'][number], fragments: Map<string, FragmentDefinitionNode>, visiting: Set<string>): SelectionSetNode | undefined {
  if (selection.kind === Kind.FIELD) return selection.selectionSet
  if (selection.kind === Kind.INLINE_FRAGMENT) return selection.selectionSet
  return visiting.has(selection.name.value) ? undefined : fragments.get(selection.name.value)?.selectionSet
}

/** At most `max` levels of nested fields per operation, fragments expanded. */
export function maxDepthRule (max: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context)
    const depth = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let deepest = 0
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD && isIntrospection(selection.name.value)) continue
        const inner = innerSelections(selection, fragments, visiting)
        const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined
        if (name !== undefined) visiting.add(name)
        const below = inner === undefined ? 0 : depth(inner, visiting)
        if (name !== undefined) visiting.delete(name)
        deepest = Math.max(deepest, selection.kind === Kind.FIELD ? 1 + below : below)
        if (deepest > max) break // enough to know it is over
      }
      return deepest
    }
    return {
      OperationDefinition (node) {
        const found = depth(node.selectionSet, new Set())
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
    const count = (selectionSet: SelectionSetNode, visiting: Set<string>, onlyTop: boolean): number => {
      let total = 0
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD && isIntrospection(selection.name.value)) continue
        const inner = innerSelections(selection, fragments, visiting)
        const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined
        if (selection.kind === Kind.FIELD) total += 1
        if (inner !== undefined && !(onlyTop && selection.kind === Kind.FIELD)) {
          if (name !== undefined) visiting.add(name)
          total += count(inner, visiting, onlyTop)
          if (name !== undefined) visiting.delete(name)
        }
        if (total > maxFields) return total // enough to know it is over
      }
      return total
    }
    return {
      OperationDefinition (node) {
        const computations = count(node.selectionSet, new Set(), true)
        if (computations > maxComputations) {
          context.reportError(new GraphQLError(`the operation asks for ${computations} computations, over the limit of ${maxComputations} (GRAPHQL_MAX_COMPUTATIONS); send them as separate requests`, { nodes: node }))
        }
        const fields = count(node.selectionSet, new Set(), false)
        if (fields > maxFields) {
          context.reportError(new GraphQLError(`the operation selects more than ${maxFields} fields (GRAPHQL_MAX_FIELDS)`, { nodes: node }))
        }
      }
    }
  }
}
