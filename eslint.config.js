// neostandard (the standard style, for TypeScript too), as fastify/demo lints: `npm run lint`.
import neostandard from 'neostandard'

export default [
  // wasm/ is AssemblyScript (its `@inline` and v128 are not TypeScript); its build is checked by
  // test/math/wasm-build.test.ts instead.
  { ignores: ['dist/', 'build/', 'coverage/', '.tap/', 'node_modules/', 'wasm/'] },
  ...neostandard({ ts: true }),
  {
    rules: {
      // TypeBox's idiom declares a schema and its type under one name
      // (`const Grade = Type.Object(…)`, `type Grade = Static<typeof Grade>`), which TypeScript
      // merges; the rule is for JavaScript's redeclarations.
      '@typescript-eslint/no-redeclare': 'off',
      // `void reply.header(…)`: Fastify's reply is a thenable; void says it is not awaited on purpose.
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
