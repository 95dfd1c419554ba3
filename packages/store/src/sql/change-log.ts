import { sql } from 'kysely';
import { foldByKey, type Row, type RowChange, toJson } from '../model/row-changes.ts';
import type { ChangeEntry } from '../read-store.ts';
import { lockProjectionWriters } from './offsets.ts';
import { type SqlExecutor, toBigInt } from './sql-tx.ts';

interface ChangeRow {
  position: unknown;
  projection: string;
  version: number;
  key: string;
  op: ChangeEntry['op'];
  row: Row | null;
  created_at: Date;
}

/**
 * Appends folded changes unless another version of the projection is the active one (a rebuild does
 * not flood the log). Positions commit in order thanks to the projection writers' lock.
 */
export async function appendChangesSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  changes: readonly RowChange[],
): Promise<number> {
  const folded = foldByKey(changes);
  if (folded.length === 0) return 0;
  await lockProjectionWriters(db, schema, projection);
  const result =
    await sql`INSERT INTO ${sql.table(`${schema}.change_log`)} (projection, version, key, op, row)
    SELECT ${projection}, ${version}, u.key, u.op, u.row
    FROM UNNEST(${folded.map((c) => c.key)}::text[], ${folded.map((c) => c.op)}::text[],
                ${folded.map((c) => toJson(c.row))}::jsonb[]) WITH ORDINALITY AS u(key, op, row, ord)
    WHERE NOT EXISTS (SELECT 1 FROM ${sql.table(`${schema}.projections`)} p
      WHERE p.projection = ${projection} AND p.active_version IS NOT NULL AND p.active_version <> ${version})
    ORDER BY u.ord`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Appends the `reset` a version switch emits. */
export async function appendResetSql(db: SqlExecutor, schema: string, projection: string, version: number) {
  await sql`INSERT INTO ${sql.table(`${schema}.change_log`)} (projection, version, key, op, row)
    VALUES (${projection}, ${version}, '', 'reset', NULL)`.execute(db);
}

/** Entries after `afterPosition` of the active version (and resets), in position order. */
export async function readChangesSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  afterPosition: bigint,
  limit: number,
): Promise<ChangeEntry[]> {
  const { rows } =
    await sql<ChangeRow>`SELECT c.position, c.projection, c.version, c.key, c.op, c.row, c.created_at
    FROM ${sql.table(`${schema}.change_log`)} c
    LEFT JOIN ${sql.table(`${schema}.projections`)} p ON p.projection = c.projection
    WHERE c.projection = ${projection} AND c.position > ${afterPosition.toString()}::bigint
      AND (p.active_version IS NULL OR c.version = p.active_version OR c.op = 'reset')
    ORDER BY c.position
    LIMIT ${Math.max(0, Math.floor(limit))}`.execute(db);
  return rows.map((r) => ({
    position: toBigInt(r.position),
    projection: r.projection,
    version: r.version,
    key: r.key,
    op: r.op,
    row: r.row,
    createdAt: r.created_at,
  }));
}

/** The newest position of a projection's entries, 0 when there are none. */
export async function lastChangePositionSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
): Promise<bigint> {
  const { rows } = await sql<{ position: string | number | bigint | null }>`SELECT max(position) AS position
    FROM ${sql.table(`${schema}.change_log`)} WHERE projection = ${projection}`.execute(db);
  const position = rows[0]?.position;
  return position === null || position === undefined ? 0n : toBigInt(position);
}

/** Deletes entries older than `olderThanMs` by the database clock. */
export async function pruneChangesSql(db: SqlExecutor, schema: string, olderThanMs: number): Promise<number> {
  const result = await sql`DELETE FROM ${sql.table(`${schema}.change_log`)}
    WHERE created_at < now() - ${Math.floor(olderThanMs)} * interval '1 millisecond'`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Sends the wake-up other processes listen for; PostgreSQL delivers it when the transaction commits. */
export async function notifyChangesSql(db: SqlExecutor, channel: string, projection: string): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${projection})`.execute(db);
}
