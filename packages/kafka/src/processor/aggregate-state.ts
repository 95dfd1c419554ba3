import { type DedupEntry, decodePositionToken, decodeState, encodeState } from '@sluice/core';
import { unsafe } from '../fault.ts';

/**
 * A window entry as the processor keeps it. The offset of its last event is filled in once its batch's
 * events are written; every window derived meanwhile (the next batch is decided while one is written)
 * shares the object, so all of them see it. Its encoding is kept once final: a window is rewritten with
 * every command of its aggregate. An entry is reachable only from the overlays of its own batch and
 * later ones until that batch commits, and an abort drops all of them.
 */
export interface RememberedCommand extends DedupEntry {
  eventOffset?: string | undefined;
  encoded?: string | undefined;
  /**
   * While this entry is the newest its aggregate wrote: the encoded window that ends with it (the
   * entries' encodings joined), that window's first entry and its length. See {@link windowParts}.
   */
  text?: string | undefined;
  textFirst?: RememberedCommand | undefined;
  textCount?: number | undefined;
}

/** What the processor holds for one aggregate: its state, version and recent command ids. */
export interface AggregateEntry {
  readonly state: unknown;
  /** Number of events the aggregate has; 0 before it exists. */
  readonly version: number;
  readonly window: readonly RememberedCommand[];
  /** A tag of each window entry's command id, in window order (`window-tags.ts`); made when absent. */
  readonly tags?: readonly number[] | undefined;
}

/** The key of an aggregate in memory and in `processor-state`: `type/id`. */
export const aggregateKey = (aggregateType: string, aggregateId: string): string =>
  `${aggregateType}/${aggregateId}`;

/** The `processor-state` key of a partition's checkpoint record. */
export const CHECKPOINT_KEY = '__checkpoint';

/** The state of one `commands` partition: its aggregates, and the next command offset they reflect. */
export interface PartitionState {
  readonly partition: number;
  readonly aggregates: Map<string, AggregateEntry>;
  /** The next `commands` offset: every command before it is reflected in `aggregates`. */
  checkpoint: bigint | undefined;
}

/**
 * The changes a batch makes, kept beside the committed state until the transaction commits: an
 * abort drops the overlay for every partition in the batch and the committed state is untouched.
 */
export class StateOverlay {
  readonly #base: ReadonlyMap<number, PartitionState>;
  readonly #changes = new Map<number, Map<string, AggregateEntry>>();
  #earlier: StateOverlay | undefined;

  /** `earlier`: the overlay of a batch still being written, which this batch comes after. */
  constructor(base: ReadonlyMap<number, PartitionState>, earlier?: StateOverlay) {
    this.#base = base;
    this.#earlier = earlier;
  }

  /** The entry as the batch sees it: its own change, else the earlier batch's, else the committed one. */
  get(partition: number, key: string): AggregateEntry | undefined {
    const own = this.#changes.get(partition)?.get(key);
    if (own !== undefined) return own;
    return this.#earlier ? this.#earlier.get(partition, key) : this.#base.get(partition)?.aggregates.get(key);
  }

  /** Forgets the earlier overlay once its batch committed (its changes are in the base now). */
  detach(): void {
    this.#earlier = undefined;
  }

  set(partition: number, key: string, entry: AggregateEntry): void {
    // Test-only: writing through to the committed state is what the overlay exists to prevent.
    if (unsafe('no-overlay')) this.#base.get(partition)?.aggregates.set(key, entry);
    let changes = this.#changes.get(partition);
    if (!changes) {
      changes = new Map();
      this.#changes.set(partition, changes);
    }
    changes.set(key, entry);
  }

  /** Every changed entry, per partition. */
  changes(): ReadonlyMap<number, ReadonlyMap<string, AggregateEntry>> {
    return this.#changes;
  }

  /** Folds the changes into the committed state: call only after the transaction committed. */
  commitInto(base: Map<number, PartitionState>, checkpoints: ReadonlyMap<number, bigint>): void {
    for (const [partition, changes] of this.#changes) {
      const state = base.get(partition);
      if (!state) continue;
      // forEach: a for…of over a Map makes an entry array per element, here one per command.
      changes.forEach((entry, key) => {
        state.aggregates.set(key, entry);
      });
    }
    for (const [partition, next] of checkpoints) {
      const state = base.get(partition);
      if (state) state.checkpoint = next;
    }
  }
}

/**
 * A remembered command on the wire: `[commandId, payloadHash, version, code, eventOffset|null, message?]`.
 * Every state record carries its aggregate's whole window, so entries are tuples, not objects.
 */
type StoredEntry = [string, string, number, string, string | null, string?];

interface StoredAggregate {
  readonly type: string;
  readonly id: string;
  readonly version: number;
  readonly state: string;
  readonly w?: readonly StoredEntry[];
  /** The window as objects, with position tokens and hex hashes: records written before `w`. */
  readonly window?: readonly LegacyEntry[];
}

/** An entry's JSON; call only once it is final (its batch's events were written). */
function encodeEntry(entry: RememberedCommand): string {
  if (entry.encoded === undefined) {
    const stored: StoredEntry = [
      entry.commandId,
      entry.payloadHash,
      entry.version,
      entry.code,
      entry.eventOffset ?? null,
    ];
    if (entry.message !== undefined) stored.push(entry.message);
    entry.encoded = JSON.stringify(stored);
  }
  return entry.encoded;
}

