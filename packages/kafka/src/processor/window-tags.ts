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

/** The entry's tags: kept ones when they match its window, else made from the window (a restored entry). */
export function windowTags(entry: AggregateEntry): readonly number[] {
  const { window, tags } = entry;
  if (tags !== undefined && tags.length === window.length) return tags;
  const made = new Array<number>(window.length);
  for (let i = 0; i < window.length; i++) made[i] = idTag((window[i] as RememberedCommand).commandId);
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
  let found: RememberedCommand | undefined;
  for (let i = 0; i < tags.length && found === undefined; i++)
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
  let kept = 0;
  let from = window.length;
  while (from > 0 && kept < limit - 1) {
    from--;
    if (!sameId(window, tags, from, tag, commandId)) kept++;
  }
  const nextWindow = new Array<RememberedCommand>(kept + 1);
  const nextTags = new Array<number>(kept + 1);
  let at = 0;
  for (let i = from; i < window.length; i++) {
    if (sameId(window, tags, i, tag, commandId)) continue;
    nextWindow[at] = window[i] as RememberedCommand;
    nextTags[at++] = tags[i] as number;
  }
  nextWindow[at] = remembered;
  nextTags[at] = tag;
  const count = (next.count ?? 0) + 1;
  remembered.seq = count;
  return {
    state: next.state,
    version: next.version,
    window: nextWindow,
    tags: nextTags,
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
