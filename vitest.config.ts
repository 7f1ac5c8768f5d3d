import { defineConfig } from 'vitest/config';

/**
 * Two projects over one suite: every `*.test.ts` runs on SQLite; with TEST_DATABASE_URL set the
 * same files run again on PostgreSQL (each test app in a schema of its own). `*.sqlite.test.ts`
 * and `*.pg.test.ts` hold what only makes sense on one engine.
 */
const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) {
  // One line so a run without PostgreSQL says what it did not test.
  console.log('PostgreSQL suite skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test).');
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true as const,
        test: {
          name: 'sqlite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.pg.test.ts', 'test/console/**', '**/node_modules/**'],
          env: { TEST_ENGINE: 'sqlite' },
        },
      },
      {
        // The web console (SQLite only): built once by the global setup, driven in Debian's Chromium.
        extends: true as const,
        test: {
          name: 'console',
          include: ['test/console/**/*.test.ts'],
          globalSetup: ['test/helpers/build-console.ts'],
          env: { TEST_ENGINE: 'sqlite' },
        },
      },
      ...(pgUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                exclude: ['**/*.sqlite.test.ts', 'test/http/openapi.test.ts', 'test/console/**', '**/node_modules/**'],
                env: { TEST_ENGINE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
