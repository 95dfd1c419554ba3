import { sql } from 'kysely';
import { byLogPosition } from '../model/ordering.ts';
import { toJson } from '../model/row-changes.ts';
import type { ParkedEvent, ProjectionError, StoredParkedEvent } from '../read-store.ts';
import { type SqlExecutor, toBigInt } from './sql-tx.ts';

interface ParkedRow {
  projection: string;
  version: number;
  key: string;
  topic: string;
  partition: number;
  offset: unknown;
  event: unknown;
  error: ProjectionError & { event?: { topic: string; partition: number; offset: unknown } };
  parked_at: Date;
}

/** Stores a parked event; parking the same record twice keeps the first. */
export async function parkEventSql(db: SqlExecutor, schema: string, e: ParkedEvent): Promise<void> {
  await sql`INSERT INTO ${sql.table(`${schema}.parked_events`)}
      (projection, version, key, topic, partition, "offset", event, error)
    VALUES (${e.projection}, ${e.version}, ${e.key}, ${e.topic}, ${e.partition}, ${e.offset.toString()}::bigint,
      ${toJson(e.event)}::jsonb, ${toJson(e.error)}::jsonb)
    ON CONFLICT DO NOTHING`.execute(db);
}

/** Whether any event of the key is parked. */
export async function isKeyParkedSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  key: string,
): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM ${sql.table(`${schema}.parked_events`)}
    WHERE projection = ${projection} AND version = ${version} AND key = ${key} LIMIT 1`.execute(db);
  return rows.length > 0;
}

/** Parked events in topic/partition/offset order, optionally deleting them. */
export async function selectParkedSql(
  db: SqlExecutor,
  schema: string,
  filter: { projection: string; version?: number | undefined; key?: string | undefined },
  remove: boolean,
): Promise<StoredParkedEvent[]> {
  const version = filter.version === undefined ? sql`` : sql` AND version = ${filter.version}`;
  const key = filter.key === undefined ? sql`` : sql` AND key = ${filter.key}`;
  const table = sql.table(`${schema}.parked_events`);
  const where = sql`WHERE projection = ${filter.projection}${version}${key}`;
  const query = remove
    ? sql<ParkedRow>`DELETE FROM ${table} ${where} RETURNING *`
    : sql<ParkedRow>`SELECT * FROM ${table} ${where}`;
  const { rows } = await query.execute(db);
  return rows.map(fromRow).sort(byLogPosition);
}

function fromRow(r: ParkedRow): StoredParkedEvent {
  const failing = r.error.event;
  const error: ProjectionError = {
    message: r.error.message,
    ...(r.error.code === undefined ? {} : { code: r.error.code }),
    ...(failing ? { event: { ...failing, offset: toBigInt(failing.offset) } } : {}),
  };
  return {
    projection: r.projection,
    version: r.version,
    key: r.key,
    topic: r.topic,
    partition: r.partition,
    offset: toBigInt(r.offset),
    event: r.event,
    error,
    parkedAt: r.parked_at,
  };
}
