import { sql } from 'kysely';
import { OffsetConflictError, type OffsetMismatch } from '../errors.ts';
import {
  parseTopicPartitionKey,
  type TopicPartitionKey,
  topicPartitionKey,
} from '../model/topic-partition.ts';
import { type SqlExecutor, toBigInt } from './sql-tx.ts';

interface OffsetRow {
  topic: string;
  partition: number;
  next_offset: unknown;
}

/** The writers locks each open transaction holds (until it ends): a batch takes one once, not twice. */
const writersLocks = new WeakMap<SqlExecutor, Set<string>>();

/**
 * Serialises a projection's change-log writers and its activation, so change-log positions commit in
 * order and the two always take locks in the same order (this lock first, then offset rows).
 */
export async function lockProjectionWriters(
  db: SqlExecutor,
  schema: string,
  projection: string,
): Promise<void> {
  const lock = `${schema}.${projection}`;
  const held = db.isTransaction ? writersLocks.get(db) : undefined;
  if (held?.has(lock)) return;
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`${schema}.writers`}), hashtext(${projection}))`.execute(
    db,
  );
  // Outside a transaction the lock ended with its statement; the store uses no savepoints.
  if (db.isTransaction) writersLocks.set(db, (held ?? new Set()).add(lock));
}

/** Stored offsets of a version, optionally locked `FOR UPDATE` until the transaction ends. */
export async function selectOffsets(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  forUpdate = false,
): Promise<Map<TopicPartitionKey, bigint>> {
  const lock = forUpdate ? sql` FOR UPDATE` : sql``;
  const { rows } = await sql<OffsetRow>`SELECT topic, partition, next_offset
    FROM ${sql.table(`${schema}.projection_offsets`)}
    WHERE projection = ${projection} AND version = ${version}${lock}`.execute(db);
  return new Map(rows.map((r) => [topicPartitionKey(r.topic, r.partition), toBigInt(r.next_offset)]));
}

/** Compare-and-set of a version's offsets inside the caller's transaction; throws `OffsetConflictError`. */
export async function commitOffsetsSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  expected: ReadonlyMap<TopicPartitionKey, bigint | undefined>,
  next: ReadonlyMap<TopicPartitionKey, bigint>,
): Promise<void> {
  await lockProjectionWriters(db, schema, projection);
  // FOR UPDATE waits for a concurrent writer and then sees its committed values.
  const stored = await selectOffsets(db, schema, projection, version, true);
  const mismatches: OffsetMismatch[] = [];
  for (const tp of new Set([...expected.keys(), ...next.keys()])) {
    const want = expected.get(tp);
    const have = stored.get(tp);
    if (want !== have) mismatches.push({ topicPartition: tp, expected: want, actual: have });
  }
  if (mismatches.length > 0) throw new OffsetConflictError(projection, version, mismatches);

  const updates = [...next].filter(([tp]) => stored.has(tp));
  const inserts = [...next].filter(([tp]) => !stored.has(tp));
  const table = sql.table(`${schema}.projection_offsets`);
  if (updates.length > 0) {
    const [topics, partitions, offsets] = columnsOf(updates);
    const previous = updates.map(([tp]) => stored.get(tp)!.toString());
    // The rows are locked, so the guard on the old value cannot fail; it keeps the CAS visible in SQL.
    const result = await sql`UPDATE ${table} AS o SET next_offset = u.next_offset, updated_at = now()
      FROM UNNEST(${topics}::text[], ${partitions}::integer[], ${offsets}::bigint[], ${previous}::bigint[])
        AS u(topic, partition, next_offset, previous)
      WHERE o.projection = ${projection} AND o.version = ${version}
        AND o.topic = u.topic AND o.partition = u.partition AND o.next_offset = u.previous`.execute(db);
    if (Number(result.numAffectedRows ?? 0n) !== updates.length) {
      throw new OffsetConflictError(projection, version, []);
    }
  }
  if (inserts.length > 0) {
    const [topics, partitions, offsets] = columnsOf(inserts);
    // A row inserted by a racing writer since our snapshot makes ON CONFLICT skip ours: a lost race.
    const result = await sql`INSERT INTO ${table} (projection, version, topic, partition, next_offset)
      SELECT ${projection}, ${version}, u.topic, u.partition, u.next_offset
      FROM UNNEST(${topics}::text[], ${partitions}::integer[], ${offsets}::bigint[]) AS u(topic, partition, next_offset)
      ON CONFLICT DO NOTHING`.execute(db);
    if (Number(result.numAffectedRows ?? 0n) !== inserts.length) {
      const now = await selectOffsets(db, schema, projection, version);
      const lost = inserts
        .filter(([tp]) => now.has(tp))
        .map(([tp]) => ({ topicPartition: tp, expected: undefined, actual: now.get(tp) }));
      throw new OffsetConflictError(projection, version, lost);
    }
  }
}

function columnsOf(entries: ReadonlyArray<[TopicPartitionKey, bigint]>): [string[], number[], string[]] {
  const topics: string[] = [];
  const partitions: number[] = [];
  const offsets: string[] = [];
  for (const [tp, offset] of entries) {
    const { topic, partition } = parseTopicPartitionKey(tp);
    topics.push(topic);
    partitions.push(partition);
    offsets.push(offset.toString());
  }
  return [topics, partitions, offsets];
}
