import { entryOfTuple, type RememberedCommand, type StoredEntry } from './aggregate-state.ts';

/**
 * The dedup window in `processor-state`: one record per remembered command, beside its aggregate's
 * record, in the same transaction. Its key is the aggregate's with a slot, `type#slot/id`, where the
 * slot is the entry's `seq` modulo the window size: compaction keeps one record per slot, the newest
 * `size` entries. An aggregate key has no `#` before its first `/` (aggregate types are topic-name
 * characters), so the two kinds of key never meet. A command writes its own entry and nothing of the
 * entries before it.
 */

/** A window entry on the wire: `[seq, commandId, payloadHash, version, code, eventOffset|null, message?]`. */
type StoredWindowEntry = [number, string, string, number, string, string | null, string?];

/** The `processor-state` key of the window slot `seq % size` of an aggregate. */
export function windowRecordKey(
  aggregateType: string,
  aggregateId: string,
  seq: number,
  size: number,
): string {
  return `${aggregateType}#${seq % size}/${aggregateId}`;
}

/** The aggregate key (`type/id`) of a window record's key; `undefined` for any other key. */
export function aggregateOfWindowKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const mark = slash < 0 ? -1 : key.lastIndexOf('#', slash);
  if (mark < 0) return undefined;
  return key.slice(0, mark) + key.slice(slash);
}

/** A window record's value; call once the entry is final (its batch's events were written). */
export function encodeWindowRecord(entry: RememberedCommand): string {
  const stored: StoredWindowEntry = [
    entry.seq ?? 0,
    entry.commandId,
    entry.payloadHash,
    entry.version,
    entry.code,
    entry.eventOffset ?? null,
  ];
  if (entry.message !== undefined) stored.push(entry.message);
  return JSON.stringify(stored);
}

/** Decodes a window record's value. Throws on one that is not (a bug or tampering). */
export function decodeWindowRecord(text: string): RememberedCommand {
  const stored: unknown = JSON.parse(text);
  if (!Array.isArray(stored)) throw new Error('processor-state record is not a window entry');
  const [seq, commandId, payloadHash, version, code] = stored as StoredWindowEntry;
  if (
    !Number.isSafeInteger(seq) ||
    typeof commandId !== 'string' ||
    typeof payloadHash !== 'string' ||
    !Number.isSafeInteger(version) ||
    typeof code !== 'string'
  ) {
    throw new Error('processor-state record is not a window entry');
  }
  return entryOfTuple(stored.slice(1) as StoredEntry, seq);
}

/**
 * An aggregate's window from its window records: the entries numbered `count - size + 1` to `count`
 * (a slot's older entry outlives a smaller window size, and one of a later count never committed),
 * in order, each id once (its newest entry), the newest `size` of them: what core's
 * `DedupWindow.remember` kept in memory.
 */
export function windowOfRecords(
  entries: readonly RememberedCommand[],
  count: number,
  size: number,
): RememberedCommand[] {
  const inWindow = (entry: RememberedCommand) => (entry.seq ?? 0) <= count && (entry.seq ?? 0) > count - size;
  if (entries.length === 1) return inWindow(entries[0]!) ? [entries[0]!] : [];
  const current = entries.filter(inWindow).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const newest = new Map<string, RememberedCommand>();
  for (const entry of current) newest.set(entry.commandId, entry);
  return current.filter((entry) => newest.get(entry.commandId) === entry).slice(-size);
}
