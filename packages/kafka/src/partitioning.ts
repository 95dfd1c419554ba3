import { murmur2 } from '@platformatic/kafka';

/** The partition the Java client's default partitioner picks for a key: murmur2, made positive, modulo. */
export function partitionForKey(key: string | Buffer, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
