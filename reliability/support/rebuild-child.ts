/**
 * A blue-green rebuild of the applied-commands projection in a process of its own, for the rebuild
 * crash scenario: prints one JSON line per progress report and `done` once the version is active.
 * Usage: rebuild-child.ts <schema> <topic-prefix> <brokers> <version> <batchDelayMs>
 */
import { openPostgresStore, rebuildProjection } from '@sluice/store';
import { testDatabaseUrl } from '@sluice/testing';
import { appliedCommands } from './tally.ts';

const [schema, prefix, brokers, version, delay] = process.argv.slice(2);
if (!schema || prefix === undefined || !brokers || !version)
  throw new Error('usage: <schema> <prefix> <brokers> <version> <batchDelayMs>');
const print = (event: string, detail: object = {}) =>
  process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...detail })}\n`);
const store = await openPostgresStore({ connectionString: testDatabaseUrl(), schema, maxConnections: 3 });
const rebuild = await rebuildProjection({
  store,
  connection: { brokers: brokers.split(','), clientId: `rebuild-${process.pid}` },
  projection: appliedCommands,
  topicPrefix: prefix,
  version: Number(version),
  maxBatchRecords: 200,
  batchDelayMs: Number(delay ?? 0),
});
for await (const progress of rebuild.progress())
  print('progress', { done: String(progress.done), total: String(progress.total), active: progress.active });
print('done', { version: await rebuild.done });
await store.close();
process.exit(0);
