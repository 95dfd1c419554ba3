// The items-query load of the HTTP scenario, in a worker thread. The worker loads, warms its
// connections and the API's query path with a few untimed queries, and says it is ready; it is then
// told when to start (epoch ms) and sends `rate` queries a second for `seconds`, each timed from its
// send to its parsed answer, and checked. Without the handshake a worker that took longer to start
// than the parent expected would send its backlog at once and time the queueing of its own burst.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { epochNow, sleep } from './clock.ts';
import { agent, client } from './http-client.ts';

/** What the worker is given. */
export interface QueryLoad {
  readonly url: string;
  readonly token: string;
  /** Users with one cheap, one affordable and one expensive order. */
  readonly users: readonly string[];
  readonly rate: number;
  readonly seconds: number;
}

/** What it posts once it is ready; it then waits for a `QueryStart`. */
export interface QueryReady {
  readonly ready: true;
}

/** When the first query goes, in epoch milliseconds. */
export interface QueryStart {
  readonly begin: number;
}

/** What it answers. */
export interface QueryLoadResult {
  readonly times: number[];
  /** The same queries as the API timed them (its `Server-Timing`): the rest was waiting to run. */
  readonly serverTimes: number[];
  /** Answers that were not 200 with one item in the cheap and the expensive bands. */
  readonly bad: number;
}

/** Untimed queries before the measured ones. */
const WARM_UP_QUERIES = 200;

const load = workerData as QueryLoad;
const call = client(load.url, load.token);
let bad = 0;

const serverTimes: number[] = [];

async function query(i: number): Promise<number> {
  const userId = load.users[i % load.users.length];
  const sent = performance.now();
  const { status, headers, body } = await call('GET', `/api/users/${userId}/items`);
  const took = performance.now() - sent;
  const server = /dur=([\d.]+)/.exec(String(headers['server-timing'] ?? ''));
  if (server) serverTimes.push(Number(server[1]));
  const items = body as { cheap?: unknown[]; affordable?: unknown[]; expensive?: unknown[] };
  if (status !== 200 || items.cheap?.length !== 1 || items.expensive?.length !== 1) bad++;
  return took;
}

for (let i = 0; i < WARM_UP_QUERIES; i++) await query(i);
bad = 0;
serverTimes.length = 0;
parentPort!.postMessage({ ready: true } satisfies QueryReady);
const [{ begin }] = (await once(parentPort!, 'message')) as [QueryStart];

const times: number[] = [];
const inFlight: Promise<void>[] = [];
for (let i = 0; i < load.rate * load.seconds; i++) {
  await sleep(begin + (i * 1000) / load.rate - epochNow());
  inFlight.push(query(i).then((took) => void times.push(took)));
}
await Promise.all(inFlight);
agent.destroy();
parentPort!.postMessage({ times, serverTimes, bad } satisfies QueryLoadResult);
