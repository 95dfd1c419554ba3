import type { CommandResult, DecodedCommand } from '@sluice/core';

/** What became of a sent command within the wait: its result, or still pending. */
export type SendOutcome =
  | { readonly status: 'done'; readonly result: CommandResult }
  | { readonly status: 'pending'; readonly commandId: string };

/** Publishes a decoded command and waits (bounded) for its result. `CommandGateway` implements it. */
export interface CommandSender {
  send(command: DecodedCommand, options: { readonly timeoutMs: number }): Promise<SendOutcome>;
}

/** Reads results projected into the `command_results` table, for `GET /api/commands/:id`. */
export interface CommandResultReader {
  get(commandId: string): Promise<CommandResult | undefined>;
}
