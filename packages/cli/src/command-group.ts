import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
/** Where a command writes: results to `out` (stdout), progress and errors to `err` (stderr). */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** A group of subcommands under one name, e.g. `sluice kafka start|stop|status`. */
export interface CommandGroup {
  name: string;
  summary: string;
  usage: string;
  /** Runs the group with the arguments after its name; resolves to the process exit code. */
  run(args: string[], output: CliOutput): Promise<number>;
}

/** A command line the user got wrong: printed with the usage, exit code 2. */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

/** `parseArgs` for a command group: options plus positionals; a bad flag is a {@link UsageError}. */
export function parseGroupArgs<const Options extends ParseArgsOptionsConfig>(
  args: string[],
  options: Options,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
