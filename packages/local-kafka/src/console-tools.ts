import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaCacheDir, kafkaJars } from './jars.ts';
import { TOOLS_LOG4J2 } from './node-config.ts';
import { runKafkaTool } from './process-run.ts';

// Separators no test value contains: unit, group and record separators of ASCII.
const FIELD = '\x1f';
const HEADER = '\x1d';
const NULL = '<sluice:null>';

/** One record as the Java console consumer printed it. */
export interface ConsoleRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export interface ConsoleConsumeOptions {
  brokers: string[];
  topic: string;
  /** Default `read_committed`. */
  isolationLevel?: 'read_committed' | 'read_uncommitted';
  partition?: number;
  maxMessages?: number;
  /** Stop after this long without a new record (default 10000 ms). */
  timeoutMs?: number;
  /** Default true; false reads only records written after the consumer joined. */
  fromBeginning?: boolean;
}

/** Runs the Java console consumer from the same jars: the independent oracle for exactly-once tests. */
export async function consoleConsume(options: ConsoleConsumeOptions): Promise<ConsoleRecord[]> {
  const fromBeginning = options.fromBeginning ?? true;
  const args = [
    '--bootstrap-server',
    options.brokers.join(','),
    '--topic',
    options.topic,
    '--isolation-level',
    options.isolationLevel ?? 'read_committed',
    '--timeout-ms',
    String(options.timeoutMs ?? 10_000),
  ];
  if (options.partition !== undefined) {
    args.push('--partition', String(options.partition), '--offset', fromBeginning ? 'earliest' : 'latest');
  } else if (fromBeginning) {
    args.push('--from-beginning');
  }
  if (options.maxMessages !== undefined) args.push('--max-messages', String(options.maxMessages));
  for (const property of [
    'print.partition=true',
    'print.offset=true',
    'print.headers=true',
    'print.key=true',
    `key.separator=${FIELD}`,
    `headers.separator=${HEADER}`,
    `null.literal=${NULL}`,
  ]) {
    args.push('--property', property);
  }
  const output = await runTool('org.apache.kafka.tools.consumer.ConsoleConsumer', args);
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map(parseRecordLine);
}

// Partition:<p> FIELD Offset:<o> FIELD <headers|NO_HEADERS> FIELD <key> FIELD <value>
function parseRecordLine(line: string): ConsoleRecord {
  const [partition = '', offset = '', headers = '', key = '', ...value] = line.split(FIELD);
  const record: ConsoleRecord = {
    partition: Number(partition.replace('Partition:', '')),
    offset: BigInt(offset.replace('Offset:', '')),
    key: key === NULL ? null : key,
    value: value.join(FIELD),
    headers: {},
  };
  if (headers !== 'NO_HEADERS') {
    for (const header of headers.split(HEADER)) {
      const colon = header.indexOf(':');
      record.headers[header.slice(0, colon)] = header.slice(colon + 1);
    }
  }
  return record;
}

export interface ConsoleProducerRecord {
  key?: string | null;
  value: string;
  headers?: Record<string, string>;
}

/** Writes records with the Java console producer (acks=all), keyed by the Java default partitioner. */
export async function consoleProduce(options: {
  brokers: string[];
  topic: string;
  records: ConsoleProducerRecord[];
}): Promise<void> {
  const lines = options.records.map((record) => {
    const headers = Object.entries(record.headers ?? {}).map(([name, value]) => `${name}:${value}`);
    const key = record.key ?? NULL;
    return [headers.length > 0 ? headers.join(HEADER) : NULL, key, record.value].join(FIELD);
  });
  const args = ['--bootstrap-server', options.brokers.join(','), '--topic', options.topic, '--sync'];
  for (const property of [
    'parse.key=true',
    'parse.headers=true',
    `key.separator=${FIELD}`,
    `headers.delimiter=${FIELD}`,
    `headers.separator=${HEADER}`,
    'headers.key.separator=:',
    `null.marker=${NULL}`,
  ]) {
    args.push('--property', property);
  }
  args.push('--producer-property', 'acks=all');
  await runTool('org.apache.kafka.tools.ConsoleProducer', args, `${lines.join('\n')}\n`);
}

/** Creates a topic with the Java topic tool (`--if-not-exists`). */
export async function createTopic(options: {
  brokers: string[];
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}): Promise<void> {
  const args = ['--bootstrap-server', options.brokers.join(','), '--create', '--if-not-exists'];
  args.push('--topic', options.topic, '--partitions', String(options.partitions ?? 1));
  if (options.replicationFactor !== undefined) {
    args.push('--replication-factor', String(options.replicationFactor));
  }
  for (const [name, value] of Object.entries(options.config ?? {})) args.push('--config', `${name}=${value}`);
  await runTool('org.apache.kafka.tools.TopicCommand', args);
}

async function runTool(mainClass: string, args: string[], input?: string): Promise<string> {
  const jarsDir = await kafkaJars();
  const log4j = await toolsLog4jFile();
  const options = input === undefined ? {} : { input };
  const output = await runKafkaTool(jarsDir, mainClass, args, {
    ...options,
    jvmOptions: [`-Dlog4j2.configurationFile=${log4j}`],
  });
  return output.stdout;
}

/** A log4j2 file for command line tools (errors only, to stderr), written once into the cache. */
export async function toolsLog4jFile(): Promise<string> {
  const file = join(kafkaCacheDir(), 'tools-log4j2.properties');
  if (!existsSync(file)) {
    await mkdir(kafkaCacheDir(), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, TOOLS_LOG4J2);
    await rename(temporary, file);
  }
  return file;
}
