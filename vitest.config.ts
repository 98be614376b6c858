/**
 * Projects:
 *  - `unit`: pure modules (src/**\/*.test.ts, test/unit/**) in plain Node, no workerd.
 *  - `browser`: the playground and /docs in headless Chromium (test/browser/**).
 *  - `workers`: integration tests inside workerd through the real worker, with real
 *    local KV / D1 / Cache API, against a fake vLLM server started in globalSetup.
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { buildUi } from './scripts/build-ui.mjs'

// The pages import their browser code from a generated module (scripts/build-ui.mjs). wrangler
// builds it for `npm start` and deploys (wrangler.toml [build]); the workers pool does not run
// that command, so it is built here, once, before any project starts.
await buildUi()

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          // Each file starts its own `npm start`; two at once would fight for the CPU.
          fileParallelism: false,
        },
      },
      {
        // Pages in a real browser: Debian's Chromium + playwright-core against one `npm start`
        // (test/browser/global-setup.ts); fails, saying why, where Chromium is not installed.
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['./test/browser/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                FAKE_VLLM_URL: inject('fakeVllmUrl' as never) as string,
                // One access-log line per request would bury the test output; the
                // observability tests turn it on explicitly.
                LOG_REQUESTS: 'false',
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          setupFiles: ['./test/apply-migrations.ts'],
          testTimeout: 20_000,
        },
      },
    ],
  },
})
