import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './index.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('sluice --help lists the command groups', async () => {
  const result = await run(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.out, /Usage: sluice <command>/);
  assert.match(result.out, /kafka +run a local Apache Kafka/);
  assert.match(result.out, /projections +read models/);
});

test('an unknown command or option is a usage error (exit 2)', async () => {
  assert.equal((await run(['nope'])).code, 2);
  const badOption = await run(['kafka', 'start', '--brokerz', '3']);
  assert.equal(badOption.code, 2);
  assert.match(badOption.err, /Unknown option '--brokerz'/);
  const badBrokers = await run(['kafka', 'start', '--brokers', '2']);
  assert.equal(badBrokers.code, 2);
  assert.match(badBrokers.err, /--brokers must be 1 or 3/);
  assert.match((await run(['kafka', 'kill'])).err, /kill needs --node N/);
});

test('sluice kafka --help shows the kafka commands', async () => {
  const result = await run(['kafka', '--help']);
  assert.equal(result.code, 0);
  for (const command of ['start', 'stop', 'kill', 'restart', 'status'])
    assert.match(result.out, new RegExp(`\\n  ${command}`));
});

test('status and stop of a directory without a cluster fail with NO_LOCAL_KAFKA', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  for (const command of ['status', 'stop']) {
    const result = await run(['kafka', command, '--data', dataDir]);
    assert.equal(result.code, 1);
    assert.match(result.err, /No local Kafka cluster in .* \[NO_LOCAL_KAFKA\]/);
  }
});
