// Applies ./migrations to the test D1 database before each test file (idempotent), then makes it
// refuse a row over D1's size limit as D1 does (strict-d1-rows.ts).
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { enforceD1RowLimit } from './strict-d1-rows'

const testEnv = env as unknown as { DB: D1Database; TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] }
await applyD1Migrations(testEnv.DB, testEnv.TEST_MIGRATIONS)
await enforceD1RowLimit(testEnv.DB)
