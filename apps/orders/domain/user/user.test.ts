import { test } from 'node:test';
import { operatorContext, SYSTEM_CONTEXT, userContext } from '@sluice/core';
import { deciderSpec } from '@sluice/testing';
import { type UpdateUser, type UserEvent, userDecider } from './user.ts';

const spec = deciderSpec(userDecider);
const update = (userId: string, newName: string): UpdateUser => ({
  type: 'UpdateUser',
  data: { userId, newName },
});
const created: UserEvent = { type: 'UserCreated', data: { userId: '1', name: 'Alice' } };

test('UpdateUser creates a user who does not exist yet', () => {
  spec.given([]).when(update('1', 'Alice'), userContext('1')).then([created]);
});

test('UpdateUser renames an existing user, remembering the previous name', () => {
  spec
    .given([created])
    .when(update('1', 'Alicia'), userContext('1'))
    .then([{ type: 'UserRenamed', data: { userId: '1', name: 'Alicia', previousName: 'Alice' } }]);
});

test('renaming to the same name changes nothing', () => {
  spec.given([created]).when(update('1', 'Alice'), userContext('1')).then([]);
});

test('names of 1 and 100 characters are accepted, counting code points', () => {
  spec
    .given([])
    .when(update('1', 'A'))
    .then([{ type: 'UserCreated', data: { userId: '1', name: 'A' } }]);
  const hundred = '😀'.repeat(100);
  spec
    .given([])
    .when(update('1', hundred))
    .then([{ type: 'UserCreated', data: { userId: '1', name: hundred } }]);
});

test('empty, blank and over-long names are INVALID_NAME', () => {
  spec.given([]).when(update('1', ''), userContext('1')).thenRejects('INVALID_NAME');
  spec.given([]).when(update('1', '   '), userContext('1')).thenRejects('INVALID_NAME');
  spec
    .given([created])
    .when(update('1', 'x'.repeat(101)), userContext('1'))
    .thenRejects('INVALID_NAME');
});

test('a user may not update another user; operators and the system may', () => {
  spec.given([created]).when(update('1', 'Mallory'), userContext('2')).thenRejects('FORBIDDEN');
  spec.given([]).when(update('1', 'Alice'), userContext('2')).thenRejects('FORBIDDEN');
  spec
    .given([created])
    .when(update('1', 'Al'), operatorContext('eve'))
    .then([{ type: 'UserRenamed', data: { userId: '1', name: 'Al', previousName: 'Alice' } }]);
  spec.given([]).when(update('1', 'Alice'), SYSTEM_CONTEXT).then([created]);
});
