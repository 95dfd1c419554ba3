import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actsFor,
  contextForPrincipal,
  isPrivileged,
  operatorContext,
  SYSTEM_CONTEXT,
  userContext,
} from './decider.ts';
import { DomainError, isDomainError, kindOf, reject, SluiceError, toError } from './errors.ts';

test('principals map to roles: absent or system is system, operator:<name> an operator, else a user', () => {
  assert.deepEqual(contextForPrincipal(undefined), SYSTEM_CONTEXT);
  assert.deepEqual(contextForPrincipal('system'), SYSTEM_CONTEXT);
  assert.deepEqual(contextForPrincipal('operator:eve'), operatorContext('eve'));
  assert.deepEqual(contextForPrincipal('42'), userContext('42'));
});

test('users act only for themselves; operators and the system for anyone', () => {
  assert.equal(actsFor(userContext('1'), '1'), true);
  assert.equal(actsFor(userContext('1'), '2'), false);
  assert.equal(actsFor(operatorContext('eve'), '2'), true);
  assert.equal(actsFor(SYSTEM_CONTEXT, '2'), true);
  assert.equal(isPrivileged(userContext('operator')), false);
});

test('rejections are DomainErrors with a stable code; framework codes carry their kind', () => {
  assert.throws(
    () => reject('INVALID_NAME', 'too long', { details: { max: 100 } }),
    (error: unknown) => {
      assert.ok(isDomainError(error));
      assert.equal(error.code, 'INVALID_NAME');
      assert.equal(error.kind, 'rejected');
      assert.deepEqual(error.details, { max: 100 });
      return true;
    },
  );
  assert.equal(isDomainError(new SluiceError('X', 'y')), false);
  assert.equal(new DomainError('FORBIDDEN', 'no').kind, 'forbidden');
  assert.equal(kindOf('VERSION_CONFLICT'), 'conflict');
  assert.equal(kindOf('toString'), 'rejected');
  const error = toError({ ok: false, code: 'INVALID_COMMAND', message: 'bad', path: 'a.b' });
  assert.equal(error.kind, 'invalid');
  assert.deepEqual(error.details, { path: 'a.b' });
});
