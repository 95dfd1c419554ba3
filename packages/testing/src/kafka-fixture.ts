import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';

/** The test run's Kafka bootstrap brokers, from KAFKA_BROKERS (set by the global setup). */
export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the tests with `npm test` (its global setup starts a broker) or set KAFKA_BROKERS.',
    );
  }
  return brokers.split(',').map((broker) => broker.trim());
}

/** A topic or group name no other test (or earlier run) uses: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * True when Kafka is available. Otherwise skips the test (returns false), or under CI=true fails it.
 * Use as `if (!requireKafka(t)) return;`.
 */
export function requireKafka(t: TestContext): boolean {
  const reason = kafkaUnavailableReason();
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`Kafka is required under CI=true: ${reason}`);
  t.skip(`Kafka unavailable: ${reason}`);
  return false;
}

function kafkaUnavailableReason(): string | undefined {
  if (process.env.SLUICE_TEST_NO_KAFKA === '1') return process.env.SLUICE_TEST_NO_KAFKA_REASON ?? 'no broker';
  if (!process.env.KAFKA_BROKERS) return 'KAFKA_BROKERS is not set (run through `npm test`, or set it)';
  return undefined;
}
