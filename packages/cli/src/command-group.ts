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
