import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usersProjection } from '@sluice/orders/projections';
import { MemoryReadStore } from '@sluice/store';
import { RebuildRunningError, StoreProjectionAdmin } from './projection-admin.ts';

test('a rebuild is refused while another process has one under way for the same projection', async () => {
  const store = new MemoryReadStore();
  const admin = new StoreProjectionAdmin({
    store,
    // Never reached: the refusal comes from the store's versions alone.
    connection: { brokers: ['127.0.0.1:1'], clientId: 'admin-test' },
    projections: [usersProjection],
    topicPrefix: '',
    progress: () => new Map(),
  });
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
