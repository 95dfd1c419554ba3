import { ErrorCodes } from './errors.ts';

/** What an aggregate remembers of one command it handled. */
export interface DedupEntry {
  readonly commandId: string;
  readonly payloadHash: string;
  /** `OK` or the rejection code. */
  readonly code: string;
  /** The aggregate version after the command. */
  readonly version: number;
  /** The rejection's message, so a duplicate gets the same result. */
  readonly message?: string | undefined;
  /**
   * The offset (decimal) of the last event it wrote, if any. A command's events all go to its
   * aggregate's partition of the aggregate's events topic, so this is its whole position.
   */
  readonly eventOffset?: string | undefined;
}

/** The last K command ids of an aggregate, oldest first. Immutable: `remember` returns a new window. */
export type DedupWindow = readonly DedupEntry[];

/** What to do with a command given its aggregate's window. */
export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: DedupEntry }
  | {
      readonly kind: 'conflict';
      readonly code: typeof ErrorCodes.IDEMPOTENCY_CONFLICT;
      readonly result: DedupEntry;
    };

export const DEFAULT_DEDUP_WINDOW = 32;

const NEW: DedupVerdict = { kind: 'new' };

/** Idempotency within the last K commands of an aggregate. */
export const DedupWindow = {
  empty: [] as DedupWindow,

  /** A duplicate (same id and payload) gets the stored result; the same id with another payload is a conflict. */
  check(window: DedupWindow, commandId: string, payloadHash: string): DedupVerdict {
    // Every command scans its aggregate's window: ids are told apart by their last character first (a
    // uuid's is random, a counter's changes each time), a full comparison only when it matches.
    // (An empty id has no last character: NaN equals nothing, so it is compared whole.)
    const last = commandId === '' ? undefined : commandId.charCodeAt(commandId.length - 1);
    let entry: DedupEntry | undefined;
    for (let i = 0; i < window.length; i++) {
      const candidate = window[i] as DedupEntry;
      const id = candidate.commandId;
      if ((last === undefined || id.charCodeAt(id.length - 1) === last) && id === commandId) {
        entry = candidate;
        break;
      }
    }
    return DedupWindow.verdict(entry, payloadHash);
  },

  /** The verdict on a command given the window entry of its id, if any (for windows scanned elsewhere). */
  verdict(entry: DedupEntry | undefined, payloadHash: string): DedupVerdict {
    if (entry === undefined) return NEW;
    if (entry.payloadHash !== payloadHash)
      return { kind: 'conflict', code: ErrorCodes.IDEMPOTENCY_CONFLICT, result: entry };
    return { kind: 'duplicate', result: entry };
  },

  /** A new window with the entry appended, keeping the newest `limit` entries. */
  remember<E extends DedupEntry>(
    window: readonly E[],
    entry: E,
    limit: number = DEFAULT_DEDUP_WINDOW,
  ): readonly E[] {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`dedup window size must be ≥ 1, got ${limit}`);
    // This runs for every command the processor accepts, and the window it makes lives as long as its
    // aggregate's next command: one array of the final size, filled newest first.
    let kept = 0;
    let from = window.length;
    while (from > 0 && kept < limit - 1) {
      from--;
      if ((window[from] as E).commandId !== entry.commandId) kept++;
    }
    const next = new Array<E>(kept + 1);
    let at = 0;
    for (let i = from; i < window.length; i++) {
      const candidate = window[i] as E;
      if (candidate.commandId !== entry.commandId) next[at++] = candidate;
    }
    next[at] = entry;
    return next;
  },
};
