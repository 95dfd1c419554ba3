/**
 * The shop over HTTP with its roles split over three processes (`apps/orders/main.ts --role
 * processor|projector|api`) on PostgreSQL. `httpCommandsPerSec`: the job as `PUT /api/users/:id`
 * (operator token, the command id as Idempotency-Key), many requests in flight, one at a time per
 * user so that send order is version order. `queryP99Ms`: `GET /api/users/:id/items` of users with
 * orders, at a fixed rate, while commands run at half that throughput.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROCESSOR_NODE_FLAGS, sluiceTopics, topicNames } from '@sluice/kafka';
import { dropSchema } from '@sluice/store/testing';
import { registry } from '../apps/orders/shop.ts';
import { epochNow, sleep } from './clock.ts';
import { type BenchContext, deleteTopics, percentiles } from './deployment.ts';
import { agent, type Call, client as httpClient } from './http-client.ts';
import { Job, type JobCommand, type SeenResult } from './job.ts';
import { BACKGROUND_NICE, lowerPriority, lowerThisThread } from './priorities.ts';
import type { QueryLoad, QueryLoadResult, QueryStart } from './query-load.ts';
import { readUserEvents } from './readback.ts';

const MAIN = new URL('../apps/orders/main.ts', import.meta.url).pathname;
const OPERATOR = 'bench-operator-token-0123456789';
const PORT = 28950;
const client = (url: string, token = OPERATOR) => httpClient(url, token);

/** Starts one role; resolves once it printed that it is ready. */
async function startRole(role: string, env: Record<string, string>): Promise<ChildProcess> {
  // Flags as `npm start` gives them (PROCESSOR_NODE_FLAGS); they only matter to the processor.
  const child = spawn(process.execPath, [...PROCESSOR_NODE_FLAGS, MAIN, '--role', role], {
    env: { ...process.env, ...env, SLUICE_INSTANCE_ID: `bench-${role}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stderr!.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      collect(chunk);
      if (output.includes('Sluice shop ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`--role ${role} exited with ${code}: ${output}`)));
  });
  return child;
}

async function stopRole(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** Sends job commands as HTTP PUTs; a user's commands go one after another, in job order. */
class CommandSender {
  readonly answers: SeenResult[] = [];
  failures = 0;
  readonly #call: Call;
  readonly #chains = new Map<string, Promise<void>>();

  constructor(call: Call) {
    this.#call = call;
  }

  send(command: JobCommand): Promise<void> {
    const previous = this.#chains.get(command.userId) ?? Promise.resolve();
    const sent = previous.then(async () => {
      const { status, body } = await this.#call(
        'PUT',
        `/api/users/${command.userId}`,
        { newName: command.newName },
        { 'idempotency-key': command.commandId },
      );
      if (status >= 500 || status === 202) this.failures++;
      const code = status < 300 ? 'OK' : String(body.code);
      const version = status < 300 ? (body.version as number) : undefined;
      this.answers.push({
        commandId: command.commandId,
        code,
        ...(version === undefined ? {} : { version }),
      });
    });
    const chain = sent.catch(() => undefined);
    this.#chains.set(command.userId, chain);
    void chain.then(() => {
      if (this.#chains.get(command.userId) === chain) this.#chains.delete(command.userId);
    });
    return sent;
  }
}

/** Places a few orders for `users` users (their own tokens), so their items query has rows to read. */
async function seedOrders(url: string, users: number): Promise<string[]> {
  const ids = Array.from({ length: users }, (_, i) => String(i + 1));
  for (const userId of ids) {
    const { body } = await client(url, '')('POST', '/api/auth/dev-login', { userId });
    const own = client(url, body.token as string);
    for (const price of [499, 2500, 9900]) {
      const placed = await own('POST', '/api/orders', { items: [{ name: `tea-${price}`, price }] });
      if (placed.status !== 201)
        throw new Error(`seeding an order failed: ${placed.status} ${JSON.stringify(placed.body)}`);
    }
  }
  return ids;
}

/**
 * Starts the query load in a worker thread; resolves once the worker is loaded and warmed up, with a
 * function that starts it at `begin` (epoch ms) and resolves with its latencies.
 */
async function queryLoad(load: QueryLoad): Promise<(begin: number) => Promise<QueryLoadResult>> {
  const worker = new Worker(new URL('./query-load.ts', import.meta.url), { workerData: load });
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    // On a loaded machine the exit event once won the race against the worker's last message:
    // give the message a turn before calling the exit a failure.
    worker.once('exit', (code) => setImmediate(() => reject(new Error(`the query load ended with ${code}`))));
  });
  const next = () => Promise.race([once(worker, 'message').then(([message]) => message), failed]);
  await next(); // QueryReady
  return async (begin) => {
    worker.postMessage({ begin } satisfies QueryStart);
    return (await next()) as QueryLoadResult;
  };
}

/** Runs the HTTP measurements against the three role processes. */
export async function httpScenario(context: BenchContext) {
  const { sizes, log } = context;
  const prefix = `bench-http-${Date.now()}.`;
  const schema = `bench_http_${Date.now()}`;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-http-'));
  const env: Record<string, string> = {
    KAFKA_BROKERS: context.brokers.join(','),
    SLUICE_TOPIC_PREFIX: prefix,
    SLUICE_PARTITIONS: String(context.partitions),
    SLUICE_DATA_DIR: dir,
    PORT: String(PORT),
    SLUICE_DEV_LOGIN: '1',
    SLUICE_OPERATOR_TOKEN: OPERATOR,
    SLUICE_FULFILMENT: 'off',
    LOG_LEVEL: 'warn',
    DATABASE_URL: context.databaseUrl,
    SLUICE_READ_SCHEMA: schema,
  };
  const children: ChildProcess[] = [];
  let restorePriority = () => {};
  try {
    log('http: starting the processor, projector and api processes');
    // The first process creates the topics and tables; the others find them.
    children.push(await startRole('processor', env));
    children.push(...(await Promise.all([startRole('projector', env), startRole('api', env)])));
    const url = `http://127.0.0.1:${PORT}`;
    const seeded = await seedOrders(url, 100);
    const job = new Job({ partitions: context.partitions, seed: 18 });
    const sender = new CommandSender(client(url));
    const commands = job.take(sizes.httpCommands!);
    log(`http: ${commands.length} commands, ${sizes.httpConcurrency} requests in flight`);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: sizes.httpConcurrency! }, async () => {
        while (next < commands.length) await sender.send(commands[next++]!);
      }),
    );
    const httpCommandsPerSec = Math.round(commands.length / ((performance.now() - started) / 1000));
    log(`http: ${httpCommandsPerSec} commands/s`);

    const rate = Math.max(1, Math.floor(httpCommandsPerSec / 2));
    const queryRate = 100;
    const seconds = sizes.querySeconds!;
    log(`http: items queries at ${queryRate}/s for ${seconds} s, commands at ${rate}/s`);
    const load = job.take(rate * seconds);
    // The queries are sent and timed by a thread of their own: on the command sender's event loop they
    // would also time its pauses (GC, 600 requests a second of bookkeeping).
    const startQueries = await queryLoad({ url, token: OPERATOR, users: seeded, rate: queryRate, seconds });
    // While the queries are timed the throughput parts run at the lower priority (see priorities.ts).
    const [processor, projector] = children;
    const restoreRoles = lowerPriority([processor!.pid!, projector!.pid!, ...context.brokerPids], log);
    // The commands' sender too (this thread; the queries' thread started before and keeps its priority).
    const restoreSender = lowerThisThread(log);
    restorePriority = () => {
      restoreSender();
      restoreRoles();
    };
    const begin = epochNow() + 50;
    const inFlight: Promise<unknown>[] = [];
    const queries = startQueries(begin);
    const commandsDone = (async () => {
      for (const [i, command] of load.entries()) {
        await sleep(begin + (i * 1000) / rate - epochNow());
        inFlight.push(sender.send(command));
      }
    })();
    const { times: queryTimes, serverTimes, bad: badQueries } = await queries;
    await commandsDone;
    await Promise.all(inFlight);
    // What the command load achieved while queries were timed (sent to answered).
    const loadCommandsPerSec = Math.round(load.length / ((epochNow() - begin) / 1000));
    restorePriority();
    restorePriority = () => {};
    const query = percentiles(queryTimes);
    const queryServer = percentiles(serverTimes);
    log(
      `http: items query ${JSON.stringify(query)} (in the API ${JSON.stringify(queryServer)}), commands at ${loadCommandsPerSec}/s`,
    );
    for (const child of children.splice(0).reverse()) await stopRole(child);
    const connection = { brokers: context.brokers, clientId: `${prefix}check` };
    const events = await readUserEvents(connection, topicNames(prefix));
    const checks = job.ledger.check(sender.answers);
    checks.everyCommandAnswered = {
      ok: sender.failures === 0,
      detail: `${sender.failures} answered 202 or 5xx`,
    };
    checks.oneEventPerAcceptedCommand = {
      ok: events.length === job.ledger.accepted,
      detail: `${events.length} events for ${job.ledger.accepted} accepted commands`,
    };
    checks.itemsQueriesCorrect = {
      ok: badQueries === 0,
      detail: `${badQueries} of ${queryTimes.length} wrong`,
    };
    return {
      results: { httpCommandsPerSec, queryP99Ms: query.p99 },
      details: {
        commands: commands.length,
        concurrency: sizes.httpConcurrency,
        loadRate: rate,
        loadCommandsPerSec,
        queryRate,
        queryMs: query,
        // The same queries as the API timed them (Server-Timing): the difference is time spent
        // waiting for a CPU or on the way, outside the request's handling.
        queryServerMs: queryServer,
        // The nice value of the processor and projector while queries were timed, and of the broker
        // (only one this run started).
        queryPhaseNice: {
          roles: BACKGROUND_NICE,
          commandSender: BACKGROUND_NICE,
          broker: context.brokerPids.length > 0 ? BACKGROUND_NICE : 0,
        },
      },
      checks,
    };
  } finally {
    restorePriority();
    restorePriority = () => {};
    agent.destroy();
    for (const child of children.reverse()) await stopRole(child);
    await deleteTopics(
      { brokers: context.brokers, clientId: `${prefix}cleanup` },
      sluiceTopics({ prefix, aggregateTypes: registry.aggregateTypes() }).map((spec) => spec.name),
    );
    await dropSchema(schema).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
