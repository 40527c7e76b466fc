import { defineConfig } from 'vitest/config'

/** e2e and browser tests both run the built server against a real database. */
const SERVER_TESTS = {
  environment: 'node' as const,
  globalSetup: 'test/global-setup.ts',
  testTimeout: 60_000,
  hookTimeout: 180_000,
  // each file starts its own server; two cores
  fileParallelism: false,
  // web-first waits: a page that is slow under a loaded machine is waited for, a wrong one still fails (at 10 s)
  expect: { poll: { timeout: 10_000 } },
}

export default defineConfig({
  test: {
    projects: [
      {
        // an embedded database made in a hook took over 10 s (vitest's default) on a 2-core machine under load
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000, hookTimeout: 60_000 },
      },
      {
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...SERVER_TESTS },
      },
      {
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...SERVER_TESTS },
      },
    ],
  },
})
