import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { upsertChange } from '../model/row-changes.ts';
import { topicPartitionKey as tp } from '../model/topic-partition.ts';
import type { ReadStore } from '../read-store.ts';
import type { StoreFixture } from './read-store-suite.ts';

interface SuiteContext {
  store(): ReadStore;
  readonly fixture: StoreFixture;
}

/** Two handles on the same data: a second pool where the store has one, else the same store. */
async function withSecond(
  ctx: SuiteContext,
  fn: (a: ReadStore, b: ReadStore) => Promise<void>,
): Promise<void> {
  const a = ctx.store();
  const b = ctx.fixture.openSecond ? await ctx.fixture.openSecond() : a;
  try {
    await fn(a, b);
  } finally {
    if (b !== a) await b.close();
  }
}

/** Two projectors commit the same expectation at once: exactly one wins, the other gets OFFSET_CONFLICT. */
export function raceSuite(ctx: SuiteContext): void {
  it('lets exactly one of two racing projectors commit the same offsets', { timeout: 30_000 }, async () => {
    await withSecond(ctx, async (a, b) => {
      const [tableA] = await a.prepareTables(1, [{ definition: raceTable }]);
      const [tableB] = await b.prepareTables(1, [{ definition: raceTable }]);
      let expected = new Map<string, bigint | undefined>();
      for (let round = 1; round <= 5; round++) {
        const next = new Map([
          [tp('e', 0), BigInt(round * 10)],
          [tp('e', 1), BigInt(round)],
        ]);
        // Where transactions really overlap, both write their rows before either commits offsets.
        let arrived = 0;
        let release!: () => void;
        const bothWrote = new Promise<void>((resolve) => {
          release = resolve;
        });
        const projector = (store: ReadStore, table: typeof tableA, name: string) =>
          store.transaction(async (tx) => {
            // Distinct rows, so neither waits on the other's row lock before the offsets.
            await store.writeRows(tx, table!, [
              upsertChange(raceTable, { id: `${name}${round}`, winner: name, round }),
            ]);
            if (ctx.fixture.concurrent) {
              arrived += 1;
              if (arrived === 2) release();
              await bothWrote;
            }
            await store.commitOffsets(tx, 'race', 1, expected, next);
            return name;
          });
        const results = await Promise.allSettled([projector(a, tableA, 'a'), projector(b, tableB, 'b')]);
        const won = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
        const lost = results
          .filter((r) => r.status === 'rejected')
          .map((r) => (r.reason as { code?: string }).code);
        assert.equal(won.length, 1, `round ${round}: exactly one winner`);
        assert.deepEqual(lost, ['OFFSET_CONFLICT']);
        const rows = await a.loadRows(tableA!, [{ id: `a${round}` }, { id: `b${round}` }]);
        assert.deepEqual([...rows.keys()], [`${won[0]}${round}`], 'only the winner’s rows are kept');
        assert.deepEqual(await a.readOffsets('race', 1), next);
        expected = next;
      }
    });
  });
}

const raceTable = {
  name: 'race',
  columns: { id: 'text', winner: 'text', round: 'integer' },
  key: ['id'],
} as const;

/** Leases: one holder at a time, taken over after expiry, measured on the store's clock. */
export function leaseSuite(ctx: SuiteContext): void {
  it('grants a lease to one holder until it expires, then to another', { timeout: 30_000 }, async () => {
    await withSecond(ctx, async (a, b) => {
      const ttl = 400;
      assert.equal(await a.acquireLease('leased', 1, 'alpha', ttl), true);
      assert.equal(await b.acquireLease('leased', 1, 'beta', ttl), false, 'held by alpha');
      assert.equal(await b.acquireLease('leased', 2, 'beta', ttl), true, 'another version has its own lease');
      assert.equal(await a.acquireLease('leased', 1, 'alpha', ttl), true, 'the holder may take it again');
      assert.equal(await b.renewLease('leased', 1, 'beta', ttl), false);
      assert.equal(await a.renewLease('leased', 1, 'alpha', ttl), true);
      await sleep(ttl + 150);
      assert.equal(await b.acquireLease('leased', 1, 'beta', ttl), true, 'expired: beta takes over');
      assert.equal(await a.renewLease('leased', 1, 'alpha', ttl), false, 'alpha has lost it');
      assert.equal(await a.acquireLease('leased', 1, 'alpha', ttl), false);
      await a.releaseLease('leased', 1, 'alpha');
      assert.equal(await a.acquireLease('leased', 1, 'alpha', ttl), false, 'only the holder can release');
      await b.releaseLease('leased', 1, 'beta');
      assert.equal(await a.acquireLease('leased', 1, 'alpha', ttl), true, 'released: free at once');
    });
  });
}

/** Committed change-log appends wake subscribers (on PostgreSQL, those of another connection). */
export function notifySuite(ctx: SuiteContext): void {
  it('wakes a subscriber after a commit, not after a rollback', { timeout: 30_000 }, async () => {
    await withSecond(ctx, async (writer, reader) => {
      const projection = `wake_${process.pid}_${Date.now()}`;
      let wakes = 0;
      let signal: () => void = () => {};
      const unsubscribe = await reader.subscribeChanges(projection, () => {
        wakes += 1;
        signal();
      });
      const woken = () =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no wake-up within 5 s')), 5_000);
          signal = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      const change = upsertChange(raceTable, { id: 'x', winner: 'w', round: 1 });
      await assert.rejects(
        writer.transaction(async (tx) => {
          await writer.appendChanges(tx, projection, 1, [change]);
          throw new Error('rolled back');
        }),
      );
      await sleep(200);
      assert.equal(wakes, 0, 'a rolled-back batch wakes nobody');
      const first = woken();
      await writer.transaction((tx) => writer.appendChanges(tx, projection, 1, [change]));
      await first;
      const entries = await reader.readChanges(projection, 0n, 10);
      assert.deepEqual(
        entries.map((e) => e.key),
        ['x'],
      );
      const second = woken();
      await writer.activateVersion(projection, 2);
      await second;
      assert.deepEqual(
        (await reader.readChanges(projection, entries[0]!.position, 10)).map((e) => e.op),
        ['reset'],
      );
      await unsubscribe();
    });
  });
}
