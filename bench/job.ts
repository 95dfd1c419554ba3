/**
 * The benchmark job of #15, the same for every figure so that they compare: UpdateUser commands to
 * random users "1".."10000" (seeded), command i has an empty name when i%100==49 (rejected) and is
 * command i-37 sent again unchanged when i%100==99 (a duplicate that must get the original result).
 * A {@link Ledger} remembers what each command must come back with, for the checks.
 */
import { decodePositionToken } from '@sluice/core';
import { partitionForKey } from '@sluice/kafka';

/** One command of the job, ready to send. */
export interface JobCommand {
  readonly index: number;
  readonly commandId: string;
  readonly userId: string;
  readonly newName: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer;
  /** The index of the command this one repeats, for a duplicate. */
  readonly duplicateOf?: number;
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same job. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function uuidFrom(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 4; i++)
    hex += Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Options of a {@link Job}. */
export interface JobOptions {
  readonly partitions: number;
  readonly users?: number;
  readonly seed?: number;
  /** Users are picked in turn (1, 2, 3…) instead of at random: one aggregate per command. */
  readonly distinctUsers?: boolean;
}

/** Generates the job's commands in order and keeps the {@link Ledger} of what they must yield. */
export class Job {
  readonly ledger = new Ledger();
  readonly #options: JobOptions;
  readonly #random: () => number;
  readonly #recent: JobCommand[] = [];
  #next = 0;

  constructor(options: JobOptions) {
    this.#options = options;
    this.#random = prng(options.seed ?? 15);
  }

  /** Commands generated so far. */
  get count(): number {
    return this.#next;
  }

  /** The next `count` commands (each recorded in the ledger as sent). */
  take(count: number): JobCommand[] {
    return Array.from({ length: count }, () => this.nextCommand());
  }

  /** The next command. */
  nextCommand(): JobCommand {
    const index = this.#next++;
    const command = index % 100 === 99 ? this.#duplicate(index) : this.#fresh(index);
    this.#recent.push(command);
    if (this.#recent.length > 64) this.#recent.shift();
    this.ledger.sent(command);
    return command;
  }

  #fresh(index: number): JobCommand {
    const users = this.#options.users ?? 10_000;
    const user = this.#options.distinctUsers ? index + 1 : 1 + Math.floor(this.#random() * users);
    const userId = String(user);
    const newName = index % 100 === 49 ? '' : `Alice-${index}`;
    const commandId = uuidFrom(this.#random);
    const value = JSON.stringify({ type: 'UpdateUser', userId, newName, commandId });
    return {
      index,
      commandId,
      userId,
      newName,
      partition: partitionForKey(userId, this.#options.partitions),
      key: Buffer.from(userId),
      value: Buffer.from(value),
    };
  }

  #duplicate(index: number): JobCommand {
    const original = this.#recent.find((command) => command.index === index - 37);
    if (!original) throw new Error(`command ${index - 37} is no longer at hand`);
    return { ...original, index, duplicateOf: original.index };
  }
}

/** What a command must come back with. */
interface Expected {
  readonly userId: string;
  readonly code: 'OK' | 'INVALID_NAME';
  /** The user's version after it, for an accepted command. */
  readonly version?: number;
  /** How many times it was sent (2 for one that was repeated). */
  sends: number;
}

/** A result read back: code and version as the processor wrote them. */
export interface SeenResult {
  readonly commandId: string;
  readonly code: string;
  readonly version?: number;
  readonly position?: string;
}

/** An event read back, in partition order: user, version, the command that made it, and where it is. */
export interface SeenEvent {
  readonly userId: string;
  readonly version: number;
  readonly commandId: string;
  readonly partition: number;
  /** Decimal, as in position tokens. */
  readonly offset: string;
}

/** The outcome of the checks: each one holds, or the first few examples of where it does not. */
export type CheckReport = Record<string, { readonly ok: boolean; readonly detail: string }>;

/** Expected outcomes of every command sent, and the checks of #15 against what came back. */
export class Ledger {
  readonly #expected = new Map<string, Expected>();
  readonly #versions = new Map<string, number>();
  accepted = 0;
  sends = 0;

