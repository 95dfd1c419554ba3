import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toolsLog4jFile } from './console-tools.ts';
import { JavacNotFoundError, KafkaToolError } from './errors.ts';
import { KAFKA_VERSION, kafkaCacheDir, kafkaJars } from './jars.ts';
import { isNotFound, lastLines, runProcess } from './process-run.ts';

// Reads one base64 key per line (so any key, even with newlines, passes through) and prints the
// partition the Java client's default partitioner gives it.
const SOURCE = `import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.common.utils.Utils;

public class KeyPartitions {
  public static void main(String[] args) throws IOException {
    int partitions = Integer.parseInt(args[0]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      byte[] key = Base64.getDecoder().decode(line);
      out.append(Utils.toPositive(Utils.murmur2(key)) % partitions).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** Partition of each key per the Java client's default partitioner (murmur2), computed by the Kafka jars. */
export async function javaPartitions(keys: string[], numPartitions: number): Promise<number[]> {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError('numPartitions must be a positive integer');
  }
  if (keys.length === 0) return [];
  const jarsDir = await kafkaJars();
  const classes = await compiledClasses(jarsDir);
  const input = keys.map((key) => `${Buffer.from(key, 'utf8').toString('base64')}\n`).join('');
  // Utils logs through slf4j, so the whole folder goes on the class path, with the quiet tools config.
  const jvm = ['-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${await toolsLog4jFile()}`];
  const args = [...jvm, '-cp', `${classes}:${jarsDir}/*`, 'KeyPartitions', String(numPartitions)];
  const output = await runProcess('java', args, { input });
  if (output.exitCode !== 0) {
    throw new KafkaToolError('KeyPartitions', output.exitCode, lastLines(output.stderr, 30));
  }
  const partitions = output.stdout.trim().split('\n').map(Number);
  if (partitions.length !== keys.length) throw new KafkaToolError('KeyPartitions', 0, output.stdout);
  return partitions;
}

// Compiled once into the cache; a private folder renamed into place keeps concurrent runs apart.
async function compiledClasses(jarsDir: string): Promise<string> {
  const classes = join(kafkaCacheDir(), 'key-partitions-1');
  if (existsSync(classes)) return classes;
  const work = `${classes}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(work, { recursive: true });
  try {
    await writeFile(join(work, 'KeyPartitions.java'), SOURCE);
    const classpath = join(jarsDir, `kafka-clients-${KAFKA_VERSION}.jar`);
    const output = await runProcess('javac', [
      '-cp',
      classpath,
      '-d',
      work,
      join(work, 'KeyPartitions.java'),
    ]).catch((error: unknown) => {
      throw isNotFound(error) ? new JavacNotFoundError() : error;
    });
    if (output.exitCode !== 0) {
      throw new KafkaToolError('javac', output.exitCode, lastLines(output.stderr, 30));
    }
    await rename(work, classes).catch((error: unknown) => {
      if (!existsSync(classes)) throw error;
    });
    return classes;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
