import { hash } from 'node:crypto';
import { canonicalJson, payloadHash, SLUICE_NAMESPACE, uuidv5 } from '@sluice/core';

/** The two hashes a batch needs per command: the same results as core's, computed by node:crypto. */
export interface BatchHashes {
  /** `payloadHash` of core: 128 bits of SHA-256 of the canonical JSON of type and data, base64url. */
  payload(type: string, data: unknown): string;
  /** `uuidv5(SLUICE_NAMESPACE, name)` of core. */
  eventId(name: string): string;
}

/** Core's portable (pure TypeScript) implementations. */
export const portableHashes: BatchHashes = {
  payload: payloadHash,
  eventId: (name) => uuidv5(SLUICE_NAMESPACE, name),
};

// UUIDv5 hashes the namespace's bytes followed by the name: both are written into one scratch buffer,
// so that an event id costs one one-shot hash and no allocation but its result.
const scratch = Buffer.alloc(4096);
const NAMESPACE_BYTES = scratch.write(SLUICE_NAMESPACE.replaceAll('-', ''), 'hex');
/** The variant's hex digit for each value of its two low bits. */
const VARIANT = '89ab';
const DASH = 0x2d;
const FIVE = 0x35;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The base64url of the first 16 bytes of a digest, from the base64url of all of it: asking node:crypto
 * for text costs half as much as for a buffer. The first 21 characters carry bytes 0–14 and the top six
 * bits of byte 15; the 22nd keeps byte 15's low two bits, with zeros where byte 16's bits follow.
 */
function first16Bytes(digest: string): string {
  return digest.slice(0, 21) + BASE64URL.charAt(BASE64URL.indexOf(digest.charAt(21)) & 0x30);
}

/** Views of the scratch buffer from its start, by length, each made once: a view per event was an allocation. */
const views: Buffer[] = [];

/**
 * The namespace's bytes followed by the name's UTF-8, in the scratch buffer where they fit. An ASCII name
 * (aggregate keys and versions are) is copied by a loop: Buffer.byteLength and Buffer#write cost more.
 */
function namespaceAnd(name: string): Buffer {
  const count = name.length;
  if (NAMESPACE_BYTES + 3 * count > scratch.length)
    return Buffer.concat([scratch.subarray(0, NAMESPACE_BYTES), Buffer.from(name)]);
  let i = 0;
  for (; i < count; i++) {
    const code = name.charCodeAt(i);
    if (code > 0x7f) break;
    scratch[NAMESPACE_BYTES + i] = code;
  }
  const end = NAMESPACE_BYTES + (i === count ? count : scratch.write(name, NAMESPACE_BYTES));
  let view = views[end];
  if (view === undefined) {
    view = scratch.subarray(0, end);
    views[end] = view;
  }
  return view;
}

/** node:crypto implementations, several times faster on the processor's hot path. */
export const nodeHashes: BatchHashes = {
  payload: (type, data) => first16Bytes(hash('sha256', canonicalJson([type, data]), 'base64url')),
  eventId(name) {
    const hex = hash('sha1', namespaceAnd(name), 'hex');
    // Version 5 in the high nibble of byte 6, variant 10 in the high bits of byte 8. Built in one string
    // from the digest's character codes: slices and a template made ten strings for every event.
    const c = (i: number) => hex.charCodeAt(i);
    const variant = VARIANT.charCodeAt(Number.parseInt(hex.charAt(16), 16) & 0x3);
    // biome-ignore format: the UUID's groups, one per line
    return String.fromCharCode(
      c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7), DASH,
      c(8), c(9), c(10), c(11), DASH,
      FIVE, c(13), c(14), c(15), DASH,
      variant, c(17), c(18), c(19), DASH,
      c(20), c(21), c(22), c(23), c(24), c(25), c(26), c(27), c(28), c(29), c(30), c(31),
    );
  },
};