  /** Records a command as sent. */
  sent(command: JobCommand): void {
    this.sends++;
    const known = this.#expected.get(command.commandId);
    if (known) {
      known.sends++;
      return;
    }
    if (command.newName === '') {
      this.#expected.set(command.commandId, { userId: command.userId, code: 'INVALID_NAME', sends: 1 });
      return;
    }
    const version = (this.#versions.get(command.userId) ?? 0) + 1;
    this.#versions.set(command.userId, version);
    this.accepted++;
    this.#expected.set(command.commandId, { userId: command.userId, code: 'OK', version, sends: 1 });
  }

  /** Checks the results and events read back (read_committed) against the ledger; without events, the results only. */
  check(results: readonly SeenResult[], events?: readonly SeenEvent[]): CheckReport {
    const byCommand = new Map<string, SeenResult[]>();
    for (const result of results) {
      const list = byCommand.get(result.commandId);
      if (list) list.push(result);
      else byCommand.set(result.commandId, [result]);
    }
    const wrongCount: string[] = [];
    const duplicateDiffers: string[] = [];
    const wrongOutcome: string[] = [];
    for (const [commandId, expected] of this.#expected) {
      const seen = byCommand.get(commandId) ?? [];
      if (seen.length !== expected.sends) wrongCount.push(`${commandId}: ${seen.length}/${expected.sends}`);
      const [first] = seen;
      if (!first) continue;
      if (
        seen.some(
          (r) => r.code !== first.code || r.version !== first.version || r.position !== first.position,
        )
      )
        duplicateDiffers.push(`${commandId}: ${JSON.stringify(seen)}`);
      if (
        first.code !== expected.code ||
        (expected.version !== undefined && first.version !== expected.version)
      )
        wrongOutcome.push(
          `${commandId}: ${first.code} v${first.version}, want ${expected.code} v${expected.version}`,
        );
    }
    const strangers = [...byCommand.keys()].filter((id) => !this.#expected.has(id));
    const eventsOf = new Map<string, number>();
    const wrongEvent: string[] = [];
    const lastVersion = new Map<string, number>();
    const outOfOrder: string[] = [];
    const placeOf = new Map<string, string>();
    for (const event of events ?? []) {
      eventsOf.set(event.commandId, (eventsOf.get(event.commandId) ?? 0) + 1);
      placeOf.set(event.commandId, `${event.partition}/${event.offset}`);
      const expected = this.#expected.get(event.commandId);
      if (expected?.code !== 'OK' || expected.version !== event.version || expected.userId !== event.userId)
        wrongEvent.push(`${event.commandId}: user ${event.userId} v${event.version}`);
      const previous = lastVersion.get(event.userId) ?? 0;
      if (event.version !== previous + 1)
        outOfOrder.push(`user ${event.userId}: v${previous} then v${event.version}`);
      lastVersion.set(event.userId, event.version);
    }
    const eventCount: string[] = [];
    for (const [commandId, expected] of this.#expected) {
      const count = eventsOf.get(commandId) ?? 0;
      if (count !== (expected.code === 'OK' ? 1 : 0)) eventCount.push(`${commandId}: ${count} events`);
    }
    const wrongPosition: string[] = [];
    for (const [commandId, [first]] of events === undefined ? [] : byCommand) {
      if (first?.code !== 'OK') continue;
      const decoded = first.position === undefined ? undefined : decodePositionToken(first.position);
      const named = decoded?.ok ? decoded.token.map((e) => `${e.partition}/${e.offset}`).join(',') : 'none';
      if (named !== placeOf.get(commandId))
        wrongPosition.push(`${commandId}: ${named}, event at ${placeOf.get(commandId)}`);
    }
    const verdict = (problems: string[], fine: string) => ({
      ok: problems.length === 0,
      detail:
        problems.length === 0 ? fine : `${problems.length} wrong, e.g. ${problems.slice(0, 3).join('; ')}`,
    });
    return {
      oneResultPerCommand: verdict(
        [...wrongCount, ...strangers.map((id) => `${id}: never sent`)],
        `${results.length} results for ${this.sends} sends`,
      ),
      duplicatesGetOriginalResult: verdict(duplicateDiffers, 'every repeat answered like its original'),
      expectedOutcomes: verdict(
        wrongOutcome,
        `${this.accepted} accepted, ${this.#expected.size - this.accepted} rejected`,
      ),
      ...(events === undefined
        ? {}
        : {
            oneEventPerAcceptedCommand: verdict([...eventCount, ...wrongEvent], `${events.length} events`),
            versionsInSendOrder: verdict(outOfOrder, `${lastVersion.size} users, versions 1, 2, 3… in order`),
            positionsNameTheirEvents: verdict(
              wrongPosition,
              "every accepted command's position is its event's",
            ),
          }),
    };
  }
}

/** Whether every check of a report holds. */
export function allHold(report: CheckReport): boolean {
  return Object.values(report).every((check) => check.ok);
}
