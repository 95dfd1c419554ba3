import {
  actsFor,
  type Command,
  codePoints,
  type Decider,
  type DecisionContext,
  ErrorCodes,
  type Event,
  reject,
} from '@sluice/core';

/** Rejection codes of the user aggregate. */
export const UserCodes = {
  INVALID_NAME: 'INVALID_NAME',
  FORBIDDEN: ErrorCodes.FORBIDDEN,
} as const;

export const MIN_NAME_LENGTH = 1;
export const MAX_NAME_LENGTH = 100;

/** Creates the user's profile, or renames it. */
export type UpdateUser = Command<'UpdateUser', { userId: string; newName: string }>;
export type UserCommand = UpdateUser;

export type UserCreated = Event<'UserCreated', { userId: string; name: string }>;
export type UserRenamed = Event<'UserRenamed', { userId: string; name: string; previousName: string }>;
export type UserEvent = UserCreated | UserRenamed;

export type UserState =
  | { readonly status: 'absent' }
  | { readonly status: 'active'; readonly userId: string; readonly name: string };

/** Whether a name is acceptable: 1–100 characters (code points), not only whitespace. */
export function isValidName(name: string): boolean {
  const length = codePoints(name);
  return length >= MIN_NAME_LENGTH && length <= MAX_NAME_LENGTH && name.trim() !== '';
}

function decide(command: UserCommand, state: UserState, context: DecisionContext): UserEvent[] {
  const { userId, newName } = command.data;
  if (!actsFor(context, userId))
    reject(UserCodes.FORBIDDEN, `${context.principal} may not update user ${userId}`);
  if (!isValidName(newName))
    reject(UserCodes.INVALID_NAME, `a name must have ${MIN_NAME_LENGTH} to ${MAX_NAME_LENGTH} characters`, {
      details: { length: codePoints(newName) },
    });
  if (state.status === 'absent') return [{ type: 'UserCreated', data: { userId, name: newName } }];
  if (state.name === newName) return [];
  return [{ type: 'UserRenamed', data: { userId, name: newName, previousName: state.name } }];
}

function evolve(_state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserCreated':
    case 'UserRenamed':
      return { status: 'active', userId: event.data.userId, name: event.data.name };
  }
}

/** The user profile: `UpdateUser` creates it or renames it; users may update only themselves. */
export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: () => ({ status: 'absent' }),
  decide,
  evolve,
  stateRevision: 1,
};
