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
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sluiceTopics, topicNames } from '@sluice/kafka';
import { dropSchema } from '@sluice/store/testing';
import { registry } from '../apps/orders/shop.ts';
import { type BenchContext, deleteTopics, percentiles, sleep } from './deployment.ts';
import { Job, type JobCommand, type SeenResult } from './job.ts';
import { readUserEvents } from './readback.ts';

const MAIN = new URL('../apps/orders/main.ts', import.meta.url).pathname;
const OPERATOR = 'bench-operator-token-0123456789';
const PORT = 28950;

/** Starts one role; resolves once it printed that it is ready. */
async function startRole(role: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, '--role', role], {
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

type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Record<string, unknown> }>;

// The load generator shares the two cores with what it measures: node:http with kept-alive
// connections costs a fraction of the CPU of fetch (undici's WHATWG streams).
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function client(url: string, token = OPERATOR): Call {
  const { hostname, port } = new URL(url);
  return (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = httpRequest(
        {
          agent,
          hostname,
          port,
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            try {
              resolve({ status: response.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) });
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
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
    const operator = client(url);
    const queryTimes: number[] = [];
    let badQueries = 0;
    const load = job.take(rate * seconds);
    const begin = performance.now() + 50;
    const inFlight: Promise<unknown>[] = [];
    const commandsDone = (async () => {
      for (const [i, command] of load.entries()) {
        await sleep(begin + (i * 1000) / rate - performance.now());
        inFlight.push(sender.send(command));
      }
    })();
    for (let i = 0; i < queryRate * seconds; i++) {
      await sleep(begin + (i * 1000) / queryRate - performance.now());
      const userId = seeded[i % seeded.length]!;
      const sent = performance.now();
      inFlight.push(
        operator('GET', `/api/users/${userId}/items`).then(({ status, body }) => {
          queryTimes.push(performance.now() - sent);
          const items = body as { cheap?: unknown[]; affordable?: unknown[]; expensive?: unknown[] };
          if (status !== 200 || items.cheap?.length !== 1 || items.expensive?.length !== 1) badQueries++;
        }),
      );
    }
    await commandsDone;
    await Promise.all(inFlight);
    const query = percentiles(queryTimes);
    log(`http: items query ${JSON.stringify(query)}`);
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
        queryRate,
        queryMs: query,
      },
      checks,
    };
  } finally {
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
