import { sql } from 'kysely';
import { foldByKey, type Row, type RowChange, toJson } from '../model/row-changes.ts';
import type { AppendChangesOptions, ChangeEntry } from '../read-store.ts';
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
 * The version last seen active, by schema and projection: only a hint that lets the append check the
 * active version in its INSERT (one round trip) instead of a SELECT before it. Wrong, it costs that
 * round trip; the INSERT checks either way.
 */
const activeHints = new Map<string, number>();

/**
 * Appends folded changes unless another version of the projection is the active one (or, with
 * `onlyIfActive`, none is): a rebuild does not flood the log, nor send it rows it would drop. The
 * active version is read under the projection writers' lock, which activation takes too, and which
 * makes positions commit in order.
 */
export async function appendChangesSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  changes: readonly RowChange[],
  options: AppendChangesOptions = {},
): Promise<number> {
  if (changes.length === 0) return 0;
  await lockProjectionWriters(db, schema, projection);
  const projections = sql.table(`${schema}.projections`);
  const hint = `${schema}.${projection}`;
  if (activeHints.get(hint) !== version) {
    const { rows } = await sql<{ active_version: number | null }>`SELECT active_version
      FROM ${projections} WHERE projection = ${projection}`.execute(db);
    const active = rows[0]?.active_version ?? null;
    if (active === null) activeHints.delete(hint);
    else activeHints.set(hint, active);
    if (active === null ? options.onlyIfActive : active !== version) return 0;
  }
  const folded = foldByKey(changes);
  // One JSON document for the batch: a single native stringify instead of three escaped arrays.
  const entries = toJson(folded.map((c) => ({ key: c.key, op: c.op, row: c.row })));
  // The check again, in the statement: the hint may be stale (the SELECT above, if any, is not).
  const result =
    await sql`INSERT INTO ${sql.table(`${schema}.change_log`)} (projection, version, key, op, row)
    SELECT ${projection}, ${version}, u.key, u.op, u.row
    FROM ROWS FROM (jsonb_to_recordset(${entries}::jsonb) AS (key text, op text, row jsonb))
      WITH ORDINALITY AS u(key, op, row, ord)
    WHERE COALESCE((SELECT active_version FROM ${projections} WHERE projection = ${projection}) = ${version},
      ${!options.onlyIfActive})
    ORDER BY u.ord`.execute(db);
  const written = Number(result.numAffectedRows ?? 0n);
  if (written === 0) activeHints.delete(hint);
  return written;
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
