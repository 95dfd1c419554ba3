import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupWindow } from '@sluice/core';
import fc from 'fast-check';
import {
  type AggregateEntry,
  type PartitionState,
  type RememberedCommand,
  rememberedCommand,
  StateOverlay,
} from './aggregate-state.ts';
import { checkWindow, idTag, rememberInWindow, windowEntries } from './window-tags.ts';

// Few ids and hashes, so that repeats, conflicts and tag collisions all happen.
const ids = fc.constantFrom('a', 'b', 'c-1', 'c-2', 'same-tail-x', 'other-tail-x', '');
const hashes = fc.constantFrom('h1', 'h2');
const steps = fc.array(fc.tuple(ids, hashes, fc.boolean()), { maxLength: 60 });

test('the tagged window answers and remembers exactly as core DedupWindow does', () => {
  fc.assert(
    fc.property(steps, fc.integer({ min: 1, max: 6 }), fc.boolean(), (commands, limit, restored) => {
      let entry: AggregateEntry = { state: null, version: 0, window: [] };
      let core: readonly RememberedCommand[] = [];
      for (const [version, [commandId, hash, remember]] of commands.entries()) {
        assert.deepEqual(
          checkWindow(entry, commandId, idTag(commandId), hash),
          DedupWindow.check(core, commandId, hash),
        );
        if (!remember) continue;
        const remembered = rememberedCommand({ commandId, payloadHash: hash, code: 'OK', version });
        core = DedupWindow.remember(core, remembered, limit);
        entry = rememberInWindow({ ...entry, version }, remembered, limit);
        assert.deepEqual(windowEntries(entry), core);
        // A restored entry has no tags: they are made from its window.
        if (restored) entry = { state: entry.state, version: entry.version, window: windowEntries(entry) };
      }
    }),
    { numRuns: 500 },
  );
});

test('entries made from one entry share its arrays and never see each other', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.nat({ max: 3 }), { maxLength: 40 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 6 }),
      (branches, limit) => {
        // Each branch starts from an entry made earlier (as a batch is decided again after an abort,
        // from the committed entry): every entry ever made must still show its own window.
        const made: { entry: AggregateEntry; window: RememberedCommand[] }[] = [
          { entry: { state: null, version: 0, window: [] }, window: [] },
        ];
        let serial = 0;
        for (const branch of branches) {
          let { entry, window } = made[branch.length % made.length]!;
          for (const pick of branch) {
            // Mostly new ids, and now and then one already in the window.
            const commandId = pick === 0 && window.length > 0 ? window[0]!.commandId : `c${serial++}`;
            const remembered = rememberedCommand({
              commandId,
              payloadHash: 'h',
              code: 'OK',
              version: serial,
            });
            window = [...DedupWindow.remember(window, remembered, limit)];
            entry = rememberInWindow(entry, remembered, limit);
            made.push({ entry, window });
          }
        }
        for (const { entry, window } of made) {
          assert.deepEqual(windowEntries(entry), window);
          for (const { commandId } of window)
            assert.equal(checkWindow(entry, commandId, idTag(commandId), 'h').kind, 'duplicate');
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a commit releases the entries its window dropped, and nothing any later entry sees', () => {
  const limit = 4;
  const base = new Map<number, PartitionState>([
    [0, { partition: 0, aggregates: new Map(), checkpoint: undefined }],
  ]);
  const entries: RememberedCommand[] = [];
  const remember = (entry: AggregateEntry) => {
    const remembered = rememberedCommand({
      commandId: `c${entries.length}`,
      payloadHash: 'h',
      code: 'OK',
      version: 1,
    });
    entries.push(remembered);
    return rememberInWindow(entry, remembered, limit);
  };
  let committed: AggregateEntry = { state: null, version: 0, window: [] };
  for (let i = 0; i < 3; i++) committed = remember(committed);
  base.get(0)?.aggregates.set('a', committed);
  // A batch takes it two entries further, and the batch after it, decided meanwhile, one more.
  const batch = new StateOverlay(base);
  batch.set(0, 'a', remember(remember(committed)));
  const next = new StateOverlay(base, batch);
  const latest = remember(batch.get(0, 'a')!);
  next.set(0, 'a', latest);
  assert.equal(latest.window, committed.window, 'the arrays are shared');
  batch.commitInto(base, new Map());
  const kept = windowEntries(base.get(0)!.aggregates.get('a')!);
  assert.deepEqual(
    kept.map((e) => e.commandId),
    ['c1', 'c2', 'c3', 'c4'],
  );
  assert.deepEqual(
    windowEntries(latest).map((e) => e.commandId),
    ['c2', 'c3', 'c4', 'c5'],
  );
  const held = new Set(latest.window.filter((e) => e !== undefined));
  assert.ok(!held.has(entries[0]!), 'what no window sees any more is released');
  assert.equal(held.size, 5);
});

test('tags that no longer match the window are not trusted', () => {
  const a = rememberedCommand({ commandId: 'a', payloadHash: 'h', code: 'OK', version: 1 });
  const b = rememberedCommand({ commandId: 'b', payloadHash: 'h', code: 'OK', version: 2 });
  const stale: AggregateEntry = { state: null, version: 2, window: [a, b], tags: [idTag('a')] };
  assert.equal(checkWindow(stale, 'b', idTag('b'), 'h').kind, 'duplicate');
  assert.throws(() => rememberInWindow(stale, b, 0), RangeError);
});
