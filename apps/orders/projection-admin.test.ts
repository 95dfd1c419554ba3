import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usersProjection } from '@sluice/orders/projections';
import { MemoryReadStore, type Rebuild } from '@sluice/store';
import { RebuildRunningError, StoreProjectionAdmin } from './projection-admin.ts';

/** An admin over `store`, whose Kafka connection the tested paths never reach. */
function adminOver(store: MemoryReadStore, carried?: () => ReadonlyMap<string, Rebuild>) {
  return new StoreProjectionAdmin({
    store,
    connection: { brokers: ['127.0.0.1:1'], clientId: 'admin-test' },
    projections: [usersProjection],
    topicPrefix: '',
    progress: () => new Map(),
    ...(carried === undefined ? {} : { carried }),
  });
}

test('a rebuild is refused while another process has one under way for the same projection', async () => {
  const store = new MemoryReadStore();
  const admin = adminOver(store);
  const name = usersProjection.name;
  await store.setStatus(name, 1, 'running');
  await store.activateVersion(name, 1);
  await store.setStatus(name, 2, 'rebuilding');
  await assert.rejects(admin.startRebuild(name), (error: unknown) => {
    assert.ok(error instanceof RebuildRunningError);
    assert.equal(error.code, 'REBUILD_RUNNING');
    assert.match(error.message, /to version 2 is already running/);
    return true;
  });
  assert.equal(admin.builds(name, 2), false, 'built elsewhere, not here');
  await admin.close();
});

test('a rebuild carried on in this process shows once it builds here, and ends with its version', async () => {
  const name = usersProjection.name;
  const progress = {
    projection: name,
    version: 2,
    done: 40n,
    total: 100n,
    eventsPerSecond: 10,
    etaSeconds: 6,
    caughtUp: false,
    active: false,
  };
  const finished = Promise.withResolvers<number>();
  const projector = { holdsLease: false, progress: () => progress, stop: async () => undefined };
  const carried = { projector, version: 2, done: finished.promise, progress: async function* () {} };
  const admin = adminOver(new MemoryReadStore(), () => new Map([[name, carried as unknown as Rebuild]]));
  assert.equal(await admin.rebuild(name), undefined, 'standing by: another process builds it');
  projector.holdsLease = true;
  const view = await admin.rebuild(name);
  assert.deepEqual([view?.state, view?.version, view?.done], ['running', 2, '40']);
  finished.resolve(2);
  await finished.promise;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await admin.rebuild(name))?.state, 'done');
});

test('cancelling marks the rebuild under way stopped; the code’s own version is not cancellable', async () => {
  const store = new MemoryReadStore();
  const admin = adminOver(store);
  const name = usersProjection.name;
  const code = usersProjection.version;
  await store.setStatus(name, code, 'rebuilding'); // the code's version, built before any is active
  await assert.rejects(admin.cancelRebuild(name), { code: 'REBUILD_NOT_CANCELLABLE' });
  await store.setStatus(name, code, 'running');
  await store.activateVersion(name, code);
  assert.equal(await admin.cancelRebuild(name), undefined, 'nothing under way');
  await store.setStatus(name, code + 1, 'rebuilding');
  assert.equal(await admin.cancelRebuild(name), code + 1);
  const state = (await store.readStatus(name))?.versions.find((v) => v.version === code + 1)?.state;
  assert.equal(state, 'stopped');
  await assert.rejects(admin.cancelRebuild('nope'), { code: 'UNKNOWN_PROJECTION' });
});
