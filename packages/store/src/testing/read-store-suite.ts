import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OffsetConflictError, VersionLaggingError } from '../errors.ts';
import { deleteChange, foldByKey, upsertChange } from '../model/row-changes.ts';
import type { TableDefinition } from '../model/table-definition.ts';
import { topicPartitionKey as tp } from '../model/topic-partition.ts';
import type { ReadStore, StoreTx } from '../read-store.ts';
import { leaseSuite, notifySuite, raceSuite } from './read-store-suite-concurrency.ts';

/** How the shared suite opens the store under test. */
export interface StoreFixture {
  /** Opens the store (bookkeeping migrated, empty). */
  open(): Promise<ReadStore>;
  /** Opens a second handle on the same data with its own connections, where the store allows it. */
  openSecond?(): Promise<ReadStore>;
  /** Removes whatever `open` created. */
  cleanup?(): Promise<void>;
  /** Whether two transactions can really overlap (PostgreSQL); others serialise them. */
  readonly concurrent: boolean;
}

export const itemsTable: TableDefinition = {
  name: 'items',
  columns: { owner: 'text', item: 'integer', price: 'bigint', data: 'jsonb', note: 'text' },
  key: ['owner', 'item'],
};

/** The behaviour every read store must show, run against PostgreSQL, PGlite and memory alike. */
export function readStoreSuite(kind: string, fixture: StoreFixture): void {
  describe(`${kind} read store`, { timeout: 120_000 }, () => {
    let store: ReadStore;
    before(async () => {
      store = await fixture.open();
    });
    after(async () => {
      await store?.close();
      await fixture.cleanup?.();
    });
    const ctx = { store: () => store, fixture };

    it('keeps nothing of a transaction that throws: rows, offsets, changes', async () => {
      const [table] = await store.prepareTables(1, [{ definition: itemsTable }]);
      const row = { owner: 'ann', item: 1, price: 100n, data: { a: 1 }, note: null };
      await assert.rejects(
        store.transaction(async (tx) => {
          await store.writeRows(tx, table!, [upsertChange(itemsTable, row)]);
          await store.appendChanges(tx, 'atomic', 1, [upsertChange(itemsTable, row)]);
          await store.commitOffsets(tx, 'atomic', 1, new Map(), new Map([[tp('e', 0), 5n]]));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await store.loadRows(table!, [row])).size, 0);
      assert.equal((await store.readOffsets('atomic', 1)).size, 0);
      assert.deepEqual(await store.readChanges('atomic', 0n, 10), []);

      await store.transaction(async (tx) => {
        await store.writeRows(tx, table!, [upsertChange(itemsTable, row)]);
        await store.commitOffsets(tx, 'atomic', 1, new Map(), new Map([[tp('e', 0), 5n]]));
      });
      assert.deepEqual([...(await store.loadRows(table!, [row])).values()], [row]);
      assert.deepEqual(await store.readOffsets('atomic', 1), new Map([[tp('e', 0), 5n]]));
    });

    it('compare-and-sets offsets and refuses a stale expectation with OFFSET_CONFLICT', async () => {
      const [table] = await store.prepareTables(1, [{ definition: itemsTable }]);
      const commit = (expected: Map<string, bigint | undefined>, next: Map<string, bigint>, owner = 'cas') =>
        store.transaction(async (tx) => {
          await store.writeRows(tx, table!, [upsertChange(itemsTable, { owner, item: 1, price: 1n })]);
          await store.commitOffsets(tx, 'cas', 1, expected, next);
        });
      await commit(new Map(), new Map([[tp('e', 0), 10n]]));
      const stale = commit(new Map(), new Map([[tp('e', 0), 11n]]), 'stale');
      await assert.rejects(stale, (error: unknown) => {
        assert.ok(error instanceof OffsetConflictError);
        assert.equal(error.code, 'OFFSET_CONFLICT');
        assert.deepEqual(error.mismatches, [
          { topicPartition: tp('e', 0), expected: undefined, actual: 10n },
        ]);
        return true;
      });
      assert.equal(
        (await store.loadRows(table!, [{ owner: 'stale', item: 1 }])).size,
        0,
        'fenced batch rolled back',
      );
      await commit(
        new Map([[tp('e', 0), 10n]]),
        new Map([
          [tp('e', 0), 20n],
          [tp('e', 1), 3n],
        ]),
      );
      await assert.rejects(commit(new Map([[tp('e', 0), 10n]]), new Map([[tp('e', 0), 30n]])), {
        code: 'OFFSET_CONFLICT',
      });
      // A partition the writer did not expect to exist but does is a conflict too.
      await assert.rejects(commit(new Map([[tp('e', 0), 20n]]), new Map([[tp('e', 1), 4n]])), {
        code: 'OFFSET_CONFLICT',
      });
      const expectedNow = new Map([
        [tp('e', 0), 20n],
        [tp('e', 1), 3n],
      ]);
      assert.deepEqual(await store.readOffsets('cas', 1), expectedNow);
      assert.deepEqual(await store.readOffsets('cas', 2), new Map(), 'versions keep separate offsets');
    });

    it('folds a batch per row key and upserts it set-based to the right final rows', async () => {
      const [table] = await store.prepareTables(3, [{ definition: itemsTable }]);
      const r = (item: number, price: bigint, owner = 'fold') => ({
        owner,
        item,
        price,
        data: { item, price: `${price}` },
        note: `n${price}`,
      });
      await store.transaction((tx) => store.writeRows(tx, table!, [upsertChange(itemsTable, r(5, 1n))]));
      const batch = [
        upsertChange(itemsTable, r(1, 1n)),
        upsertChange(itemsTable, r(2, 1n)),
        upsertChange(itemsTable, r(1, 3n)),
        deleteChange(itemsTable, { owner: 'fold', item: 2 }),
        upsertChange(itemsTable, r(3, 1n)),
        deleteChange(itemsTable, { owner: 'fold', item: 5 }),
        upsertChange(itemsTable, r(6, 1n)),
        deleteChange(itemsTable, { owner: 'fold', item: 6 }),
        upsertChange(itemsTable, r(6, 2n)),
        upsertChange(itemsTable, r(1, 3n, 'other')),
      ];
      assert.equal(foldByKey(batch).length, 6);
      const counts = await store.transaction((tx) => store.writeRows(tx, table!, batch));
      assert.deepEqual(counts, { upserted: 4, deleted: 1 });
      const keys = [1, 2, 3, 5, 6].map((item) => ({ owner: 'fold', item }));
      const rows = await store.loadRows(table!, [...keys, { owner: 'other', item: 1 }]);
      assert.deepEqual(
        [...rows.values()].sort((a, b) => `${a.owner}${a.item}`.localeCompare(`${b.owner}${b.item}`)),
        [r(1, 3n), r(3, 1n), r(6, 2n), r(1, 3n, 'other')],
      );
    });

    it('reads the change log after a position page by page without gaps or repeats', async () => {
      const p = 'feed';
      const batch = (n: number) =>
        store.transaction((tx) =>
          store.appendChanges(tx, p, 1, [
            upsertChange(itemsTable, { owner: 'f', item: n, price: 1n }),
            upsertChange(itemsTable, { owner: 'f', item: n + 1, price: 1n }),
            upsertChange(itemsTable, { owner: 'f', item: n, price: 2n }),
          ]),
        );
      assert.equal(await batch(0), 2, 'folded before logging');
      await assert.rejects(
        store.transaction(async (tx) => {
          await store.appendChanges(tx, p, 1, [
            upsertChange(itemsTable, { owner: 'f', item: 99, price: 1n }),
          ]);
          throw new Error('rolled back');
        }),
      );
      await batch(10);
      await batch(20);
      const all = await store.readChanges(p, 0n, 100);
      assert.deepEqual(
        all.map((e) => e.key),
        ['["f",0]', '["f",1]', '["f",10]', '["f",11]', '["f",20]', '["f",21]'],
      );
      assert.deepEqual(all[0]!.row, { owner: 'f', item: 0, price: '2' });
      const paged = [];
      for (let after = 0n; ; ) {
        const page = await store.readChanges(p, after, 4);
        if (page.length === 0) break;
        paged.push(...page);
        after = page.at(-1)!.position;
      }
      assert.deepEqual(paged, all);
      for (let i = 1; i < all.length; i++) assert.ok(all[i]!.position > all[i - 1]!.position);
      assert.deepEqual(await store.readChanges(p, all[3]!.position, 100), all.slice(4));
      assert.equal(await store.lastChangePosition(p), all.at(-1)!.position);
      assert.equal(await store.lastChangePosition(`${p}-none`), 0n);
      await sleep(20);
      assert.ok((await store.pruneChanges(1)) >= 6);
      assert.deepEqual(await store.readChanges(p, 0n, 100), []);
    });

    it('reads rows together with the active version, in key order, also when none match', async () => {
      const p = 'active-rows';
      const [v1] = await store.prepareTables(1, [{ definition: itemsTable }]);
      const rows = [
        { owner: 'ar-ann', item: 2, price: 20n, data: null, note: 'b' },
        { owner: 'ar-ann', item: 1, price: 10n, data: { a: 1 }, note: null },
        { owner: 'ar-bob', item: 1, price: 5n, data: null, note: null },
      ];
      await store.transaction((tx) =>
        store.writeRows(
          tx,
          v1!,
          rows.map((row) => upsertChange(itemsTable, row)),
        ),
      );
      assert.deepEqual(await store.findActiveRows(p, v1!, { owner: 'ar-ann' }), {
        activeVersion: undefined,
        rows: [],
      });
      await store.activateVersion(p, 1);
      const found = await store.findActiveRows(p, v1!, { owner: 'ar-ann' });
      assert.equal(found.activeVersion, 1);
      assert.deepEqual(found.rows, await store.findRows(v1!, { owner: 'ar-ann' }));
      assert.deepEqual(
        found.rows.map((row) => [row.item, row.price]),
        [
          [1, 10n],
          [2, 20n],
        ],
      );
      assert.deepEqual(await store.findActiveRows(p, v1!, { owner: 'ar-cat' }), {
        activeVersion: 1,
        rows: [],
      });
      // The suite's tests share the table: every row, as findRows gives them.
      assert.deepEqual((await store.findActiveRows(p, v1!)).rows, await store.findRows(v1!));
      await store.activateVersion(p, 2);
      assert.equal((await store.findActiveRows(p, v1!, { owner: 'ar-ann' })).activeVersion, 2);
    });

    it('logs the changes of a version asking onlyIfActive only while that version is active', async () => {
      const p = 'only-active';
      const append = (version: number, item: number) =>
        store.transaction((tx) =>
          store.appendChanges(tx, p, version, [upsertChange(itemsTable, { owner: 'a', item })], {
            onlyIfActive: true,
          }),
        );
      assert.equal(await append(1, 1), 0, 'no version active yet');
      await store.activateVersion(p, 1);
      assert.equal(await append(2, 2), 0, 'another version is active');
      assert.equal(await append(1, 3), 1);
      // Once another version is active, the one just logged is not, with or without onlyIfActive.
      await store.activateVersion(p, 2);
      assert.equal(await append(1, 4), 0, 'version 1 was switched off');
      const change = [upsertChange(itemsTable, { owner: 'a', item: 5 })];
      assert.equal(await store.transaction((tx) => store.appendChanges(tx, p, 1, change)), 0);
      assert.equal(await append(2, 6), 1);
      const entries = await store.readChanges(p, 0n, 100);
      assert.deepEqual(
        entries.map((e) => [e.op, e.version, e.key]),
        // A reader sees the active version's entries (and every reset) only.
        [
          ['reset', 1, ''],
          ['reset', 2, ''],
          ['upsert', 2, '["a",6]'],
        ],
      );
    });

    it('activates a version only once it has caught up, then emits a reset and drops the old one', async () => {
      const p = 'switch';
      const offsets = async (
        version: number,
        expected: Map<string, bigint | undefined>,
        next: Map<string, bigint>,
      ) => store.transaction((tx) => store.commitOffsets(tx, p, version, expected, next));
      await store.activateVersion(p, 1);
      await offsets(
        1,
        new Map(),
        new Map([
          [tp('e', 0), 10n],
          [tp('e', 1), 5n],
        ]),
      );
      await offsets(
        2,
        new Map(),
        new Map([
          [tp('e', 0), 12n],
          [tp('e', 1), 3n],
        ]),
      );
      await assert.rejects(store.activateVersion(p, 2), (error: unknown) => {
        assert.ok(error instanceof VersionLaggingError);
        assert.equal(error.code, 'VERSION_LAGGING');
        assert.deepEqual(error.lagging, [{ topicPartition: tp('e', 1), active: 5n, candidate: 3n }]);
        return true;
      });
      assert.equal((await store.readStatus(p))?.activeVersion, 1);
      const before = (await store.readChanges(p, 0n, 100)).at(-1)?.position ?? 0n;
      await offsets(2, new Map([[tp('e', 1), 3n]]), new Map([[tp('e', 1), 5n]]));
      await store.activateVersion(p, 2);
      await store.activateVersion(p, 2);
      const status = await store.readStatus(p);
      assert.equal(status?.activeVersion, 2);
      assert.ok(status?.versions.find((v) => v.version === 1)?.retiredAt instanceof Date);
      const resets = await store.readChanges(p, before, 100);
      assert.deepEqual(
        resets.map((e) => [e.op, e.version]),
        [['reset', 2]],
      );
      const late = await store.transaction((tx) =>
        store.appendChanges(tx, p, 1, [upsertChange(itemsTable, { owner: 'x', item: 1 })]),
      );
      assert.equal(late, 0, 'a retired version no longer feeds the change log');

      const [old] = await store.prepareTables(1, [{ definition: { ...itemsTable, name: 'switch_rows' } }]);
      const dropped = await store.dropRetired(0, (tx: StoreTx, projection, version) =>
        projection === p && version === 1 ? store.dropTable(tx, old!.name) : Promise.resolve(),
      );
      assert.ok(dropped.some((d) => d.projection === p && d.version === 1));
      assert.deepEqual(
        (await store.readStatus(p))?.versions.map((v) => v.version),
        [2],
      );
      assert.equal((await store.readOffsets(p, 1)).size, 0);
      await assert.rejects(store.loadRows(old!, [{ owner: 'x', item: 1 }]), 'the old table is gone');
    });

    it('records status with the failing event', async () => {
      const event = { topic: 'order-events', partition: 3, offset: 9_007_199_254_740_993n };
      await store.setStatus('health', 1, 'failed', { message: 'bad event', code: 'E_BAD', event });
      const status = await store.readStatus('health');
      assert.equal(status?.versions[0]?.state, 'failed');
      assert.deepEqual(status?.versions[0]?.lastError, { message: 'bad event', code: 'E_BAD', event });
      await store.setStatus('health', 1, 'running');
      assert.equal((await store.readStatus('health'))?.versions[0]?.lastError, undefined);
      assert.ok((await store.listStatuses()).some((s) => s.projection === 'health'));
      assert.equal(await store.readStatus('never-heard-of'), undefined);
    });

    it('marks a version rebuilding unless an operator stopped it', async () => {
      const state = async (version: number) =>
        (await store.readStatus('marked'))?.versions.find((v) => v.version === version)?.state;
      assert.equal(await store.markRebuilding('marked', 2), true, 'a version the store never saw');
      assert.equal(await state(2), 'rebuilding');
      await store.setStatus('marked', 2, 'failed', { message: 'boom' });
      assert.equal(await store.markRebuilding('marked', 2), true);
      assert.equal((await store.readStatus('marked'))?.versions[0]?.lastError, undefined);
      await store.setStatus('marked', 2, 'stopped', { message: 'rebuild cancelled' });
      assert.equal(await store.markRebuilding('marked', 2), false, 'a cancelled version stays stopped');
      assert.equal(await state(2), 'stopped');
      assert.deepEqual((await store.readStatus('marked'))?.versions[0]?.lastError, {
        message: 'rebuild cancelled',
      });
    });

    it('parks events in the batch transaction and unparks them in log order', async () => {
      const p = 'poison';
      const park = (key: string, offset: bigint) => ({
        projection: p,
        version: 1,
        key,
        topic: 'e',
        partition: 0,
        offset,
        event: { type: 'X', offset: `${offset}` },
        error: { message: `failed at ${offset}` },
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await store.parkEvent(tx, park('k1', 1n));
          assert.equal(await store.isKeyParked(p, 1, 'k1', tx), true, 'visible inside its transaction');
          throw new Error('rolled back');
        }),
      );
      assert.equal(await store.isKeyParked(p, 1, 'k1'), false);
      await store.transaction(async (tx) => {
        await store.parkEvent(tx, park('k1', 7n));
        await store.parkEvent(tx, park('k2', 5n));
        await store.parkEvent(tx, park('k1', 3n));
      });
      assert.equal(await store.isKeyParked(p, 1, 'k1'), true);
      assert.equal(await store.isKeyParked(p, 2, 'k1'), false);
      assert.deepEqual(
        (await store.listParked(p)).map((e) => e.offset),
        [3n, 5n, 7n],
      );
      const replay = await store.unpark(p, 1, 'k1');
      assert.deepEqual(
        replay.map((e) => [e.key, e.offset, e.error.message]),
        [
          ['k1', 3n, 'failed at 3'],
          ['k1', 7n, 'failed at 7'],
        ],
      );
      assert.equal(await store.isKeyParked(p, 1, 'k1'), false);
      assert.deepEqual(
        (await store.listParked(p, 1)).map((e) => e.key),
        ['k2'],
      );
    });

    raceSuite(ctx);
    leaseSuite(ctx);
    notifySuite(ctx);
  });
}
