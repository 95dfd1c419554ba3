import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { positionToken } from '@sluice/core';
import { openPostgresStore, Projector, ReadSide } from '@sluice/store';
import { dropSchema, EventLog, postgresUnavailable } from '@sluice/store/testing';
import { testBrokers, testDatabaseUrl, uniqueName } from '@sluice/testing';
import { runCli } from '../index.ts';

const app = fileURLToPath(new URL('./testing/projections-app.fixture.ts', import.meta.url));
const schema = `sluice_cli_${process.pid}`;
const prefix = `${uniqueName('cli')}.`;
// The app module reads these when it is first loaded, here and by the CLI alike.
process.env.SLUICE_CLI_TEST_SCHEMA = schema;
process.env.SLUICE_CLI_TEST_PREFIX = prefix;
const { projections } = await import('./testing/projections-app.fixture.ts');
const noPostgres = await postgresUnavailable();

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('sluice projections', {
  skip: noPostgres && process.env.CI !== 'true' ? noPostgres : false,
  timeout: 60_000,
}, () => {
  it('shows status with lag, rebuilds to a new version, cancels a rebuild under way and retries', async (t) => {
    const log = await EventLog.create({ brokers: testBrokers(), prefix, aggregates: ['order'] });
    const store = await openPostgresStore({ connectionString: testDatabaseUrl(), schema });
    t.after(async () => {
      await store.close();
      await log.close();
      await dropSchema(schema);
    });
    const token = positionToken(
      await log.append([{ aggregate: 'order', id: 'o1', type: 'OrderCreated', data: { orderId: 'o1' } }]),
    );
    const projector = new Projector({
      store,
      connection: log.connection,
      projection: projections[0]!,
      topicPrefix: log.prefix,
    });
    await projector.start();
    await new ReadSide({ store, projections, topicPrefix: log.prefix }).waitForPosition(
      'cli_orders',
      token,
      20_000,
    );
    await projector.stop();
    const brokers = ['--brokers', testBrokers().join(',')];

    const status = await run(['projections', 'status', '--app', app, ...brokers]);
    assert.equal(status.code, 0, `status: ${status.err}`);
    assert.match(status.out, /cli_orders {2}active v1/);
    assert.match(status.out, /v1 {2}running {2}serving/);
    assert.match(status.out, /lag \S+order-events {2}0:0 1:0 2:0/);

    const rebuilt = await run(['projections', 'rebuild', 'cli_orders', '--app', app, ...brokers]);
    assert.equal(rebuilt.code, 0, `rebuild: ${rebuilt.err}`);
    assert.match(rebuilt.out, /cli_orders v2 is active/);
    assert.equal((await store.readStatus('cli_orders'))?.activeVersion, 2);

    const nothing = await run(['projections', 'cancel', 'cli_orders', '--app', app]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.err, /no rebuild under way/);
    await store.setStatus('cli_orders', 3, 'rebuilding'); // a rebuild some other process runs
    const cancelled = await run(['projections', 'cancel', 'cli_orders', '--app', app]);
    assert.equal(cancelled.code, 0, `cancel: ${cancelled.err}`);
    assert.match(cancelled.out, /cli_orders v3: rebuild cancelled/);
    const versions = (await store.readStatus('cli_orders'))?.versions;
    assert.equal(versions?.find((v) => v.version === 3)?.state, 'stopped');

    const retried = await run(['projections', 'retry', 'cli_orders', '--app', app]);
    assert.equal(retried.code, 0, `retry: ${retried.err}`);
    assert.match(retried.out, /v2: replayed 0/);
    assert.equal((await run(['projections', 'retry', 'nope', '--app', app])).code, 2);
  });
});
