import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, SluiceError } from '@sluice/core';
import { ErrorCatalogue, HttpCodes, statusOfKind } from './catalogue.ts';

test('every framework and HTTP code is declared with a status', () => {
  const catalogue = new ErrorCatalogue();
  for (const code of [...Object.values(ErrorCodes), ...Object.values(HttpCodes)])
    assert.ok(catalogue.has(code), code);
  const status = (code: string) => catalogue.describe(code).status;
  assert.equal(status('MALFORMED_COMMAND'), 400);
  assert.equal(status('INVALID_COMMAND'), 400);
  assert.equal(status('INVALID_TOKEN'), 400);
  assert.equal(status('UNAUTHENTICATED'), 401);
  assert.equal(status('FORBIDDEN'), 403);
  assert.equal(status('NOT_FOUND'), 404);
  assert.equal(status('VERSION_CONFLICT'), 409);
  assert.equal(status('IDEMPOTENCY_CONFLICT'), 409);
  assert.equal(status('OFFSET_CONFLICT'), 409);
  assert.equal(status('TOO_LARGE'), 413);
  assert.equal(status('UNSUPPORTED_MEDIA_TYPE'), 415);
  assert.equal(status('RATE_LIMITED'), 429);
  assert.equal(status('INTERNAL_ERROR'), 500);
  assert.equal(status('PROJECTION_BEHIND'), 503);
  assert.equal(status('NOT_READY'), 503);
});

test('domain codes take the status of their kind; undeclared rejections are 422', () => {
  const catalogue = new ErrorCatalogue({
    ORDER_NOT_FOUND: { kind: 'not-found', title: 'No such order' },
    SEAT_TAKEN: { kind: 'conflict', title: 'Seat taken' },
    INVALID_NAME: { kind: 'rejected', title: 'Bad name' },
    FORBIDDEN: { kind: 'forbidden', title: 'ignored: the framework title stays' },
  });
  assert.deepEqual(catalogue.describe('ORDER_NOT_FOUND'), { status: 404, title: 'No such order' });
  assert.equal(catalogue.describe('SEAT_TAKEN').status, 409);
  assert.equal(catalogue.describe('INVALID_NAME').status, 422);
  assert.equal(catalogue.describe('FORBIDDEN').title, 'The principal may not do this');
  assert.deepEqual(catalogue.describe('NEVER_DECLARED'), { status: 422, title: 'The command was rejected' });
  assert.equal(new SluiceError('NEVER_DECLARED', 'x').kind, 'rejected');
  assert.equal(statusOfKind.rejected, 422);
});

test('a domain may not give a framework code another status', () => {
  assert.throws(
    () => new ErrorCatalogue({ NOT_FOUND: { kind: 'conflict', title: 'x' } }),
    /NOT_FOUND is already a 404/,
  );
});
