import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CommandDecodeResult,
  decodeCommand,
  encodeCommand,
  MAX_COMMAND_BYTES,
} from './command-codec.ts';
import { Headers } from './headers.ts';
import { creationId } from './ids.ts';
import { createCommandRegistry, defineCommand } from './registry.ts';
import { s } from './schema.ts';

const registry = createCommandRegistry([
  defineCommand({
    type: 'UpdateUser',
    aggregate: 'user',
    idField: 'userId',
    schema: s.object({ userId: s.id(), newName: s.string() }),
  }),
  defineCommand({
    type: 'CreateOrder',
    aggregate: 'order',
    idField: 'orderId',
    creates: true,
    schema: s.object({ orderId: s.optional(s.id()), userId: s.id() }),
  }),
]);
const options = { registry, recordId: 'topic-id/0/17' };
const seed = '{"type":"UpdateUser","userId":1,"newName":"Alice"}';

function ok(result: CommandDecodeResult) {
  assert.ok(result.ok, `expected a command, got ${JSON.stringify(result)}`);
  return result;
}

function failed(result: CommandDecodeResult, code: string, pattern?: RegExp) {
  assert.equal(result.ok, false, `expected ${code}, got a command`);
  if (!result.ok) {
    assert.equal(result.code, code, result.message);
    if (pattern) assert.match(result.message, pattern);
  }
  return result;
}

test('the seed command parses as it is and routes to user "1"', () => {
  const result = ok(decodeCommand(new TextEncoder().encode(seed), undefined, options));
  assert.deepEqual(result.target, { aggregateType: 'user', aggregateId: '1' });
  assert.deepEqual(result.command.data, { userId: '1', newName: 'Alice' });
  assert.equal(result.command.metadata.commandId, 'topic-id/0/17');
  assert.deepEqual(registry.route(result.command), result.target);
});

test('ids: 1 and "1" give "1", strings are kept, -5 is "-5", the largest safe integer is exact', () => {
  for (const [id, expected] of [
    [1, '1'],
    ['1', '1'],
    ['abc-7', 'abc-7'],
    [-5, '-5'],
    [9007199254740991, '9007199254740991'],
  ] as const) {
    const value = JSON.stringify({ type: 'UpdateUser', userId: id, newName: 'A' });
    assert.equal(ok(decodeCommand(value, undefined, options)).target.aggregateId, expected);
  }
});

test('ids that are not safe integers or non-empty strings are rejected naming the field', () => {
  for (const raw of ['1e300', '-0.5', '9007199254740993', '{}', '[1]', 'true', 'null', '""']) {
    const result = decodeCommand(`{"type":"UpdateUser","userId":${raw},"newName":"A"}`, undefined, options);
    const failure = failed(result, 'INVALID_COMMAND', /userId/);
    if (!failure.ok) assert.equal(failure.path, 'userId');
  }
});

test('an envelope is recognised by its payload object and carries commandId, expectedVersion, metadata', () => {
  const value = JSON.stringify({
    type: 'UpdateUser',
    commandId: 'c-1',
    expectedVersion: 3,
    metadata: { correlationId: 'corr-1' },
    payload: { userId: 'u-9', newName: 'Bo' },
  });
  const result = ok(decodeCommand(value, { [Headers.principal]: 'u-9' }, options));
  assert.deepEqual(result.command.metadata, {
    commandId: 'c-1',
    expectedVersion: 3,
    correlationId: 'corr-1',
    principal: 'u-9',
  });
  assert.deepEqual(result.command.data, { userId: 'u-9', newName: 'Bo' });
});

test('a flat command may carry commandId and expectedVersion, which are not data', () => {
  const value = '{"type":"UpdateUser","commandId":"c-2","expectedVersion":0,"userId":2,"newName":"C"}';
  const result = ok(decodeCommand(value, undefined, options));
  assert.equal(result.command.metadata.commandId, 'c-2');
  assert.equal(result.command.metadata.expectedVersion, 0);
  assert.deepEqual(result.command.data, { userId: '2', newName: 'C' });
  failed(
    decodeCommand('{"type":"UpdateUser","expectedVersion":-1,"userId":2,"newName":"C"}', undefined, options),
    'INVALID_COMMAND',
  );
});

test('CloudEvents headers may supply the type and the command id; a contradicting type is malformed', () => {
  const headers = new Map<string, string | Uint8Array>([
    ['ce_type', new TextEncoder().encode('UpdateUser')],
    ['ce_id', 'ce-42'],
  ]);
  const result = ok(decodeCommand('{"userId":3,"newName":"D"}', headers, options));
  assert.equal(result.command.type, 'UpdateUser');
  assert.equal(result.command.metadata.commandId, 'ce-42');
  failed(
    decodeCommand('{"type":"CreateOrder","userId":3}', { ce_type: 'UpdateUser' }, options),
    'MALFORMED_COMMAND',
  );
});

