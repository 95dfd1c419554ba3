import {
  type CommandRegistry,
  type CommandResult,
  type DecodedCommand,
  encodePositionToken,
  OK,
  type PositionToken,
  SluiceError,
} from '@sluice/core';
import type { CommandResultReader, CommandSender, SendOutcome } from '../commands/ports.ts';
import type { PositionWaiter } from '../queries/consistency-plugin.ts';
import type { ChangeFeed, StreamEvent } from '../sse/sse-plugin.ts';

/**
 * In-memory implementations of the HTTP ports, for tests of routes. They stand in for our own
 * ports (the gateway, the results table), not for Kafka or PostgreSQL.
 */

/** Decides how the {@link InMemoryCommandBus} answers a command; the default accepts it. */
export type CommandOutcomeRule = (
  command: DecodedCommand,
) => 'pending' | { readonly code: string; readonly message?: string } | undefined;

/**
 * A command sender that applies commands in memory: versions per aggregate, a result per command id
 * (a duplicate gets the stored result, as the processor does), results readable like `command_results`.
 */
export class InMemoryCommandBus implements CommandSender, CommandResultReader {
  readonly sent: DecodedCommand[] = [];
  readonly #results = new Map<string, CommandResult>();
  readonly #versions = new Map<string, number>();
  readonly #registry: CommandRegistry;
  rule: CommandOutcomeRule = () => undefined;
  /** When set, `send` throws it (a broker that cannot be reached). */
  failure: Error | undefined;

  constructor(registry: CommandRegistry) {
    this.#registry = registry;
  }

  async send(command: DecodedCommand, _options: { readonly timeoutMs: number }): Promise<SendOutcome> {
    if (this.failure !== undefined) throw this.failure;
    this.sent.push(command);
    const { commandId } = command.metadata;
    const stored = this.#results.get(commandId);
    if (stored !== undefined) return { status: 'done', result: stored };
    const decision = this.rule(command);
    if (decision === 'pending') return { status: 'pending', commandId };
    const { aggregateType, aggregateId } = this.#registry.route(command);
    const key = `${aggregateType}/${aggregateId}`;
    const before = this.#versions.get(key) ?? 0;
    const base = {
      commandId,
      commandType: command.type,
      aggregateType,
      aggregateId,
      ...(command.metadata.principal === undefined ? {} : { principal: command.metadata.principal }),
    };
    let result: CommandResult;
    if (decision === undefined) {
      this.#versions.set(key, before + 1);
      const position = encodePositionToken([
        { topic: `${aggregateType}-events`, partition: 0, offset: String(this.#results.size) },
      ]);
      result = { ...base, code: OK, version: before + 1, position };
    } else {
      result = {
        ...base,
        code: decision.code,
        version: before,
        ...(decision.message === undefined ? {} : { message: decision.message }),
      };
    }
    this.#results.set(commandId, result);
    return { status: 'done', result };
  }

  async get(commandId: string): Promise<CommandResult | undefined> {
    return this.#results.get(commandId);
  }

  /** Stores a result as if a command had been processed earlier. */
  store(result: CommandResult): void {
    this.#results.set(result.commandId, result);
  }
}

/** A position waiter whose projections are at the offsets a test sets. */
export class InMemoryPositionWaiter implements PositionWaiter {
  readonly calls: { projection: string; token: PositionToken; timeoutMs: number }[] = [];
  /** Next offset per `projection/topic/partition`. */
  readonly next = new Map<string, bigint>();

  async waitFor(projection: string, token: PositionToken, timeoutMs: number): Promise<void> {
    this.calls.push({ projection, token, timeoutMs });
    for (const entry of token) {
      const next = this.next.get(`${projection}/${entry.topic}/${entry.partition}`) ?? 0n;
      if (next <= BigInt(entry.offset))
        throw new SluiceError(
          'PROJECTION_BEHIND',
          `${projection} is behind ${entry.topic}/${entry.partition}@${entry.offset}`,
        );
    }
  }
}

/** A change feed over an in-memory log: replays after `from`, then delivers what is appended. */
export class InMemoryChangeFeed implements ChangeFeed {
  readonly log: StreamEvent[] = [];
  readonly #listeners = new Set<(event: StreamEvent) => void>();
  subscriptions = 0;

  /** Appends an event (its id is the next position) and delivers it to live subscribers. */
  append(event: Omit<StreamEvent, 'id'>): StreamEvent {
    const stored = { ...event, id: String(this.log.length + 1) } as StreamEvent;
    this.log.push(stored);
    for (const listener of this.#listeners) listener(stored);
    return stored;
  }

  async subscribe(
    from: string | undefined,
    onEvent: (event: StreamEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.subscriptions += 1;
    const after = from === undefined ? 0n : BigInt(from);
    for (const event of this.log) if (BigInt(event.id) > after) onEvent(event);
    this.#listeners.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.#listeners.delete(onEvent);
  }

  /** Live subscribers right now. */
  get listeners(): number {
    return this.#listeners.size;
  }
}
