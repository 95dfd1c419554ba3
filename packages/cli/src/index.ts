import { type CliOutput, type CommandGroup, UsageError } from './command-group.ts';
import { kafkaCommands } from './commands/kafka.ts';
import { projectionsCommands } from './commands/projections.ts';

export type { CliOutput, CommandGroup } from './command-group.ts';
export { UsageError } from './command-group.ts';

/** Every command group `sluice` knows; a new group is one more entry here. */
export const commandGroups: CommandGroup[] = [kafkaCommands, projectionsCommands];

const consoleOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs `sluice <group> <command> ...` and resolves to the exit code. */
export async function runCli(argv: string[], output: CliOutput = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    output.out(mainUsage());
    return name === undefined ? 2 : 0;
  }
  const group = commandGroups.find((candidate) => candidate.name === name);
  if (group === undefined) {
    output.err(`sluice: unknown command '${name}'\n\n${mainUsage()}`);
    return 2;
  }
  try {
    return await group.run(rest, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`sluice ${group.name}: ${error.message}\n\n${group.usage}`);
      return 2;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      output.err(`sluice ${group.name}: ${error.message} [${error.code}]`);
      return 1;
    }
    throw error;
  }
}

function mainUsage(): string {
  const width = Math.max(...commandGroups.map((group) => group.name.length));
  const lines = commandGroups.map((group) => `  ${group.name.padEnd(width)}  ${group.summary}`);
  return [
    'Usage: sluice <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'sluice <command> --help for details.',
  ].join('\n');
}
