import { connect } from 'node:net';
import { KafkaProtocolError } from './errors.ts';

// A minimal Kafka wire-protocol client: one MetadataRequest (v4, the last non-flexible version),
// enough to tell whether a broker is up and which brokers and topics the cluster has.
const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;
const CLIENT_ID = 'sluice-local-kafka';

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  errorCode: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  name: string;
  errorCode: number;
  internal: boolean;
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerMetadata[];
  topics: TopicMetadata[];
}

/** Sends one MetadataRequest (all topics when `topics` is omitted) and decodes the answer. */
export async function fetchMetadata(
  host: string,
  port: number,
  options: { topics?: string[]; timeoutMs?: number } = {},
): Promise<ClusterMetadata> {
  const correlationId = Math.floor(Math.random() * 0x7fffffff);
  const response = await exchange(host, port, encodeMetadataRequest(correlationId, options.topics), options);
  const reader = new Reader(response);
  if (reader.int32() !== correlationId) {
    throw new KafkaProtocolError('Metadata response has a wrong correlation id');
  }
  return decodeMetadataResponse(reader);
}

function encodeMetadataRequest(correlationId: number, topics: string[] | undefined): Buffer {
  const parts: Buffer[] = [
    int16(METADATA_API_KEY),
    int16(METADATA_VERSION),
    int32(correlationId),
    string(CLIENT_ID),
  ];
  if (topics === undefined) parts.push(int32(-1));
  else parts.push(int32(topics.length), ...topics.map(string));
  parts.push(Buffer.from([0])); // allow_auto_topic_creation = false
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length), body]);
}

function decodeMetadataResponse(reader: Reader): ClusterMetadata {
  reader.int32(); // throttle_time_ms
  const brokers = reader.array(() => {
    const broker = { nodeId: reader.int32(), host: reader.string() ?? '', port: reader.int32() };
    reader.string(); // rack
    return broker;
  });
  const clusterId = reader.string();
  const controllerId = reader.int32();
  const topics = reader.array(() => ({
    errorCode: reader.int16(),
    name: reader.string() ?? '',
    internal: reader.int8() !== 0,
    partitions: reader.array(() => ({
      errorCode: reader.int16(),
      partition: reader.int32(),
      leader: reader.int32(),
      replicas: reader.array(() => reader.int32()),
      isr: reader.array(() => reader.int32()),
    })),
  }));
  return { clusterId, controllerId, brokers, topics };
}

// Writes one size-prefixed request and resolves with the first complete size-prefixed response.
function exchange(
  host: string,
  port: number,
  request: Buffer,
  options: { timeoutMs?: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    socket.setTimeout(options.timeoutMs ?? 2000, () =>
      socket.destroy(new KafkaProtocolError(`No metadata answer from ${host}:${port} in time`)),
    );
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      if (received >= 4 && received >= 4 + all.readInt32BE(0)) {
        socket.destroy();
        resolve(all.subarray(4, 4 + all.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new KafkaProtocolError(`${host}:${port} closed the connection`)));
  });
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function string(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([int16(bytes.length), bytes]);
}

class Reader {
  #buffer: Buffer;
  #offset = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  #take(size: number): number {
    if (this.#offset + size > this.#buffer.length) {
      throw new KafkaProtocolError('Metadata response is truncated');
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }

  int8(): number {
    return this.#buffer.readInt8(this.#take(1));
  }

  int16(): number {
    return this.#buffer.readInt16BE(this.#take(2));
  }

  int32(): number {
    return this.#buffer.readInt32BE(this.#take(4));
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const at = this.#take(length);
    return this.#buffer.toString('utf8', at, at + length);
  }

  array<T>(item: () => T): T[] {
    const length = this.int32();
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(item());
    return items;
  }
}
