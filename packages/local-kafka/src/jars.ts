import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KafkaJarsDownloadError, MavenNotFoundError } from './errors.ts';
import { isNotFound, lastLines, requireJava, runProcess } from './process-run.ts';

export const KAFKA_VERSION = '4.1.2';
// log4j-slf4j-impl, not -slf4j2-impl: Kafka 4.1.2 pulls slf4j-api 1.7.x.
const LOG4J_VERSION = '2.24.3';

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice</groupId><artifactId>local-kafka</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** The per-version cache folder: `$XDG_CACHE_HOME/sluice/kafka-<version>` (default `~/.cache`). */
export function kafkaCacheDir(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'sluice', `kafka-${KAFKA_VERSION}`);
}

let pending: Promise<string> | undefined;

/** Returns the folder holding the Kafka jars, downloading them with Maven the first time. */
export function kafkaJars(options: { onProgress?: (message: string) => void } = {}): Promise<string> {
  const libs = join(kafkaCacheDir(), 'libs');
  if (existsSync(libs)) return Promise.resolve(libs);
  pending ??= downloadJars(libs, options.onProgress ?? (() => {})).finally(() => {
    pending = undefined;
  });
  return pending;
}

// Downloads into a private temporary folder and renames it into place, so an interrupted
// download never leaves a half-filled cache and concurrent downloads cannot mix.
async function downloadJars(libs: string, onProgress: (message: string) => void): Promise<string> {
  await requireJava();
  const started = Date.now();
  const cacheDir = kafkaCacheDir();
  const work = join(cacheDir, `.download-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(work, { recursive: true });
  await removeAbandonedDownloads(cacheDir);
  try {
    await writeFile(join(work, 'pom.xml'), POM);
    onProgress(`Downloading Kafka ${KAFKA_VERSION} jars from Maven Central into ${cacheDir}`);
    let output: Awaited<ReturnType<typeof runProcess>>;
    try {
      output = await runProcess(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          join(work, 'pom.xml'),
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(work, 'libs')}`,
        ],
        { cwd: work },
      );
    } catch (error) {
      throw isNotFound(error) ? new MavenNotFoundError() : error;
    }
    const jars = existsSync(join(work, 'libs')) ? await readdir(join(work, 'libs')) : [];
    if (output.exitCode !== 0 || !jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
      throw new KafkaJarsDownloadError(lastLines(`${output.stdout}${output.stderr}`, 40));
    }
    let bytes = 0;
    for (const jar of jars) bytes += (await stat(join(work, 'libs', jar))).size;
    try {
      await rename(join(work, 'libs'), libs);
    } catch (error) {
      if (!existsSync(libs)) throw error; // another process finished first: its copy is as good
    }
    onProgress(
      `Kafka jars ready: ${jars.length} files, ${Math.round(bytes / 1e6)} MB in ${seconds(Date.now() - started)}`,
    );
    return libs;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// An interrupted download leaves its `.download-<pid>-*` folder behind; clear those of dead processes.
async function removeAbandonedDownloads(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    const pid = /^\.download-(\d+)-/.exec(entry)?.[1];
    if (pid !== undefined && !isAlive(Number(pid)))
      await rm(join(cacheDir, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/** Formats a duration in milliseconds as seconds with one decimal, e.g. `4.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
