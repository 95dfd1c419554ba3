import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext, test } from 'node:test';
import { testBrokers, uniqueName } from '@sluice/testing';
import type { ProjectionStatus, VersionStatus } from '../read-store.ts';
import { cancelRebuild, pendingRebuild, type RebuildOptions, rebuildProjection } from './rebuild.ts';
import { RebuildCarrier } from './rebuild-carrier.ts';
import { prepareProjectionTables } from './tables.ts';
import { EventLog, type TestEvent } from './testing/event-log.ts';
import { orderEvents, poisonableOrders, startProjectors } from './testing/shop-fixtures.ts';
import { eventually, openTestStore, postgresUnavailable } from './testing/test-stores.ts';

const version = (v: number, state: VersionStatus['state']): VersionStatus => ({
  version: v,
  state,
  lastError: undefined,
  activatedAt: undefined,
  retiredAt: undefined,
  updatedAt: new Date(0),
});
const status = (activeVersion: number | undefined, ...versions: VersionStatus[]): ProjectionStatus => ({
  projection: 'p',
  activeVersion,
  versions,
});

test('pendingRebuild: the newest rebuilding version above the active one and not below the code', () => {
  const code = { version: 1 };
  assert.equal(pendingRebuild(undefined, code), undefined);
  assert.equal(pendingRebuild(status(1, version(1, 'running')), code), undefined);
  assert.equal(pendingRebuild(status(1, version(1, 'running'), version(2, 'rebuilding')), code), 2);
  assert.equal(pendingRebuild(status(undefined, version(1, 'rebuilding')), code), 1, 'nothing active yet');
  assert.equal(
    pendingRebuild(
      status(1, version(1, 'running'), version(2, 'rebuilding'), version(3, 'rebuilding')),
      code,
    ),
    3,
    'a newer rebuild supersedes an older one',
  );
  assert.equal(pendingRebuild(status(3, version(2, 'rebuilding'), version(3, 'running')), code), undefined);
  assert.equal(pendingRebuild(status(1, version(1, 'running'), version(2, 'failed')), code), undefined);
  assert.equal(
    pendingRebuild(status(1, version(1, 'running'), version(2, 'rebuilding')), { version: 3 }),
    undefined,
    'a rebuild started by older code is left to it',
  );
});

const noPostgres = await postgresUnavailable();
const skip = noPostgres && process.env.CI !== 'true' ? noPostgres : false;
const ORDERS = 3_000;

