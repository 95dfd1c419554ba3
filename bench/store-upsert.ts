/**
 * Set-based upsert throughput of the read stores: a batch of 30,000 changes touching 10,000 rows is
 * folded and written in one transaction (fresh rows, then updates of all of them), with its offsets
 * and change log (`*Ms` is the whole transaction, `*UpsertOnlyMs` the multi-row upsert alone). Prints JSON. Usage: node bench/store-upsert.ts [rows]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DATABASE_URL,
  foldByKey,
  MemoryReadStore,
  openPGliteStore,
  openPostgresStore,
  type ReadStore,
  type RowChange,
  type TableDefinition,
  topicPartitionKey,
  upsertChange,
} from '@sluice/store';
import pg from 'pg';

const rows = Number(process.argv[2] ?? 10_000);
const table: TableDefinition = {
  name: 'bench_orders',
  columns: { order_id: 'text', user_id: 'text', status: 'text', total: 'bigint', items: 'jsonb' },
  key: ['order_id'],
};

function batch(round: number): RowChange[] {
  const changes: RowChange[] = [];
  // Three events per row, as a projection sees created → confirmed → shipped in one batch.
  for (const status of ['created', 'confirmed', 'shipped']) {
    for (let i = 0; i < rows; i++) {
      const row = {
        order_id: `o${i}`,
        user_id: `u${i % 97}`,
        status,
        total: BigInt(i * 100 + round),
        items: [{ sku: `s${i % 13}`, q: 1 }],
      };
      changes.push(upsertChange(table, row));
    }
  }
  return changes;
}

async function measure(name: string, store: ReadStore): Promise<Record<string, unknown>> {
  const [versioned] = await store.prepareTables(1, [{ definition: table }]);
  const result: Record<string, unknown> = { store: name, rows, changesPerBatch: rows * 3 };
  let expected = new Map<string, bigint | undefined>();
  for (const [round, label] of [
    [1, 'insertMs'],
    [2, 'updateMs'],
  ] as const) {
    const changes = batch(round);
    const foldStart = performance.now();
    const folded = foldByKey(changes);
    result.foldMs = round === 1 ? +(performance.now() - foldStart).toFixed(1) : result.foldMs;
    const next = new Map([[topicPartitionKey('order-events', 0), BigInt(round * changes.length)]]);
    const start = performance.now();
    await store.transaction(async (tx) => {
      const upsertStart = performance.now();
      await store.writeRows(tx, versioned!, folded);
      result[label.replace('Ms', 'UpsertOnlyMs')] = +(performance.now() - upsertStart).toFixed(1);
      await store.appendChanges(tx, 'bench', 1, folded);
      await store.commitOffsets(tx, 'bench', 1, expected, next);
    });
    const ms = performance.now() - start;
    result[label] = +ms.toFixed(1);
    result[`${label.replace('Ms', '')}RowsPerSec`] = Math.round((rows / ms) * 1000);
    expected = next;
  }
  await store.close();
  return result;
}

const results: Array<Record<string, unknown>> = [];
results.push(await measure('memory', new MemoryReadStore()));
const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
results.push(await measure('pglite', await openPGliteStore({ dataDir: join(dir, 'pglite') })));
await rm(dir, { recursive: true, force: true });
const connectionString = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const schema = `sluice_bench_${randomBytes(4).toString('hex')}`;
try {
  results.push(await measure('postgres', await openPostgresStore({ connectionString, schema })));
} finally {
  const client = new pg.Client({ connectionString });
  await client
    .connect()
    .then(() => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
    .catch(() => undefined);
  await client.end().catch(() => undefined);
}
console.log(JSON.stringify({ benchmark: 'store-upsert', node: process.version, results }, null, 2));
