import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.ts'],
    // Each file in its own process: the engine's runtime is per process.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
