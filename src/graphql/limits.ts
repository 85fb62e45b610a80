/**
 * Validation rules that bound the work one GraphQL document can ask for, in the spirit of
 * GraphQL Armor's max-aliases and cost-limit rules (depth and tokens are Mercurius' and
 * graphql-js' own options, see src/graphql/index.ts).
 */
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql'

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
    const fragments = new Map<string, FragmentDefinitionNode>()
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
    }
    const count = (selectionSet: SelectionSetNode, visiting: Set<string>, onlyTop: boolean): number => {
      let total = 0
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          total += 1
          if (!onlyTop && selection.selectionSet !== undefined) total += count(selection.selectionSet, visiting, false)
        } else {
          const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet
          const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined
          if (inner === undefined || (name !== undefined && visiting.has(name))) continue // unknown or cyclic: graphql-js reports it
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
