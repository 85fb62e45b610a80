/**
 * Which field of a request needs the grader token, found before graphql-js coerces the
 * variables.
 *
 * The resolvers of `grade` and `variant` check the token too, but they run after graphql-js
 * has coerced the variables, value by value on the main thread, and a request without the
 * token must not cost that (nor get a variable error instead of its 401). No Mercurius hook
 * that sees the parsed document comes before coercion on every run: preValidation is skipped
 * for a query text in Mercurius' cache ("The hook will not be triggered for cached queries,
 * as they are not validated", docs/hooks.md; the auth bypass this allows is
 * mercurius-js/mercurius#918), and preExecution runs after buildExecutionContext has coerced
 * the variables (index.js, fastifyGraphQl). preParsing runs on every request, with the text
 * only: so the text is parsed here, when it names a guarded field at all.
 */
import { Kind, OperationTypeNode, parse, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql'

/** The root fields that need the grader token when GRADER_TOKEN is set, by operation type. */
const GUARDED: ReadonlyMap<OperationTypeNode, ReadonlySet<string>> = new Map([
  [OperationTypeNode.QUERY, new Set(['variant'])],
  [OperationTypeNode.MUTATION, new Set(['grade'])]
])

/**
 * A GraphQL name is [_A-Za-z][_0-9A-Za-z]* (spec §2.1.9), the characters of \w, so a field
 * named `grade` is `grade` between word boundaries wherever it is written. Text without
 * either name (every computation) is not parsed here.
 */
const NAMES_GUARDED = new RegExp(`\\b(?:${[...GUARDED.values()].flatMap((names) => [...names]).join('|')})\\b`)

/**
 * The operation graphql-js executes, chosen as its buildExecutionContext does
 * (execution/execute.js): the one named `operationName`, else the only one. Undefined when
 * there is none; graphql-js then answers an error before it coerces anything.
 */
function executedOperation (document: DocumentNode, operationName: unknown): OperationDefinitionNode | undefined {
  let chosen: OperationDefinitionNode | undefined
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    if (operationName == null) {
      if (chosen !== undefined) return undefined
      chosen = definition
    } else if (definition.name?.value === operationName) {
      chosen = definition
    }
  }
  return chosen
}

/**
 * The first guarded field among the top-level selections of the operation that graphql-js
 * will execute, inline fragments and fragment spreads expanded, aliases seen through (a
 * field's name, not its response key); undefined when there is none, or when the text does
 * not parse (Mercurius then answers the syntax error, and nothing is coerced). A field under
 * `@skip(if: true)` still counts: its arguments' variables are coerced all the same.
 *
 * @param maxTokens - GRAPHQL_MAX_TOKENS, the parse option Mercurius uses, so this parse is
 *   bounded as its own is
 */
export function guardedField (source: string, operationName: unknown, maxTokens: number): FieldNode | undefined {
  if (!NAMES_GUARDED.test(source)) return undefined
  let document: DocumentNode
  try {
    document = parse(source, { maxTokens })
  } catch {
    return undefined
  }
  const operation = executedOperation(document, operationName)
  if (operation === undefined) return undefined
  const guarded = GUARDED.get(operation.operation)
  if (guarded === undefined) return undefined
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  // Iterative, each fragment once: spreads can repeat and cycle (a validation error, later).
  const spread = new Set<string>()
  const stack: SelectionSetNode[] = [operation.selectionSet]
  while (stack.length > 0) {
    for (const selection of stack.pop()!.selections) {
      if (selection.kind === Kind.FIELD) {
        if (guarded.has(selection.name.value)) return selection
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        stack.push(selection.selectionSet)
      } else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value)
        const fragment = fragments.get(selection.name.value)
        if (fragment !== undefined) stack.push(fragment.selectionSet)
      }
    }
  }
  return undefined
}
