/** The partition the Java client's default partitioner picks for a key: murmur2, made positive, modulo. */
export function partitionForKey(key: string | Buffer, partitions: number): number {
  const hash =
    typeof key !== 'string'
      ? murmur2(key)
      : key.length * 3 > scratch.length
        ? murmur2(Buffer.from(key))
        : murmur2(scratch, scratch.write(key));
  return (hash & 0x7fffffff) % partitions;
}

// The processor routes every command it decides: its key is written into one scratch buffer and
// hashed there, with no Buffer or view per key.
const scratch = Buffer.alloc(1024);

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/**
 * Kafka's `Utils.murmur2` (the Java client's default partitioner hash), signed 32-bit. The same
 * function as the client library's, in 32-bit integer arithmetic: the library's uses BigInt, which
 * allocates on every step. Hashes the first `length` bytes.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const blocks = length & ~3;
  let h = SEED ^ length;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[blocks + 2] as number) << 16;
    if (rest >= 2) h ^= (data[blocks + 1] as number) << 8;
    h ^= data[blocks] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
