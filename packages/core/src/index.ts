/** Sluice core: messages, deciders, errors, codecs, ids, upcasters and position tokens. Pure TypeScript. */
export * from './base64url.ts';
export * from './canonical-json.ts';
export * from './command-codec.ts';
export * from './command-result.ts';
export * from './decider.ts';
export * from './dedup-window.ts';
export * from './errors.ts';
export * from './event-codec.ts';
export * from './hash.ts';
export * from './headers.ts';
export * from './ids.ts';
export type * from './messages.ts';
export * from './own-property.ts';
export * from './position-token.ts';
export * from './registry.ts';
export * from './schema.ts';
export * from './state-codec.ts';
export * from './upcasters.ts';
