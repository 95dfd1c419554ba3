import type { DecodedCommand } from '@sluice/core';
import type { CommandSender } from '@sluice/http';
import type { ShopQueries } from './read-model.ts';

/** Each status the worker moves on, the command that does it and the step name in its command id. */
const STEPS = [
  { from: 'created', type: 'ConfirmOrder', step: 'confirm' },
  { from: 'confirmed', type: 'ShipOrder', step: 'ship' },
  { from: 'shipped', type: 'DeliverOrder', step: 'deliver' },
] as const;

/** Minimal logger. */
export interface FulfilmentLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** What one round did. */
export interface FulfilmentRound {
  readonly sent: number;
  readonly rejected: number;
}

/**
 * Moves orders along created → confirmed → shipped → delivered as `system`, one step per order per
 * round, reading the order-status projection. Command ids are `fulfil/<orderId>/<step>`: a projection
 * that lags, or a restart, re-sends the same id and the processor answers the stored result instead
 * of acting twice.
 */
export class FulfilmentWorker {
  readonly #queries: ShopQueries;
  readonly #sender: CommandSender;
  readonly #everyMs: number;
  readonly #log: FulfilmentLogger;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: {
    queries: ShopQueries;
    sender: CommandSender;
    everyMs: number;
    logger: FulfilmentLogger;
  }) {
    this.#queries = options.queries;
    this.#sender = options.sender;
    this.#everyMs = options.everyMs;
    this.#log = options.logger;
  }

  /** Runs a round every `everyMs` until {@link stop}. */
  start(): void {
    const schedule = (): void => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#round = this.tick()
          .catch((error: unknown) => this.#log.error({ err: error }, 'fulfilment round failed'))
          .finally(schedule);
      }, this.#everyMs);
    };
    schedule();
  }

  /** One round: every order not yet delivered (nor cancelled) is sent its next step. */
  async tick(): Promise<FulfilmentRound> {
    const sends: Promise<boolean>[] = [];
    for (const { from, type, step } of STEPS) {
      for (const order of await this.#queries.ordersIn(from)) {
        const command: DecodedCommand = {
          type,
          data: { orderId: order.orderId },
          // No principal: the processor decides it as `system`.
          metadata: { commandId: `fulfil/${order.orderId}/${step}` },
        };
        sends.push(
          this.#sender.send(command, { timeoutMs: 5_000 }).then((outcome) => {
            if (outcome.status === 'done' && outcome.result.code !== 'OK') {
              // A cancellation that won the race is normal; anything else is worth a line.
              if (outcome.result.code !== 'INVALID_TRANSITION')
                this.#log.error({ result: outcome.result }, 'fulfilment step rejected');
              return false;
            }
            return true;
          }),
        );
      }
    }
    const outcomes = await Promise.all(sends);
    const sent = outcomes.filter(Boolean).length;
    if (sent > 0) this.#log.info({ sent }, 'fulfilment moved orders on');
    return { sent, rejected: outcomes.length - sent };
  }

  /** Stops scheduling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }
}
