/** Errors of the Kafka layer; each kind has a stable `code`. */
export class SluiceKafkaError extends Error {
  readonly code: string;
  readonly canRetry: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; canRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/** An existing topic does not match what Sluice needs; the message names the topic and the fix. */
export class TopicMismatchError extends SluiceKafkaError {
  readonly topic: string;
  constructor(topic: string, message: string) {
    super('TOPIC_MISMATCH', message);
    this.topic = topic;
  }
}

/** Another producer with the same transactional id took over: this one must stop writing. */
export class ProducerFencedError extends SluiceKafkaError {
  constructor(transactionalId: string, cause: unknown) {
    super(
      'PRODUCER_FENCED',
      `Producer "${transactionalId}" was fenced by a newer producer with the same transactional id`,
      { cause },
    );
  }
}

/**
 * The consumer's fetch stream failed (a broker went away, a fetch session expired, a leader moved):
 * the stream is gone and its buffered records dropped; reopen it from the committed offsets.
 */
export class ConsumerStreamError extends SluiceKafkaError {
  constructor(cause: unknown) {
    super('CONSUMER_STREAM_FAILED', `The consumer's fetch stream failed: ${messageOf(cause)}`, {
      cause,
      canRetry: true,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The transaction failed and can only be aborted; the batch must be re-run. */
export class TransactionAbortedError extends SluiceKafkaError {
  constructor(message: string, cause?: unknown) {
    super('TRANSACTION_ABORTED', message, { cause, canRetry: true });
  }
}

/** A record is larger than the topic's `max.message.bytes`, so the broker refused it. */
export class RecordTooLargeError extends SluiceKafkaError {
  readonly topic: string;
  constructor(topic: string, cause: unknown) {
    super('RECORD_TOO_LARGE', `A record for topic "${topic}" exceeds the topic's max.message.bytes`, {
      cause,
    });
    this.topic = topic;
  }
}

/** A call on a session in the wrong state: a programming error in the caller. */
export class TxnStateError extends SluiceKafkaError {
  constructor(message: string) {
    super('TXN_STATE', message);
  }
}

/** The committed offset of a `commands` partition lies below the log start: commands were lost to retention. */
export class CommandsExpiredError extends SluiceKafkaError {
  constructor(topic: string, partition: number, committed: bigint, logStart: bigint) {
    super(
      'COMMANDS_EXPIRED',
      `Committed offset ${committed} of ${topic}/${partition} is below the log start ${logStart}: ` +
        'commands expired before they were processed. Raise the topic retention and restore from a backup.',
    );
  }
}

/** Two live processes share one instance id: they fence each other in turn. */
export class DuplicateInstanceError extends SluiceKafkaError {
  constructor(transactionalId: string) {
    super(
      'DUPLICATE_INSTANCE',
      `Transactional id "${transactionalId}" was fenced twice without a rebalance: another live process uses the ` +
        'same instance id. Give every processor its own SLUICE_INSTANCE_ID.',
    );
  }
}
