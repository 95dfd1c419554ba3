import assert from 'node:assert/strict';
import { consoleConsume } from '@sluice/local-kafka';
import type { KafkaConnection } from '../client.ts';
import { type ReadRecord, readTopic } from '../read-topic.ts';

/** Options of {@link readBoth}. */
export interface ReadBothOptions {
  /** Our reader stops as soon as this many records arrived (it still waits `idleMs` otherwise). */
  readonly expect?: number;
  readonly idleMs?: number;
  /**
   * What must agree: `value` compares partition, offset, key and value (text topics); `position`
   * only partition, offset and the `sluice-error-code` header (topics holding arbitrary bytes).
   */
  readonly compare?: 'value' | 'position';
}

/**
 * Reads a topic read_committed with our consumer and with the Java console consumer (the
 * independent oracle) and asserts that both saw the same records. Returns ours.
 */
export async function readBoth(
  connection: KafkaConnection,
  topic: string,
  options: ReadBothOptions = {},
): Promise<ReadRecord[]> {
  const ours = await readTopic(connection, topic, {
    ...(options.expect === undefined ? {} : { expect: options.expect }),
    idleMs: options.idleMs ?? 1_500,
    timeoutMs: 60_000,
  });
  const oracle = await consoleConsume({ brokers: [...connection.brokers], topic, timeoutMs: 4_000 });
  const byValue = options.compare !== 'position';
  const mine = ours.map((r) =>
    byValue
      ? `${r.partition}/${r.offset}/${r.key?.toString() ?? null}/${r.value.toString()}`
      : `${r.partition}/${r.offset}/${r.headers.get('sluice-error-code')?.toString()}`,
  );
  const theirs = oracle.map((r) =>
    byValue
      ? `${r.partition}/${r.offset}/${r.key}/${r.value}`
      : `${r.partition}/${r.offset}/${r.headers['sluice-error-code']}`,
  );
  mine.sort();
  theirs.sort();
  if (mine.length !== theirs.length || mine.some((line, i) => line !== theirs[i])) {
    const only = (a: string[], b: string[]) => a.filter((line) => !b.includes(line)).slice(0, 5);
    assert.fail(
      `${topic}: our read_committed reader saw ${mine.length} records, the Java console consumer ` +
        `${theirs.length}; only ours: ${only(mine, theirs).join(' | ')}; only Java: ${only(theirs, mine).join(' | ')}`,
    );
  }
  return ours;
}
