/** Commands and events: readonly discriminated unions on `type`, with their fields in `data`. */

/** Fields every command may carry besides its data. */
export interface CommandMetadata {
  /** The command's idempotency key: envelope `commandId`, derived from Idempotency-Key, or from the record. */
  readonly commandId: string;
  /** Who sent it (set by the gateway from the verified token); absent means `system`. */
  readonly principal?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Optimistic concurrency: reject unless the aggregate is at this version. */
  readonly expectedVersion?: number;
  /** The `command-results` partition the gateway waits on. */
  readonly replyTo?: number;
}

/** Fields a stored event carries besides its data (from record headers, never from deciders). */
export interface EventMetadata {
  readonly eventId: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The aggregate's version after this event (1 for its first event). */
  readonly version: number;
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** The payload schema version as written; after upcasting, the current one. */
  readonly schemaVersion: number;
  /** When the event was recorded (Kafka record timestamp, ms since epoch). */
  readonly recordedAt?: number;
}

/** A plain JSON-like record. */
export type DefaultData = Readonly<Record<string, unknown>>;

/** A command: an intention, which a decider may accept or reject. */
export type Command<Type extends string = string, Data extends DefaultData = DefaultData> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata?: CommandMetadata;
}>;

/** An event: a fact that happened. Deciders return events without metadata; stored events have it. */
export type Event<Type extends string = string, Data extends DefaultData = DefaultData> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata?: EventMetadata;
}>;

/** A command as decoded from a record: its metadata is always present. */
export type DecodedCommand<C extends Command = Command> = C & { readonly metadata: CommandMetadata };

/** An event as read back from its topic: its metadata is always present. */
export type RecordedEvent<E extends Event = Event> = E & { readonly metadata: EventMetadata };
