import type { TestContext } from 'node:test';

/** PostgreSQL of the tests when DATABASE_URL is unset: local, trust auth, database `test`. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The test database's connection string (DATABASE_URL, else the local default). */
export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

/**
 * True when the global setup reached PostgreSQL. Otherwise skips the test (returns false), or under
 * CI=true fails it. Use as `if (!requirePostgres(t)) return;`.
 */
export function requirePostgres(t: TestContext): boolean {
  if (process.env.SLUICE_TEST_NO_POSTGRES !== '1') return true;
  const reason = process.env.SLUICE_TEST_NO_POSTGRES_REASON ?? 'not reachable';
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${reason}`);
  t.skip(`PostgreSQL unavailable: ${reason}`);
  return false;
}
