import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHeader } from './headers.ts';

test('a header is read from a Map of string or byte names, or from an object; the last occurrence wins', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assert.equal(readHeader(new Map(), 'a'), undefined);
  assert.equal(readHeader(undefined, 'a'), undefined);
  assert.equal(readHeader(new Map([['a', bytes('1')]]), 'a'), '1');
  assert.equal(readHeader(new Map([[bytes('a'), '2']]), 'a'), '2');
  assert.equal(
    readHeader(
      new Map<string | Uint8Array, string | Uint8Array>([
        ['a', '1'],
        [bytes('a'), bytes('3')],
      ]),
      'a',
    ),
    '3',
  );
  assert.equal(readHeader(new Map([['b', '1']]), 'a'), undefined);
  assert.equal(readHeader({ a: bytes('4') }, 'a'), '4');
  assert.equal(readHeader({ toString: 'x' } as Record<string, string>, 'hasOwnProperty'), undefined);
});
