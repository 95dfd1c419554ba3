import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaPartitions } from './java-partitions.ts';

// Kafka's own Utils.murmur2, transcribed independently, to cross-check what the jars compute.
function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  const rest = data.length % 4;
  if (rest >= 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

function partitionOf(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

test('the independent murmur2 matches the values published in Kafka’s UtilsTest', () => {
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(murmur2(Buffer.from('abc')), 479470107);
});

test('javaPartitions gives the Java client’s partition of each key', async () => {
  // '21', 'foobar' and 'abc' follow from the published hashes above: 1173551340 % 12, 1357151166 % 12, 479470107 % 12.
  assert.deepEqual(await javaPartitions(['1', '2', '21', 'foobar', 'abc'], 12), [3, 8, 0, 6, 3]);
  // Without the modulo wrap (n = 2^31 - 1) the result is toPositive(murmur2(key)) itself.
  assert.deepEqual(await javaPartitions(['21', 'foobar'], 2 ** 31 - 1), [
    -973932308 & 0x7fffffff,
    -790332482 & 0x7fffffff,
  ]);
});

test('javaPartitions agrees with an independent murmur2 on awkward keys', async () => {
  const keys = ['', ' ', 'user-42', 'héllo wörld', '注文', 'line\nbreak', 'emoji 🎟️', 'x'.repeat(1001)];
  for (let i = 0; i < 40; i++) keys.push(`order-${i * 7919}`);
  for (const partitions of [1, 3, 12, 50]) {
    assert.deepEqual(
      await javaPartitions(keys, partitions),
      keys.map((key) => partitionOf(key, partitions)),
      `${partitions} partitions`,
    );
  }
});

test('javaPartitions rejects a partition count below one', async () => {
  await assert.rejects(javaPartitions(['a'], 0), RangeError);
});
