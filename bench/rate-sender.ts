// The latency run's producer, in a worker thread: on the thread of the processor it measures, a
// sender would wait for the processor's batches before sending (and take CPU from it), which a
// client deployed elsewhere never does. It loads, connects, says it is ready, and is then told when
// to start (epoch ms); command i is due at `begin + i * 1000 / rate`. Due commands go in one produce
// request; those that fall due while it is in flight go in the next, like a lingering producer.
import { parentPort, workerData } from 'node:worker_threads';
import { createProducer, type KafkaConnection } from '@sluice/kafka';
import { epochNow, sleep } from './clock.ts';

/** What the worker is given. */
export interface RateSend {
  readonly connection: KafkaConnection;
  readonly topic: string;
  readonly commands: readonly { partition: number; key: Uint8Array; value: Uint8Array }[];
  readonly rate: number;
}

/** What it posts once it is connected; it then waits for a `RateStart`. */
export type RateReady = 'ready';

/** When command 0 is due, in epoch milliseconds. */
export interface RateStart {
  readonly begin: number;
}

/** What it posts at the end: `ok`, or the error that stopped it. */
export type RateDone = { readonly ok: true } | { readonly ok: false; readonly error: string };

const { connection, topic, commands, rate } = workerData as RateSend;
type Message = { topic: string; partition: number; key: Buffer; value: Buffer };
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const messages: Message[] = commands.map(({ partition, key, value }) => ({
  topic,
  partition,
  key: asBuffer(key),
  value: asBuffer(value),
}));
const producer = createProducer(connection);
// Connecting and reading metadata are not part of the first command's latency.
await producer.metadata({ topics: [topic] });
parentPort!.postMessage('ready' satisfies RateReady);
const { begin } = await new Promise<RateStart>((resolve) => parentPort!.once('message', resolve));

let pending: Message[] = [];
let inFlight: Promise<unknown> = Promise.resolve();
let failure: unknown;
let flushing = false;
const flush = (): void => {
  if (flushing || pending.length === 0) return;
  flushing = true;
  const batch = pending;
  pending = [];
  inFlight = producer.send({ messages: batch }).then(
    () => {
      flushing = false;
      flush();
    },
    (error: unknown) => {
      failure = error;
    },
  );
};
const due = (i: number) => begin + (i * 1000) / rate;
try {
  for (let i = 0; i < messages.length; ) {
    const now = epochNow();
    for (; i < messages.length && due(i) <= now; i++) pending.push(messages[i]!);
    flush();
    if (failure) throw failure;
    await sleep(due(i) - epochNow());
  }
  while (flushing || pending.length > 0) {
    await inFlight;
    if (failure) throw failure;
  }
  parentPort!.postMessage({ ok: true } satisfies RateDone);
} catch (error) {
  parentPort!.postMessage({ ok: false, error: String(error) } satisfies RateDone);
} finally {
  await producer.close();
}
