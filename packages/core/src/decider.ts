import type { Command, Event } from './messages.ts';

/** Roles a principal can have. `system` is anyone who may write to the `commands` topic directly. */
export type Role = 'user' | 'operator' | 'system';

/** Who is asking: deciders use it for ownership rules (a user cancels only their own order). */
export interface DecisionContext {
  /** A user id, `operator:<name>`, or `system`. */
  readonly principal: string;
  readonly roles: readonly Role[];
}

/**
 * A decider: three pure functions. `decide` returns the events a command causes, or throws a
 * `DomainError` to reject it; `evolve` applies one event to the state.
 */
export interface Decider<State, C extends Command = Command, E extends Event = Event> {
  initialState(): State;
  decide(command: C, state: State, context: DecisionContext): readonly E[];
  evolve(state: State, event: E): State;
  /** Bump when the shape of `State` changes: stored states of another revision are rebuilt from events. */
  readonly stateRevision?: number;
}

/** The system principal: commands written to Kafka directly without a principal act as it. */
export const SYSTEM_CONTEXT: DecisionContext = Object.freeze({
  principal: 'system',
  roles: Object.freeze(['system'] as const),
});

const OPERATOR_PREFIX = 'operator:';

/**
 * The context for a principal as carried in `sluice-principal`: absent or `system` is system,
 * `operator:<name>` is an operator, anything else a user. The gateway must never let a user id take
 * those forms.
 */
export function contextForPrincipal(principal: string | undefined): DecisionContext {
  if (principal === undefined || principal === 'system') return SYSTEM_CONTEXT;
  if (principal.startsWith(OPERATOR_PREFIX)) return { principal, roles: ['operator'] };
  return { principal, roles: ['user'] };
}

/** The context of a user acting as themselves. */
export function userContext(userId: string): DecisionContext {
  return { principal: userId, roles: ['user'] };
}

/** The context of an operator. */
export function operatorContext(name: string): DecisionContext {
  return { principal: `${OPERATOR_PREFIX}${name}`, roles: ['operator'] };
}

/** Whether the context has a role. */
export function hasRole(context: DecisionContext, role: Role): boolean {
  return context.roles.includes(role);
}

/** Operators and the system may act on anyone's behalf. */
export function isPrivileged(context: DecisionContext): boolean {
  return hasRole(context, 'operator') || hasRole(context, 'system');
}

/** Whether the context may act for this user: the user themselves, an operator or the system. */
export function actsFor(context: DecisionContext, userId: string): boolean {
  return isPrivileged(context) || context.principal === userId;
}

/** Folds events into a state with the decider's `evolve`. */
export function evolveAll<State, C extends Command, E extends Event>(
  decider: Decider<State, C, E>,
  events: Iterable<E>,
  state: State = decider.initialState(),
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}