/** Encodes an aggregate entry as a `processor-state` record value. */
export function encodeAggregateRecord(
  aggregateType: string,
  aggregateId: string,
  entry: AggregateEntry,
  stateRevision: number,
): string {
  const state = JSON.stringify(encodeState(entry.state, stateRevision));
  const head = `{"type":${JSON.stringify(aggregateType)},"id":${JSON.stringify(aggregateId)},"version":${entry.version},"state":${state},"w":[`;
  const { window } = entry;
  if (window.length === 0) return `${head}]}`;
  // One join makes the whole text as one flat string: a template around a joined window made a rope
  // that the producer then copied again to flatten, up to a few kilobytes per command.
  const parts = windowParts(window);
  const count = parts.length;
  parts[0] = head + parts[0];
  parts[count - 1] = `${parts[count - 1]}]}`;
  const value = parts.join(',');
  const last = window[window.length - 1]!;
  if (last.text === undefined) {
    const before = window.length > 1 ? window[window.length - 2]! : undefined;
    // A window of one is its entry's encoding; a longer one a slice of this value (no copy).
    last.text = before ? value.slice(head.length, value.length - 2) : encodeEntry(last);
    last.textFirst = window[0];
    last.textCount = window.length;
    if (before) {
      before.text = undefined;
      before.textFirst = undefined;
      before.textCount = undefined;
    }
  }
  return value;
}

/**
 * Strings whose join with commas is the window's encoded entries. A window is rewritten whole with
 * every command of its aggregate, and reading its entries' encodings, scattered over the old
 * generation, cost a cache miss or two each: the window that ended with the entry before the last one
 * is usually known as one string, which then needs at most its first entry cut off. Anything else (a
 * restored window, several commands of the aggregate in one batch, an id remembered again) is joined
 * from its entries.
 */
function windowParts(window: readonly RememberedCommand[]): string[] {
  const last = window[window.length - 1]!;
  if (last.text !== undefined) return [last.text];
  const before = window.length > 1 ? window[window.length - 2]! : undefined;
  const previous = before?.text;
  if (before && previous !== undefined && before.textFirst && before.textCount !== undefined) {
    const first = window[0]!;
    const dropped = before.textCount + 1 - window.length;
    if (dropped === 0 && before.textFirst === first) return [previous, encodeEntry(last)];
    if (dropped === 1) {
      // Equal counts and the same first entry: nothing but the previous first was dropped (the ids in a
      // window are distinct, so an entry's encoding starts no other's).
      const cut = encodeEntry(before.textFirst).length + 1;
      if (previous.startsWith(encodeEntry(first), cut)) return [previous.slice(cut), encodeEntry(last)];
    }
  }
  const parts = new Array<string>(window.length);
  for (let i = 0; i < window.length; i++) parts[i] = encodeEntry(window[i]!);
  return parts;
}

/** A decoded `processor-state` aggregate record; `state` is absent when its revision is not the decider's. */
export interface DecodedAggregateRecord {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly window: readonly RememberedCommand[];
  readonly state:
    | { readonly ok: true; readonly value: unknown }
    | { readonly ok: false; readonly reason: string };
}

/** Decodes a `processor-state` aggregate record value. Throws on a record that is not one (a bug or tampering). */
export function decodeAggregateRecord(
  text: string,
  stateRevisionOf: (aggregateType: string) => number,
): DecodedAggregateRecord {
  const stored = JSON.parse(text) as StoredAggregate;
  if (
    typeof stored.type !== 'string' ||
    typeof stored.id !== 'string' ||
    !Number.isSafeInteger(stored.version)
  ) {
    throw new Error('processor-state record is not an aggregate');
  }
  const decoded = decodeState(stored.state, stateRevisionOf(stored.type));
  return {
    aggregateType: stored.type,
    aggregateId: stored.id,
    version: stored.version,
    window: decodeWindow(stored),
    state: decoded.ok ? { ok: true, value: decoded.state } : { ok: false, reason: decoded.message },
  };
}

function decodeWindow(stored: StoredAggregate): readonly RememberedCommand[] {
  if (Array.isArray(stored.w)) {
    return stored.w.map(([commandId, payloadHash, version, code, eventOffset, message]) =>
      rememberedCommand({
        commandId,
        payloadHash,
        version,
        code,
        eventOffset: eventOffset ?? undefined,
        message,
      }),
    );
  }
  return Array.isArray(stored.window)
    ? stored.window.map((entry) => rememberedCommand(fromLegacyEntry(entry)))
    : [];
}

interface LegacyEntry extends Omit<DedupEntry, 'eventOffset'> {
  readonly position?: string;
}

/** An entry of the first format: a 64-digit hex payload hash and a whole position token. */
function fromLegacyEntry({ position, ...entry }: LegacyEntry): DedupEntry {
  const payloadHash = /^[0-9a-f]{64}$/.test(entry.payloadHash)
    ? Buffer.from(entry.payloadHash, 'hex').toString('base64url', 0, 16)
    : entry.payloadHash;
  const token = position === undefined ? undefined : decodePositionToken(position);
  const eventOffset = token?.ok ? token.token.at(-1)?.offset : undefined;
  return { ...entry, payloadHash, ...(eventOffset === undefined ? {} : { eventOffset }) };
}

/** A window entry with every field present, so that all of them share one shape. */
export function rememberedCommand(entry: DedupEntry): RememberedCommand {
  return {
    commandId: entry.commandId,
    payloadHash: entry.payloadHash,
    code: entry.code,
    version: entry.version,
    message: entry.message,
    eventOffset: entry.eventOffset,
    encoded: undefined,
    text: undefined,
    textFirst: undefined,
    textCount: undefined,
  };
}

/** Encodes a checkpoint record value. */
export function encodeCheckpoint(commandsTopic: string, nextOffset: bigint): string {
  return JSON.stringify({ topic: commandsTopic, next: nextOffset.toString() });
}

/** Decodes a checkpoint record value. */
export function decodeCheckpoint(text: string): bigint {
  const { next } = JSON.parse(text) as { next: string };
  return BigInt(next);
}
