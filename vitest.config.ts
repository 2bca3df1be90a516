import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // dist/ must be built from these sources before the end-to-end tests run it (rebuilt locally, refused in CI).
    globalSetup: ['__tests__/global-setup.ts'],
    // Emulators listen on 127.0.0.1 and some tests wait through real (short) backoffs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most files wait on child processes and emulators, not the CPU: vitest's default (cores - 1) ran
    // them one at a time on a 2-core CI machine. Two at a time halves the suite's wall time there.
    maxWorkers: Math.max(2, availableParallelism()),
  },
})
