import type { TestContext } from 'node:test';
import { testDatabaseUrl, uniqueName } from '@sluice/testing';
import pg from 'pg';

/** What the load generator sent: good commands must be applied once, bad records must be dead letters. */
export type AuditKind = 'good' | 'bad';

/** One command the broker acknowledged, at the offset the acknowledgement named. */
export interface AuditEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly kind: AuditKind;
}

/**
 * The load generator's ledger of accepted commands, a PostgreSQL table of its own per run. Its
 * `UNIQUE (topic, partition, "offset")` means two acknowledgements can never claim one record.
 */
export class AuditLog {
  readonly table: string;
  readonly #pool: pg.Pool;

  private constructor(table: string, pool: pg.Pool) {
    this.table = table;
    this.#pool = pool;
  }

  /** Creates a fresh audit table, dropped when the test ends. */
  static async create(t: TestContext, scenario: string): Promise<AuditLog> {
    const table = uniqueName(`reliability_audit_${scenario}`).replace(/[^a-z0-9_]/g, '_');
    const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
    await pool.query(
      `CREATE TABLE "${table}" (
         topic text NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL,
         command_id text NOT NULL, aggregate_id text NOT NULL, kind text NOT NULL,
         accepted_at timestamptz NOT NULL DEFAULT now(),
         UNIQUE (topic, partition, "offset"))`,
    );
    t.after(async () => {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await pool.end();
    });
    return new AuditLog(table, pool);
  }

  /** Records acknowledged commands in one statement (a duplicate offset fails it). */
  async record(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#pool.query(
      `INSERT INTO "${this.table}" (topic, partition, "offset", command_id, aggregate_id, kind)
       SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
      [
        entries.map((e) => e.topic),
        entries.map((e) => e.partition),
        entries.map((e) => e.offset.toString()),
        entries.map((e) => e.commandId),
        entries.map((e) => e.aggregateId),
        entries.map((e) => e.kind),
      ],
    );
  }

  /** Every accepted command, in topic, partition, offset order. */
  async entries(kind?: AuditKind): Promise<AuditEntry[]> {
    const { rows } = await this.#pool.query<{
      topic: string;
      partition: number;
      offset: string;
      command_id: string;
      aggregate_id: string;
      kind: AuditKind;
    }>(
      `SELECT topic, partition, "offset", command_id, aggregate_id, kind FROM "${this.table}"
       WHERE $1::text IS NULL OR kind = $1 ORDER BY topic, partition, "offset"`,
      [kind ?? null],
    );
    return rows.map((row) => ({
      topic: row.topic,
      partition: row.partition,
      offset: BigInt(row.offset),
      commandId: row.command_id,
      aggregateId: row.aggregate_id,
      kind: row.kind,
    }));
  }
}
