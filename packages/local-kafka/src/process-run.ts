import { spawn } from 'node:child_process';
import { JavaNotFoundError, KafkaToolError } from './errors.ts';

export interface ProcessOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin; rejects with the spawn error (e.g. ENOENT). */
export function runProcess(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode) =>
      resolve({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {}); // the tool may exit before reading all input; its exit code tells
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a Java main class from the Kafka jars; fails with KafkaToolError on a non-zero exit. */
export async function runKafkaTool(
  jarsDir: string,
  mainClass: string,
  args: string[],
  options: { input?: string; jvmOptions?: string[]; timeoutMs?: number } = {},
): Promise<ProcessOutput> {
  const jvm = ['-Xmx256m', '-XX:TieredStopAtLevel=1', ...(options.jvmOptions ?? [])];
  let output: ProcessOutput;
  try {
    output = await runProcess('java', [...jvm, '-cp', `${jarsDir}/*`, mainClass, ...args], options);
  } catch (error) {
    throw isNotFound(error) ? new JavaNotFoundError('`java` is not on PATH') : error;
  }
  if (output.exitCode !== 0) {
    throw new KafkaToolError(mainClass, output.exitCode, lastLines(`${output.stdout}${output.stderr}`, 30));
  }
  return output;
}

let javaChecked: Promise<void> | undefined;

/** Checks once per process that `java` runs and is version 17 or newer. */
export function requireJava(): Promise<void> {
  javaChecked ??= (async () => {
    let output: ProcessOutput;
    try {
      output = await runProcess('java', ['-version']);
    } catch (error) {
      javaChecked = undefined;
      throw isNotFound(error) ? new JavaNotFoundError('`java` is not on PATH') : error;
    }
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output.stderr);
    const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
    if (major < 17) {
      javaChecked = undefined;
      throw new JavaNotFoundError(`found ${match ? `Java ${major}` : 'an unknown Java'}`);
    }
  })();
  return javaChecked;
}

/** True for the error spawn gives when the executable does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/** The last `count` non-empty lines of a text. */
export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