describe('carrying on a rebuild on PostgreSQL', { skip, timeout: 180_000 }, () => {
  let log: EventLog;
  before(async () => {
    log = await EventLog.create({
      brokers: testBrokers(),
      prefix: `${uniqueName('carry')}.`,
      aggregates: ['order'],
    });
  });
  after(async () => {
    await log?.close();
  });

  const lease = { renewEveryMs: 200, leaseTtlMs: 1_500 };

  /**
   * A projection of ORDERS orders (`confirm`: two events each) served by version 1, a carrier (not
   * started) over it, and `rebuild` to start a rebuild of it (throttled as a test asks).
   */
  async function served(t: TestContext, name: string, confirm: boolean) {
    const db = await openTestStore('postgres');
    const projection = poisonableOrders(uniqueName(name).replaceAll('-', '_'), { fixed: true });
    const events: TestEvent[] = [];
    for (let i = 0; i < ORDERS; i++) events.push(...orderEvents(`${name}-${i}`, 'u', [100], confirm));
    await log.append(events, 5_000);
    const [serving] = await startProjectors(db.store, log, [projection]);
    const scope = { store: db.store, connection: log.connection, topicPrefix: log.prefix, ...lease };
    const carrier = new RebuildCarrier({ ...scope, projections: [projection], pollMs: 200 });
    t.after(async () => {
      await carrier.stop();
      await serving!.stop();
      await db.close();
    });
    await eventually(async () => (await db.store.readStatus(projection.name))?.activeVersion === 1);
    const rebuild = (options: Partial<RebuildOptions> = {}) =>
      rebuildProjection({ ...scope, projection, ...options });
    return { db, projection, carrier, rebuild };
  }

  it('stands by while the starter builds, then takes over where it stopped and switches', async (t) => {
    const { db, projection, carrier, rebuild } = await served(t, 'carried', true);
    // The starter (an API process, say), throttled so that it stops half-way.
    const starter = await rebuild({ maxBatchRecords: 200, batchDelayMs: 50 });
    assert.equal(starter.version, 2);
    const carrying: unknown[] = [];
    const carried: unknown[] = [];
    let appliedHere = 0;
    carrier.on('carrying', (detail) => {
      carrying.push(detail);
      carrier
        .carried()
        .get(projection.name)
        ?.projector.on('batch', (report: { records: number }) => {
          appliedHere += report.records;
        });
    });
    carrier.on('carried', (detail) => carried.push(detail));
    carrier.start();
    await eventually(async () => carrying.length > 0, 10_000, 'the carrier standing by');
    assert.deepEqual(carrying, [{ projection: projection.name, version: 2 }]);
    await eventually(async () => starter.projector.progress().done >= 1_000n, 60_000, 'the starter half-way');
    assert.equal(carrier.carried().get(projection.name)?.projector.progress().done, 0n, 'only one writes');

    await starter.projector.stop();
    await assert.rejects(starter.done, /stopped before it switched/);
    const stoppedAt = starter.projector.progress().done;
    assert.ok(stoppedAt < BigInt(2 * ORDERS), 'the starter stopped before the end');
    await eventually(async () => carried.length > 0, 60_000, 'the carried rebuild switching');

    assert.ok(
      appliedHere > 0 && appliedHere <= 2 * ORDERS - Number(stoppedAt),
      `the carrier went on from the stored offsets (${appliedHere} events after ${stoppedAt})`,
    );
    const final = await db.store.readStatus(projection.name);
    assert.equal(final?.activeVersion, 2);
    assert.equal(pendingRebuild(final, projection), undefined);
    const { orders } = await prepareProjectionTables(db.store, projection, 2);
    const rows = await db.store.findRows(orders!);
    assert.equal(rows.length, ORDERS, 'every order once in the new version');
    assert.ok(rows.every((row) => row.status === 'OrderConfirmed' && row.version === 2));
    assert.equal(carrier.carried().size, 0, 'a carried rebuild ends once its version is active');
  });

  it('a cancelled rebuild stops where it runs and where it is carried, without switching', async (t) => {
    const { db, projection, carrier, rebuild } = await served(t, 'cancelled', false);
    assert.equal(await cancelRebuild(db.store, projection), undefined, 'nothing to cancel');
    const starter = await rebuild({ maxBatchRecords: 100, batchDelayMs: 100 });
    carrier.start();
    await eventually(async () => carrier.carried().has(projection.name), 10_000, 'the carrier standing by');
    const standby = carrier.carried().get(projection.name)!;
    await assert.rejects(
      cancelRebuild(db.store, { ...projection, version: 2 }),
      /this code's version/,
      "the code's own version is not an operator's rebuild",
    );
    assert.equal(await cancelRebuild(db.store, projection), 2);
    await assert.rejects(starter.done, /was cancelled/);
    await assert.rejects(standby.done, /stopped before it switched|was cancelled/);
    await eventually(async () => carrier.carried().size === 0, 10_000, 'the carrier letting go');
    const status = await db.store.readStatus(projection.name);
    assert.equal(status?.activeVersion, 1, 'still serving version 1');
    assert.equal(status?.versions.find((v) => v.version === 2)?.state, 'stopped');
    assert.ok(starter.projector.progress().done < BigInt(ORDERS), 'it stopped before the end');

    // A late carrier that read the version as pending before the cancel does not revive it.
    const late = await rebuild({ version: 2 });
    await assert.rejects(late.done, /was cancelled/);
    assert.equal(
      (await db.store.readStatus(projection.name))?.versions.find((v) => v.version === 2)?.state,
      'stopped',
    );
    // An explicit request (`sluice projections rebuild --version 2`) builds it again, and switches.
    const again = await rebuild({ version: 2, resumeCancelled: true });
    assert.equal(await again.done, 2);
    assert.equal((await db.store.readStatus(projection.name))?.activeVersion, 2);
  });
});
