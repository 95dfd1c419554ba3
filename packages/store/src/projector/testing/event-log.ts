import { randomUUID } from 'node:crypto';
import { type CommandResult, encodeCommandResult, encodeEvent, type PositionEntry } from '@sluice/core';
import {
  createAdmin,
  ensureTopics,
  type KafkaConnection,
  type OutgoingRecord,
  partitionForKey,
  sluiceTopics,
  TxnSession,
} from '@sluice/kafka';

/** An event to append, as a command processor would have written it. */
export interface TestEvent {
  readonly aggregate: string;
  readonly id: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Payload schema version; default 1. */
  readonly schema?: number;
}

/**
 * Event topics of a test deployment, written in Kafka transactions with the headers the processor
 * writes (`sluice-type`, `-version`, `-event-id`, `-command-id`, `-schema`). Test support only.
 */
export class EventLog {
  readonly prefix: string;
  readonly connection: KafkaConnection;
  readonly partitions: number;
  readonly #versions = new Map<string, number>();
  readonly #session: TxnSession;
  readonly #topics: string[];

  private constructor(prefix: string, connection: KafkaConnection, partitions: number, topics: string[]) {
    this.prefix = prefix;
    this.connection = connection;
    this.partitions = partitions;
    this.#topics = topics;
    this.#session = new TxnSession({ connection, transactionalId: `${prefix}test-writer-${randomUUID()}` });
  }

  /** Creates the deployment's topics (events of each aggregate, command-results, ...). */
  static async create(options: {
    brokers: string[];
    prefix: string;
    aggregates: readonly string[];
    partitions?: number;
  }): Promise<EventLog> {
    const connection: KafkaConnection = { brokers: options.brokers, clientId: `${options.prefix}test` };
    const partitions = options.partitions ?? 3;
    const specs = sluiceTopics({
      prefix: options.prefix,
      aggregateTypes: options.aggregates,
      partitions,
      resultPartitions: 2,
    });
    const admin = createAdmin(connection);
    try {
      await ensureTopics(admin, specs, { replicationFactor: 1 });
    } finally {
      await admin.close();
    }
    return new EventLog(
      options.prefix,
      connection,
      partitions,
      specs.map((s) => s.name),
    );
  }

  /** Appends events in transactions of `perTransaction` records; returns the token entries they make. */
  async append(events: readonly TestEvent[], perTransaction = 5000): Promise<PositionEntry[]> {
    const records = events.map((event) => this.#record(event));
    const last = new Map<string, PositionEntry>();
    for (let i = 0; i < records.length; i += perTransaction) {
      const chunk = records.slice(i, i + perTransaction);
      const offsets = await this.#session.transact((s) => s.send(chunk));
      chunk.forEach((r, j) => {
        last.set(`${r.topic}/${r.partition}`, {
          topic: r.topic,
          partition: r.partition,
          offset: String(offsets[j]),
        });
      });
    }
    return [...last.values()];
  }

  /** Appends command results to partition 0 of `command-results`. */
  async appendResults(results: readonly CommandResult[]): Promise<void> {
    const topic = `${this.prefix}command-results`;
    await this.#session.transact((s) =>
      s.send(results.map((r) => ({ topic, partition: 0, key: r.commandId, value: encodeCommandResult(r) }))),
    );
  }

  #record(event: TestEvent): OutgoingRecord {
    const versionKey = `${event.aggregate}/${event.id}`;
    const version = (this.#versions.get(versionKey) ?? 0) + 1;
    this.#versions.set(versionKey, version);
    const encoded = encodeEvent({
      type: event.type,
      data: event.data,
      metadata: {
        eventId: randomUUID(),
        aggregateType: event.aggregate,
        aggregateId: event.id,
        version,
        commandId: randomUUID(),
        schemaVersion: event.schema ?? 1,
      },
    });
    return {
      topic: `${this.prefix}${event.aggregate}-events`,
      partition: partitionForKey(event.id, this.partitions),
      key: encoded.key,
      value: encoded.value,
      headers: encoded.headers,
    };
  }

  /** Closes the writer and deletes the topics. */
  async close(): Promise<void> {
    await this.#session.close().catch(() => undefined);
    const admin = createAdmin(this.connection);
    await admin.deleteTopics({ topics: this.#topics }).catch(() => undefined);
    await admin.close();
  }
}
