import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  type Command,
  type Decider,
  type DecisionContext,
  type Event,
  isDomainError,
  SYSTEM_CONTEXT,
} from '@sluice/core';

/** The last step of a decider test: what the command must cause. */
export interface DeciderThen<State, E extends Event> {
  /** The command is accepted and causes exactly these events. Returns the state after them. */
  then(expected: readonly E[]): State;
  /** The command is rejected with a `DomainError` of this code. Returns the error for further checks. */
  thenRejects(code: string): { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** The history of a decider test. */
export interface DeciderGiven<State, C extends Command, E extends Event> {
  /** The command under test; the context defaults to the system principal. */
  when(command: C, context?: DecisionContext): DeciderThen<State, E>;
}

/** Given/when/then for any decider. */
export interface DeciderSpec<State, C extends Command, E extends Event> {
  given(events: readonly E[]): DeciderGiven<State, C, E>;
}

const show = (value: unknown) => inspect(value, { depth: 6, breakLength: 100 });

/** Freezes arrays and plain objects so a decider or `evolve` that mutates its input fails loudly. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const item of Object.values(value)) deepFreeze(item);
    }
  }
  return value;
}

/**
 * Given/when/then for a decider, e.g.
 * `spec.given([created]).when(cancel, userContext('u1')).then([cancelled])`.
 * States are frozen between steps, so impure deciders fail.
 */
export function deciderSpec<State, C extends Command, E extends Event>(
  decider: Decider<State, C, E>,
): DeciderSpec<State, C, E> {
  return {
    given(history) {
      return {
        when(command, context = SYSTEM_CONTEXT) {
          const run = () => {
            let state = deepFreeze(decider.initialState());
            for (const event of history) state = deepFreeze(decider.evolve(state, deepFreeze(event)));
            return { state, outcome: attempt(() => decider.decide(deepFreeze(command), state, context)) };
          };
          const label = `${command.type} by ${context.principal} after [${history.map((e) => e.type).join(', ')}]`;
          return {
            // biome-ignore lint/suspicious/noThenProperty: given/when/then is the vocabulary; the result is never awaited.
            then(expected) {
              const { state, outcome } = run();
              if (!outcome.ok) {
                if (!isDomainError(outcome.error)) throw outcome.error;
                assert.fail(
                  `${label}: expected events ${show(expected)}\nbut it was rejected ${outcome.error.code}: ${outcome.error.message}`,
                );
              }
              assert.deepStrictEqual(
                outcome.value,
                expected,
                `${label}: unexpected events\n${show(outcome.value)}`,
              );
              return outcome.value.reduce((current, event) => decider.evolve(current, event), state);
            },
            thenRejects(code) {
              const { outcome } = run();
              if (outcome.ok)
                assert.fail(
                  `${label}: expected rejection ${code}\nbut it was accepted with ${show(outcome.value)}`,
                );
              if (!isDomainError(outcome.error)) {
                throw new assert.AssertionError({
                  message: `${label}: expected rejection ${code} but the decider threw a non-domain error: ${String(outcome.error)}`,
                  actual: outcome.error,
                  expected: code,
                });
              }
              assert.equal(
                outcome.error.code,
                code,
                `${label}: expected rejection ${code}, got ${outcome.error.code}: ${outcome.error.message}`,
              );
              return outcome.error;
            },
          };
        },
      };
    },
  };
}

function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
