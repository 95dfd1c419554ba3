import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { fetchMetadata, type LocalKafka, startLocalKafka } from '@sluice/local-kafka';
import { DEFAULT_DATABASE_URL } from './postgres-fixture.ts';

// The test broker lives apart from the development one (9092): its own port and data directory.
const TEST_KAFKA_PORT = 19092;
const TEST_KAFKA_DIR = fileURLToPath(new URL('../../../.sluice/test-kafka', import.meta.url));

let startedKafka: LocalKafka | undefined;

/**
 * Global test setup: provides Kafka (KAFKA_BROKERS, else a local broker on 19092) and checks PostgreSQL.
 * A missing service fails the run under CI=true; otherwise SLUICE_TEST_NO_KAFKA / SLUICE_TEST_NO_POSTGRES
 * are set so integration tests skip with a message.
 */
export async function globalSetup(): Promise<void> {
  process.env.SLUICE_TEST_SETUP = '1';
  process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;
  const ci = process.env.CI === 'true';
  const [kafka, postgres] = await Promise.allSettled([
    provideKafka(),
    checkPostgres(process.env.DATABASE_URL),
  ]);
  if (kafka.status === 'rejected') unavailable('KAFKA', kafka.reason, ci);
  if (postgres.status === 'rejected') unavailable('POSTGRES', postgres.reason, ci);
}

/** Stops the local broker, but only if this run started it. */
export async function globalTeardown(): Promise<void> {
  await startedKafka?.stop();
  startedKafka = undefined;
}

async function provideKafka(): Promise<void> {
  const configured = process.env.KAFKA_BROKERS;
  if (configured) {
    const [host = '', port = ''] = (configured.split(',')[0] ?? '').trim().split(':');
    await fetchMetadata(host, Number(port), { topics: [], timeoutMs: 5000 }).catch((error: unknown) => {
      throw new Error(`KAFKA_BROKERS=${configured} does not answer: ${message(error)}`);
    });
    return;
  }
  const kafka = await startLocalKafka({
    dataDir: TEST_KAFKA_DIR,
    port: TEST_KAFKA_PORT,
    onProgress: (line) => process.stderr.write(`[test kafka] ${line}\n`),
  });
  if (kafka.started) startedKafka = kafka;
  process.env.KAFKA_BROKERS = kafka.brokers.join(',');
}

function checkPostgres(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 5432);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(3000, () => socket.destroy(new Error(`no answer from ${host}:${port} within 3 s`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (error) => reject(new Error(`PostgreSQL at ${host}:${port}: ${error.message}`)));
  });
}

function unavailable(service: 'KAFKA' | 'POSTGRES', reason: unknown, ci: boolean): void {
  if (ci) {
    const name = service === 'KAFKA' ? 'Kafka' : 'PostgreSQL';
    throw new Error(`${name} is required under CI=true: ${message(reason)}`, { cause: reason });
  }
  process.env[`SLUICE_TEST_NO_${service}`] = '1';
  process.env[`SLUICE_TEST_NO_${service}_REASON`] = message(reason);
  process.stderr.write(
    `[test setup] ${service} unavailable, its integration tests will skip: ${message(reason)}\n`,
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
