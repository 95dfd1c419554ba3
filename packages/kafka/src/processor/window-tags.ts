import { type DedupVerdict, DedupWindow } from '@sluice/core';
import type { AggregateEntry, RememberedCommand } from './aggregate-state.ts';

/**
 * Core's dedup window rules (`DedupWindow.check` and `remember`) over an aggregate entry that keeps a
 * tag of each window entry's command id in an array of its own. Every command scans its aggregate's
 * window, and the entries are scattered over the old generation, made over many batches: reading one
 * id was a cache miss or two, ~20 per command. The tags are small integers in one array, and an entry
 * is read only when its tag matches.
 */

/** A command id's tag: its length and last eight characters mixed into a small integer. */
export function idTag(commandId: string): number {
  let tag = commandId.length;
  for (let i = Math.max(0, commandId.length - 8); i < commandId.length; i++)
    tag = (Math.imul(tag, 31) + commandId.charCodeAt(i)) & 0x3fffffff;
  return tag;
}

/**
 * An entry's window is `[windowFrom, windowTo)` of its `window` array (the whole array when they are
 * absent), and `tags` is beside it index for index. {@link rememberInWindow} appends in place when the
 * slot after the window is free, so an aggregate's entries share their arrays, each seeing its own
 * range: copying the window (up to 32 entries and their tags) for every command allocated ~300–550
 * bytes a command, a part of which outlived its batch and was promoted (decision 0007, item 17). A
 * slot is written once and never again: an entry decided on top of another and then dropped (its
 * batch aborted) leaves its slot taken, and the next entry made from the older one copies.
 */
const windowFrom = (entry: AggregateEntry): number => entry.windowFrom ?? 0;
const windowTo = (entry: AggregateEntry): number => entry.windowTo ?? entry.window.length;

/** The entry's window, oldest first. */
export function windowEntries(entry: AggregateEntry): readonly RememberedCommand[] {
  const { window } = entry;
  const from = windowFrom(entry);
  const to = windowTo(entry);
  return from === 0 && to === window.length ? window : window.slice(from, to);
}

/** The entry's tags: kept ones when they match its window's array, else made from it (a restored entry). */
export function windowTags(entry: AggregateEntry): readonly number[] {
  const { window, tags } = entry;
  if (tags !== undefined && tags.length === window.length) return tags;
  const made = new Array<number>(window.length);
  for (let i = windowFrom(entry); i < windowTo(entry); i++)
    made[i] = idTag((window[i] as RememberedCommand).commandId);
  return made;
}

/** `DedupWindow.check` of the entry's window. */
export function checkWindow(
  entry: AggregateEntry,
  commandId: string,
  tag: number,
  payloadHash: string,
): DedupVerdict {
  const { window } = entry;
  const tags = windowTags(entry);
  const to = windowTo(entry);
  let found: RememberedCommand | undefined;
  for (let i = windowFrom(entry); i < to && found === undefined; i++)
    if (sameId(window, tags, i, tag, commandId)) found = window[i] as RememberedCommand;
  return DedupWindow.verdict(found, payloadHash);
}

/**
 * `DedupWindow.remember` of `next`'s window: `next` with `remembered` appended to its window (an older
 * entry of the same id dropped), the newest `limit` kept, and its tags beside it. `remembered` is
 * numbered next in its aggregate's count (its `seq`); the caller writes the window's records, all of
 * them when `next` was `unsaved`.
 */
export function rememberInWindow(
  next: AggregateEntry,
  remembered: RememberedCommand,
  limit: number,
): AggregateEntry {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`dedup window size must be ≥ 1, got ${limit}`);
  const { window } = next;
  const tags = windowTags(next);
  const { commandId } = remembered;
  const tag = idTag(commandId);
  const from = windowFrom(next);
  const to = windowTo(next);
  const count = (next.count ?? 0) + 1;
  remembered.seq = count;
  let repeated = false;
  for (let i = from; i < to && !repeated; i++) repeated = sameId(window, tags, i, tag, commandId);
  // The newest `limit - 1` entries stay, and the new one joins them.
  const keptFrom = Math.max(from, to - limit + 1);
  if (!repeated && to < window.length && window[to] === undefined) {
    (window as RememberedCommand[])[to] = remembered;
    (tags as number[])[to] = tag;
    return entryWith(next, window, tags, keptFrom, to + 1, count);
  }
  // A copy, with room to append in place: a full window's arrays take the next `limit / 2` entries.
  let kept = 0;
  let start = to;
  while (start > from && kept < limit - 1) {
    start--;
    if (!sameId(window, tags, start, tag, commandId)) kept++;
  }
  const capacity = Math.min(limit + (limit >> 1), 2 * (kept + 1));
  const nextWindow = new Array<RememberedCommand>(capacity);
  const nextTags = new Array<number>(capacity);
  let at = 0;
  for (let i = start; i < to; i++) {
    if (sameId(window, tags, i, tag, commandId)) continue;
    nextWindow[at] = window[i] as RememberedCommand;
    nextTags[at++] = tags[i] as number;
  }
  nextWindow[at] = remembered;
  nextTags[at] = tag;
  return entryWith(next, nextWindow, nextTags, 0, at + 1, count);
}

/**
 * Releases the window entries that `previous` saw and `committed`, which replaced it in the committed
 * state, no longer does: every entry made from now on is made from `committed` (or copies), so none
 * sees them, and the shared array would otherwise hold them until its next copy (up to `limit / 2`
 * entries per aggregate).
 */
export function releaseDropped(previous: AggregateEntry | undefined, committed: AggregateEntry): void {
  if (previous === undefined || previous.window !== committed.window) return;
  const window = committed.window as (RememberedCommand | undefined)[];
  for (let i = windowFrom(previous); i < windowFrom(committed); i++) window[i] = undefined;
}

function entryWith(
  next: AggregateEntry,
  window: readonly RememberedCommand[],
  tags: readonly number[],
  from: number,
  to: number,
  count: number,
): AggregateEntry {
  return {
    state: next.state,
    version: next.version,
    window,
    tags,
    windowFrom: from,
    windowTo: to,
    count,
    unsaved: false,
  };
}

/** Whether window entry `i` has the id `commandId` (of tag `tag`): its entry is read only on a tag match. */
function sameId(
  window: readonly RememberedCommand[],
  tags: readonly number[],
  i: number,
  tag: number,
  commandId: string,
): boolean {
  return tags[i] === tag && (window[i] as RememberedCommand).commandId === commandId;
}
