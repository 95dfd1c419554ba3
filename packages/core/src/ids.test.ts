import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CREATION_NAMESPACE,
  creationId,
  DNS_NAMESPACE,
  idempotencyCommandId,
  recordCommandId,
  SLUICE_NAMESPACE,
  uuidv5,
} from './ids.ts';

/** An independent UUIDv5 built on node:crypto, as the oracle. */
function oracleUuidv5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

test('uuidv5 gives the RFC 9562 example for www.example.com', () => {
  assert.equal(uuidv5(DNS_NAMESPACE, 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

test('the Sluice namespace is derived as documented', () => {
  assert.equal(SLUICE_NAMESPACE, uuidv5(DNS_NAMESPACE, 'sluice.events'));
  assert.notEqual(CREATION_NAMESPACE, SLUICE_NAMESPACE);
});

test('uuidv5 agrees with a node:crypto implementation for any name', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (name) => {
      assert.equal(uuidv5(SLUICE_NAMESPACE, name), oracleUuidv5(SLUICE_NAMESPACE, name));
    }),
  );
});

test('idempotency ids depend on principal and key, and JSON framing keeps them apart', () => {
  const id = idempotencyCommandId('alice', 'k1');
  assert.equal(id, uuidv5(SLUICE_NAMESPACE, '["alice","k1"]'));
  assert.equal(id, idempotencyCommandId('alice', 'k1'));
  assert.notEqual(id, idempotencyCommandId('bob', 'k1'));
  assert.notEqual(idempotencyCommandId('a', 'bc'), idempotencyCommandId('ab', 'c'));
});

test('creation ids are stable per command id and differ between commands', () => {
  assert.equal(creationId('c-1'), creationId('c-1'));
  assert.notEqual(creationId('c-1'), creationId('c-2'));
  assert.match(creationId('c-1'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('record command ids name topic id, partition and offset', () => {
  assert.equal(recordCommandId('Xy9', 3, 42n), 'Xy9/3/42');
});
