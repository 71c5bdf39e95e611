// Lint with the Fastify ecosystem's own style (neostandard), TypeScript-aware.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'bench/.data/**', 'bench/results/**']
  }),
  {
    rules: {
      // `void promise` as a statement marks a deliberate fire-and-forget whose errors are handled inside.
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
