import { sql } from 'kysely';
import type { SqlExecutor } from './sql-tx.ts';

// Expiry is computed and compared with the database clock, so skewed process clocks cannot split a lease.

/** Takes the lease if free, expired or already `holder`'s. */
export async function acquireLeaseSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const { rows } = await sql<{ holder: string }>`INSERT INTO ${sql.table(`${schema}.projection_leases`)} AS l
      (projection, version, holder, expires_at)
    VALUES (${projection}, ${version}, ${holder}, now() + ${ttl(ttlMs)} * interval '1 millisecond')
    ON CONFLICT (projection, version) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
    RETURNING holder`.execute(db);
  return rows.length === 1;
}

/** Extends `holder`'s lease; false if someone else holds it now. */
export async function renewLeaseSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const result = await sql`UPDATE ${sql.table(`${schema}.projection_leases`)}
    SET expires_at = now() + ${ttl(ttlMs)} * interval '1 millisecond'
    WHERE projection = ${projection} AND version = ${version} AND holder = ${holder}`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === 1;
}

/**
 * Whether `holder` holds an unexpired lease; share-locks the row until the transaction ends. With
 * `idleLimitMs`, the server ends the session if the transaction then idles longer than that.
 */
export async function holdsLeaseSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  holder: string,
  idleLimitMs?: number,
): Promise<boolean> {
  // Set in the same statement (for this transaction only), so a batch pays no extra round trip.
  const column =
    idleLimitMs === undefined
      ? sql`1`
      : sql`set_config('idle_in_transaction_session_timeout', ${String(ttl(idleLimitMs))}, true)`;
  const { rows } = await sql`SELECT ${column} FROM ${sql.table(`${schema}.projection_leases`)}
    WHERE projection = ${projection} AND version = ${version} AND holder = ${holder} AND expires_at > now()
    FOR SHARE`.execute(db);
  return rows.length === 1;
}

/** Deletes `holder`'s lease. */
export async function releaseLeaseSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  holder: string,
): Promise<void> {
  await sql`DELETE FROM ${sql.table(`${schema}.projection_leases`)}
    WHERE projection = ${projection} AND version = ${version} AND holder = ${holder}`.execute(db);
}

function ttl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttl must be positive: ${ttlMs}`);
  return Math.ceil(ttlMs);
}
