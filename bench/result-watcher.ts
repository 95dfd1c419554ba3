/**
 * Follows partition 0 of a results topic (read_committed) and tells when each result arrived. The
 * reading and decoding run in a worker thread (`result-follower.ts`): on the event loop of the
 * processor it watches they would take CPU from it, which a processor deployed on its own never pays.
 * Times are `performance.now()` times of this thread.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { KafkaConnection } from '@sluice/kafka';
import type { FollowerProgress, FollowerRequest, FollowerStart } from './result-follower.ts';

/** Counts results as they become visible and times the ones somebody waits for. */
export class ResultWatcher {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  readonly latencies: number[] = [];
  readonly #connection: KafkaConnection;
  readonly #topic: string;
  #worker: Worker | undefined;
  #exited: Promise<unknown[]> = Promise.resolve([]);
  #failure: unknown;
  #wake: (() => void) | undefined;

  /** `topic`: a deployment's `command-results`, or the results topic of a null loop. */
  constructor(connection: KafkaConnection, topic: string) {
    this.#connection = connection;
    this.#topic = topic;
  }

  /** Starts at the current end of the partition. */
  async start(): Promise<void> {
    const worker = new Worker(new URL('./result-follower.ts', import.meta.url), {
      workerData: { connection: this.#connection, topic: this.#topic } satisfies FollowerStart,
    });
    this.#exited = once(worker, 'exit');
    const [ready] = await Promise.race([once(worker, 'message'), this.#exited]);
    if (ready !== 'ready') throw new Error(`the result follower ended before it was ready (${ready})`);
    const toLocal = (epoch: number) => epoch - performance.timeOrigin;
    worker.on('message', (progress: FollowerProgress) => {
      if (this.count === 0) this.firstAt = toLocal(progress.firstAt);
      this.count = progress.count;
      this.lastAt = toLocal(progress.lastAt);
      for (const latency of progress.latencies) this.latencies.push(latency);
      this.#wake?.();
    });
    worker.on('error', (error) => {
      this.#failure = error;
      this.#wake?.();
    });
    this.#worker = worker;
  }

  /** Times the next result of `commandId` from `sentAt` (a performance.now() time). */
  expect(commandId: string, sentAt: number): void {
    const request: FollowerRequest = { kind: 'expect', commandId, sentAt: performance.timeOrigin + sentAt };
    this.#worker?.postMessage(request);
  }

  /** Resolves once `count` results have been seen (or rejects after `timeoutMs` without progress). */
  async waitForCount(count: number, timeoutMs = 120_000): Promise<void> {
    let last = this.count;
    let since = performance.now();
    while (this.count < count) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1_000);
      });
      if (this.#failure) throw this.#failure;
      if (this.count !== last) [last, since] = [this.count, performance.now()];
      else if (performance.now() - since > timeoutMs)
        throw new Error(`results stalled at ${this.count} of ${count}`);
    }
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#worker?.postMessage({ kind: 'stop' } satisfies FollowerRequest);
    await this.#exited;
  }
}
