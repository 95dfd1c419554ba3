// The items-query load of the HTTP scenario, in a worker thread: `rate` queries a second for `seconds`
// from `begin` (epoch ms), each timed from its send to its parsed answer, and checked.
import { parentPort, workerData } from 'node:worker_threads';
import { sleep } from './deployment.ts';
import { agent, client } from './http-client.ts';

/** What the worker is given. */
export interface QueryLoad {
  readonly url: string;
  readonly token: string;
  /** Users with one cheap, one affordable and one expensive order. */
  readonly users: readonly string[];
  readonly rate: number;
  readonly seconds: number;
  /** When the first query goes, in epoch milliseconds. */
  readonly begin: number;
}

/** What it answers. */
export interface QueryLoadResult {
  readonly times: number[];
  /** Answers that were not 200 with one item in the cheap and the expensive bands. */
  readonly bad: number;
}

const now = () => performance.timeOrigin + performance.now();

const load = workerData as QueryLoad;
const call = client(load.url, load.token);
const times: number[] = [];
let bad = 0;
const inFlight: Promise<void>[] = [];
for (let i = 0; i < load.rate * load.seconds; i++) {
  await sleep(load.begin + (i * 1000) / load.rate - now());
  const userId = load.users[i % load.users.length];
  const sent = performance.now();
  inFlight.push(
    call('GET', `/api/users/${userId}/items`).then(({ status, body }) => {
      times.push(performance.now() - sent);
      const items = body as { cheap?: unknown[]; affordable?: unknown[]; expensive?: unknown[] };
      if (status !== 200 || items.cheap?.length !== 1 || items.expensive?.length !== 1) bad++;
    }),
  );
}
await Promise.all(inFlight);
agent.destroy();
parentPort?.postMessage({ times, bad } satisfies QueryLoadResult);
