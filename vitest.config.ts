import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // dist/ must be built from these sources before the end-to-end tests run it (rebuilt locally, refused in CI).
    globalSetup: ['__tests__/global-setup.ts'],
    // Emulators listen on 127.0.0.1 and some tests wait through real (short) backoffs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
