/** Errors raised by read stores; each kind has a stable `code`. */
export class StoreError extends Error {
  readonly code: string;
  readonly canRetry: boolean;

  constructor(code: string, message: string, canRetry = false, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.canRetry = canRetry;
  }
}

/** One partition whose stored offset did not match what the writer expected. */
export interface OffsetMismatch {
  readonly topicPartition: string;
  readonly expected: bigint | undefined;
  readonly actual: bigint | undefined;
}

/** The compare-and-set on stored offsets failed: another writer moved them, so this batch is fenced off. */
export class OffsetConflictError extends StoreError {
  readonly projection: string;
  readonly version: number;
  readonly mismatches: readonly OffsetMismatch[];

  constructor(projection: string, version: number, mismatches: readonly OffsetMismatch[]) {
    const list = mismatches
      .map((m) => `${m.topicPartition} expected ${m.expected ?? 'none'}, found ${m.actual ?? 'none'}`)
      .join('; ');
    super('OFFSET_CONFLICT', `offsets of ${projection} v${version} moved under this batch: ${list}`, true);
    this.projection = projection;
    this.version = version;
    this.mismatches = mismatches;
  }
}

/** One partition where the candidate version is behind the active one. */
export interface PartitionLag {
  readonly topicPartition: string;
  readonly active: bigint;
  readonly candidate: bigint | undefined;
}

/** A version cannot become active while it is behind the active version on some partition. */
export class VersionLaggingError extends StoreError {
  readonly projection: string;
  readonly activeVersion: number;
  readonly candidateVersion: number;
  readonly lagging: readonly PartitionLag[];

  constructor(
    projection: string,
    activeVersion: number,
    candidateVersion: number,
    lagging: readonly PartitionLag[],
  ) {
    const list = lagging.map((l) => `${l.topicPartition} ${l.candidate ?? 'none'} < ${l.active}`).join('; ');
    super(
      'VERSION_LAGGING',
      `${projection} v${candidateVersion} is behind active v${activeVersion} on ${lagging.length} partition(s): ${list}`,
      true,
    );
    this.projection = projection;
    this.activeVersion = activeVersion;
    this.candidateVersion = candidateVersion;
    this.lagging = lagging;
  }
}

/** A name that would be spliced into SQL as an identifier is not a plain lower-case identifier. */
export class InvalidIdentifierError extends StoreError {
  constructor(what: string, value: string) {
    super('INVALID_IDENTIFIER', `${what} ${JSON.stringify(value)} must match /^[a-z_][a-z0-9_]{0,62}$/`);
  }
}

/** A transaction handle was used with a store it does not belong to, or after it ended. */
export class TransactionMisuseError extends StoreError {
  constructor(message: string) {
    super('TRANSACTION_MISUSE', message);
  }
}
