import { sql } from 'kysely';
import type { SqlExecutor } from './sql-tx.ts';

/** Numbered, append-only DDL steps (one statement per string: PGlite's extended protocol takes one) for the bookkeeping tables in `schema`. Never edit a shipped step. */
function steps(schema: string): Array<{ id: number; ddl: string[] }> {
  const s = `"${schema}"`;
  return [
    {
      id: 1,
      ddl: `CREATE TABLE ${s}.projection_offsets (
  projection text NOT NULL, version integer NOT NULL, topic text NOT NULL, partition integer NOT NULL,
  next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, version, topic, partition));
CREATE TABLE ${s}.projection_leases (
  projection text NOT NULL, version integer NOT NULL, holder text NOT NULL, expires_at timestamptz NOT NULL,
  PRIMARY KEY (projection, version));
CREATE TABLE ${s}.projections (
  projection text PRIMARY KEY, active_version integer, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE ${s}.projection_versions (
  projection text NOT NULL, version integer NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'rebuilding', 'stopped', 'failed')),
  last_error jsonb, created_at timestamptz NOT NULL DEFAULT now(), activated_at timestamptz,
  retired_at timestamptz, dropped_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, version));
CREATE TABLE ${s}.change_log (
  position bigserial PRIMARY KEY, projection text NOT NULL, version integer NOT NULL, key text NOT NULL,
  op text NOT NULL CHECK (op IN ('upsert', 'delete', 'reset')), row jsonb,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX change_log_projection_position ON ${s}.change_log (projection, position);
CREATE INDEX change_log_created_at ON ${s}.change_log (created_at);
CREATE TABLE ${s}.parked_events (
  projection text NOT NULL, version integer NOT NULL, key text NOT NULL, topic text NOT NULL,
  partition integer NOT NULL, "offset" bigint NOT NULL, event jsonb NOT NULL, error jsonb NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, version, topic, partition, "offset"));
CREATE INDEX parked_events_key ON ${s}.parked_events (projection, version, key)`.split(';\n'),
    },
  ];
}

/**
 * Brings the bookkeeping tables up to date. Runs in one transaction under an advisory lock keyed by
 * the schema, so processes starting at once apply each step exactly once.
 */
export async function migrateBookkeeping(db: SqlExecutor, schema: string): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await lockMigrations(trx, schema);
    await sql.raw(`CREATE SCHEMA IF NOT EXISTS "${schema}"`).execute(trx);
    await sql
      .raw(
        `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (id integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      .execute(trx);
    const applied = await sql<{
      id: number;
    }>`SELECT id FROM ${sql.table(`${schema}.schema_migrations`)}`.execute(trx);
    const done = new Set(applied.rows.map((r) => r.id));
    const ran: number[] = [];
    for (const step of steps(schema)) {
      if (done.has(step.id)) continue;
      for (const statement of step.ddl) await sql.raw(statement).execute(trx);
      await sql`INSERT INTO ${sql.table(`${schema}.schema_migrations`)} (id) VALUES (${step.id})`.execute(
        trx,
      );
      ran.push(step.id);
    }
    return ran;
  });
}

/** Serialises DDL in `schema` across processes until the transaction ends. */
export async function lockMigrations(db: SqlExecutor, schema: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('sluice.migrate'), hashtext(${schema}))`.execute(db);
}