test('a creating command without its id gets the creation id of its command id, so a retry creates the same', () => {
  const value = '{"type":"CreateOrder","commandId":"c-7","userId":1}';
  const first = ok(decodeCommand(value, undefined, options));
  const retry = ok(decodeCommand(value, undefined, options));
  assert.equal(first.target.aggregateId, creationId('c-7'));
  assert.equal(retry.target.aggregateId, first.target.aggregateId);
  assert.equal(
    ok(decodeCommand('{"type":"CreateOrder","orderId":5,"userId":1}', undefined, options)).target.aggregateId,
    '5',
  );
});

test('unknown types, missing types, non-objects and oversize values get their codes', () => {
  failed(decodeCommand('{"type":"Nope"}', undefined, options), 'UNKNOWN_COMMAND', /Nope/);
  failed(decodeCommand('{"userId":1}', undefined, options), 'MALFORMED_COMMAND', /no type/);
  failed(decodeCommand('{"type":7}', undefined, options), 'MALFORMED_COMMAND');
  for (const value of ['[]', '"x"', '42', 'null', '', '{"type":"UpdateUser",']) {
    failed(decodeCommand(value, undefined, options), 'MALFORMED_COMMAND');
  }
  failed(decodeCommand(null, undefined, options), 'MALFORMED_COMMAND');
  failed(decodeCommand(new Uint8Array([0xff, 0xfe, 0x7b]), undefined, options), 'MALFORMED_COMMAND', /UTF-8/);
  const big = JSON.stringify({ type: 'UpdateUser', userId: 1, newName: 'x'.repeat(MAX_COMMAND_BYTES) });
  failed(decodeCommand(big, undefined, options), 'TOO_LARGE');
  failed(
    decodeCommand('{"type":"UpdateUser","userId":1,"newName":"A"}', undefined, { registry }),
    'MALFORMED_COMMAND',
    /no commandId/,
  );
});

test('random bytes never throw and never decode to anything but a typed failure or a command', () => {
  const codes = new Set(['MALFORMED_COMMAND', 'UNKNOWN_COMMAND', 'INVALID_COMMAND', 'TOO_LARGE']);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const result = decodeCommand(bytes, undefined, options);
      assert.ok(result.ok || codes.has(result.code));
    }),
    { numRuns: 2000 },
  );
});

test('every strict prefix of a valid command is MALFORMED_COMMAND', () => {
  const valid = fc
    .record({
      userId: fc.oneof(fc.integer(), fc.string({ minLength: 1 })),
      newName: fc.string({ unit: 'grapheme' }),
    })
    .map((data) => JSON.stringify({ type: 'UpdateUser', ...data }));
  fc.assert(
    fc.property(valid, fc.nat(), (text, cut) => {
      assert.equal(decodeCommand(text, undefined, options).ok, true);
      const bytes = new TextEncoder().encode(text);
      const prefix = bytes.subarray(0, cut % bytes.length);
      failed(decodeCommand(prefix, undefined, options), 'MALFORMED_COMMAND');
    }),
    { numRuns: 1000 },
  );
});

test('random JSON values never throw', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (json) => {
      const text = JSON.stringify({ type: 'UpdateUser', userId: json, newName: json });
      decodeCommand(text, undefined, options);
      decodeCommand(JSON.stringify(json), undefined, options);
    }),
  );
  const key = fc.constantFrom(
    'type',
    'payload',
    'commandId',
    'expectedVersion',
    'metadata',
    'userId',
    'orderId',
    '__proto__',
  );
  const type = fc.constantFrom('UpdateUser', 'CreateOrder', 'Other');
  fc.assert(
    fc.property(fc.dictionary(key, fc.oneof(type, fc.jsonValue())), (body) => {
      const result = decodeCommand(JSON.stringify(body), { ce_id: 'x' }, options);
      if (result.ok) assert.equal(typeof result.target.aggregateId, 'string');
    }),
    { numRuns: 2000 },
  );
});

test('encodeCommand gives an envelope keyed by aggregate id that decodes back to the same command', () => {
  const decoded = ok(decodeCommand(seed, { [Headers.principal]: 'alice', [Headers.replyTo]: '4' }, options));
  const encoded = encodeCommand(decoded.command, { registry });
  assert.equal(encoded.key, '1');
  assert.equal(encoded.headers[Headers.replyTo], '4');
  const again = ok(decodeCommand(encoded.value, encoded.headers, { registry }));
  assert.deepEqual(again.command, decoded.command);
});
