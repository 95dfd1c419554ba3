import assert from 'node:assert/strict';
import { type Command, type Decider, type DecisionContext, type Event, isDomainError } from '@sluice/core';
import fc from 'fast-check';

/** One step of a random run: a command and who sends it. */
export interface ModelStep<C extends Command> {
  readonly command: C;
  readonly context: DecisionContext;
}

/** What an independent model says about a command: accepted with its next model, or rejected. */
export type ModelVerdict<M> =
  | { readonly accepted: true; readonly model: M }
  | { readonly accepted: false; readonly code?: string };

/** An independent model of the domain, written plainly in the test (e.g. a map seat → holder). */
export interface DomainModel<M, C extends Command> {
  initial(): M;
  apply(model: M, step: ModelStep<C>): ModelVerdict<M>;
}

/** Options of `checkDeciderAgainstModel`. */
export interface ModelCheckOptions<State, C extends Command, E extends Event, M> {
  readonly decider: Decider<State, C, E>;
  readonly model: DomainModel<M, C>;
  /** Random steps; a run is a sequence of them. */
  readonly steps: fc.Arbitrary<ModelStep<C>>;
  /** Which aggregate a command acts on; each has its own state. Default: one aggregate. */
  readonly aggregateOf?: (command: C) => string;
  /** Checked after every run over all events the decider produced, e.g. "no seat booked twice". */
  readonly invariant?: (events: readonly E[], model: M) => void;
  readonly numRuns?: number;
  readonly maxSteps?: number;
}

/**
 * Runs random command sequences through the decider and the model side by side: the decider must
 * accept and reject exactly what the model does (and with the same code when the model names one).
 */
export function checkDeciderAgainstModel<State, C extends Command, E extends Event, M>(
  options: ModelCheckOptions<State, C, E, M>,
): void {
  const { decider, model, aggregateOf = () => '' } = options;
  fc.assert(
    fc.property(fc.array(options.steps, { maxLength: options.maxSteps ?? 40 }), (steps) => {
      const states = new Map<string, State>();
      let current = model.initial();
      const produced: E[] = [];
      steps.forEach((step, index) => {
        const id = aggregateOf(step.command);
        const state = states.get(id) ?? decider.initialState();
        const expected = model.apply(current, step);
        let events: readonly E[] | undefined;
        let code: string | undefined;
        try {
          events = decider.decide(step.command, state, step.context);
        } catch (error) {
          if (!isDomainError(error)) throw error;
          code = error.code;
        }
        const where = `step ${index}: ${step.command.type} ${JSON.stringify(step.command.data)} by ${step.context.principal}`;
        if (expected.accepted) {
          assert.ok(events !== undefined, `${where}: the model accepts, the decider rejected ${code}`);
          current = expected.model;
        } else {
          assert.ok(
            events === undefined,
            `${where}: the model rejects (${expected.code ?? 'any code'}), the decider accepted`,
          );
          if (expected.code !== undefined) assert.equal(code, expected.code, `${where}: rejection code`);
        }
        if (events !== undefined) {
          produced.push(...events);
          states.set(
            id,
            events.reduce((s, event) => decider.evolve(s, event), state),
          );
        }
      });
      options.invariant?.(produced, current);
    }),
    { numRuns: options.numRuns ?? 200 },
  );
}
