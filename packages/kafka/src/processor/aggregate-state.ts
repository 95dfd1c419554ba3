import { type DedupEntry, decodePositionToken, decodeState, encodeState } from '@sluice/core';
import { unsafe } from '../fault.ts';
import { releaseDropped } from './window-tags.ts';

/**
 * A window entry as the processor keeps it. The offset of its last event is filled in once its batch's
 * events are written; every window derived meanwhile (the next batch is decided while one is written)
 * shares the object, so all of them see it. An entry is reachable only from the overlays of its own
 * batch and later ones until that batch commits, and an abort drops all of them.
 */
export interface RememberedCommand extends DedupEntry {
  eventOffset?: string | undefined;
  /**
   * Its number among the commands its aggregate remembered, from 1: its window record's slot is this
   * modulo the window size (`window-records.ts`). Set when it joins a window.
   */
  seq?: number | undefined;
}

/** What the processor holds for one aggregate: its state, version and recent command ids. */
export interface AggregateEntry {
  readonly state: unknown;
  /** Number of events the aggregate has; 0 before it exists. */
  readonly version: number;
  /**
   * The dedup window, oldest first: `[windowFrom, windowTo)` of this array, which later entries of the
   * aggregate may share and extend (`window-tags.ts`; read it with `windowEntries`).
   */
  readonly window: readonly RememberedCommand[];
  /** A tag of each window entry's command id, index for index with `window` (`window-tags.ts`); made when absent. */
  readonly tags?: readonly number[] | undefined;
  /** Where the window starts in `window`. Absent: 0. */
  readonly windowFrom?: number | undefined;
  /** Where the window ends in `window`. Absent: its length. */
  readonly windowTo?: number | undefined;
  /** Commands remembered over the aggregate's life: the newest window entry's `seq`. Absent: 0. */
  readonly count?: number | undefined;
  /**
   * Restored from a record of an earlier format, which carried the whole window: its entries are not
   * window records yet, and the next batch that writes the aggregate writes them all.
   */
  readonly unsaved?: boolean | undefined;
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
        releaseDropped(state.aggregates.get(key), entry);
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
 * A remembered command as a tuple, `[commandId, payloadHash, version, code, eventOffset|null,
 * message?]`: the window in records of an earlier format, and a window record after its `seq`.
 */
export type StoredEntry = [string, string, number, string, string | null, string?];

interface StoredAggregate {
  readonly type: string;
  readonly id: string;
  readonly version: number;
  readonly state: string;
  /** Commands remembered over the aggregate's life; their entries are window records of their own. */
  readonly n?: number;
  /** The whole window, in records written before window records (`n`). */
  readonly w?: readonly StoredEntry[];
  /** The window as objects, with position tokens and hex hashes: records written before `w`. */
  readonly window?: readonly LegacyEntry[];
}

/**
 * Encodes an aggregate entry as a `processor-state` record value: its state, version and how many
 * commands it remembered. The window's entries are records of their own, one written per command
 * (`window-records.ts`): a record that carried the whole window made every command write and copy
 * its aggregate's last 32 entries again, ~1 KB in the #15 job.
 */
export function encodeAggregateRecord(
  aggregateType: string,
  aggregateId: string,
  entry: AggregateEntry,
  stateRevision: number,
): string {
  const state = JSON.stringify(encodeState(entry.state, stateRevision));
  return `{"type":${JSON.stringify(aggregateType)},"id":${JSON.stringify(aggregateId)},"version":${entry.version},"state":${state},"n":${entry.count ?? 0}}`;
}

/** A decoded `processor-state` aggregate record; `state` is absent when its revision is not the decider's. */
export interface DecodedAggregateRecord {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  /** Commands remembered over its life (`n`); absent in records of an earlier format. */
  readonly count: number | undefined;
  /** The window a record of an earlier format carried (its entries numbered from 1); else empty. */
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
    count: Number.isSafeInteger(stored.n) ? stored.n : undefined,
    window: decodeWindow(stored),
    state: decoded.ok ? { ok: true, value: decoded.state } : { ok: false, reason: decoded.message },
  };
}

function decodeWindow(stored: StoredAggregate): readonly RememberedCommand[] {
  if (Array.isArray(stored.w)) return stored.w.map((tuple, i) => entryOfTuple(tuple, i + 1));
  if (!Array.isArray(stored.window)) return [];
  return stored.window.map((legacy, i) => {
    const entry = rememberedCommand(fromLegacyEntry(legacy));
    entry.seq = i + 1;
    return entry;
  });
}

/** A window entry from its tuple, `[commandId, payloadHash, version, code, eventOffset|null, message?]`. */
export function entryOfTuple(
  [commandId, payloadHash, version, code, eventOffset, message]: StoredEntry,
  seq: number,
): RememberedCommand {
  const entry = rememberedCommand({
    commandId,
    payloadHash,
    version,
    code,
    eventOffset: eventOffset ?? undefined,
    message: message ?? undefined,
  });
  entry.seq = seq;
  return entry;
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
    seq: undefined,
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
