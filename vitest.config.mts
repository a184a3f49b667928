import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.ts', 'cli/test/**/*.spec.ts'],
    // Each file in its own process: a server's engine runtime is per process.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The type tests (*.test-d.ts) are checked by tsc, not run.
    typecheck: {
      enabled: true,
      include: ['__test__/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
})
