import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Command, type Decider, type Event, reject, userContext } from '@sluice/core';
import fc from 'fast-check';
import { deciderSpec } from './decider-spec.ts';
import { checkDeciderAgainstModel } from './property.ts';

type Add = Command<'Add', { amount: number }>;
type Added = Event<'Added', { amount: number }>;
type Counter = { readonly total: number };

const counter: Decider<Counter, Add, Added> = {
  initialState: () => ({ total: 0 }),
  decide: (command, state, context) => {
    if (command.data.amount === 13) throw new TypeError('a bug');
    if (context.principal === 'mallory') reject('FORBIDDEN', 'not you');
    if (state.total + command.data.amount > 10) reject('OVER_LIMIT', 'the total may not exceed 10');
    return [{ type: 'Added', data: { amount: command.data.amount } }];
  },
  evolve: (state, event) => ({ total: state.total + event.data.amount }),
};
const spec = deciderSpec(counter);
const add = (amount: number): Add => ({ type: 'Add', data: { amount } });
const added = (amount: number): Added => ({ type: 'Added', data: { amount } });

test('then passes on the expected events and returns the next state', () => {
  assert.deepEqual(
    spec
      .given([added(4)])
      .when(add(3))
      .then([added(3)]),
    { total: 7 },
  );
});

test('thenRejects passes on the expected code and uses the context', () => {
  spec
    .given([added(8)])
    .when(add(3))
    .thenRejects('OVER_LIMIT');
  spec.given([]).when(add(1), userContext('mallory')).thenRejects('FORBIDDEN');
});

test('failures say what was expected and what happened', () => {
  assert.throws(
    () =>
      spec
        .given([])
        .when(add(2))
        .then([added(3)]),
    /Add by system after \[\]: unexpected events/,
  );
  assert.throws(
    () =>
      spec
        .given([added(8)])
        .when(add(3))
        .then([added(3)]),
    /rejected OVER_LIMIT/,
  );
  assert.throws(
    () => spec.given([]).when(add(1)).thenRejects('OVER_LIMIT'),
    /expected rejection OVER_LIMIT\nbut it was accepted/,
  );
  assert.throws(
    () =>
      spec
        .given([added(9)])
        .when(add(2))
        .thenRejects('FORBIDDEN'),
    /expected rejection FORBIDDEN, got OVER_LIMIT/,
  );
  assert.throws(
    () => spec.given([]).when(add(13)).thenRejects('OVER_LIMIT'),
    /non-domain error: TypeError: a bug/,
  );
  assert.throws(() => spec.given([]).when(add(13)).then([]), TypeError);
});

test('a decider that mutates its state fails under the spec', () => {
  const impure: Decider<{ items: number[] }, Add, Added> = {
    initialState: () => ({ items: [] }),
    decide: (command) => [added(command.data.amount)],
    evolve: (state, event) => {
      state.items.push(event.data.amount);
      return state;
    },
  };
  assert.throws(
    () =>
      deciderSpec(impure)
        .given([added(1), added(2)])
        .when(add(1))
        .then([added(1)]),
    TypeError,
  );
});

test('the model check agrees with a correct model and catches a wrong one', () => {
  const steps = fc.record({
    command: fc.integer({ min: 0, max: 6 }).map(add),
    context: fc.constantFrom(userContext('alice'), userContext('mallory')),
  });
  const model = (limit: number) => ({
    initial: () => 0,
    apply: (total: number, step: { command: Add; context: { principal: string } }) =>
      step.context.principal === 'mallory'
        ? { accepted: false as const, code: 'FORBIDDEN' }
        : total + step.command.data.amount > limit
          ? { accepted: false as const, code: 'OVER_LIMIT' }
          : { accepted: true as const, model: total + step.command.data.amount },
  });
  checkDeciderAgainstModel({
    decider: counter,
    model: model(10),
    steps,
    invariant: (events, total) =>
      assert.equal(
        events.reduce((sum, e) => sum + e.data.amount, 0),
        total,
      ),
  });
  assert.throws(
    () => checkDeciderAgainstModel({ decider: counter, model: model(11), steps, numRuns: 500 }),
    /Property failed/,
  );
});
