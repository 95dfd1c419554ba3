import { ErrorCodes, SluiceError } from './errors.ts';

/** Turns one schema version's payload into the next version's. */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/**
 * Event schema versions. Each event type starts at version 1; registering an upcaster from version
 * n makes n+1 current. Readers pass old payloads through the chain, so evolve only sees current ones.
 */
export class Upcasters {
  readonly #chains = new Map<string, Upcaster[]>();

  /** Registers the step from `fromVersion` to `fromVersion + 1`; steps must be added in order. */
  upcast(type: string, fromVersion: number, fn: Upcaster): this {
    const chain = this.#chains.get(type) ?? [];
    if (fromVersion !== chain.length + 1)
      throw new TypeError(
        `${type}: the next upcaster must start at version ${chain.length + 1}, not ${fromVersion}`,
      );
    chain.push(fn);
    this.#chains.set(type, chain);
    return this;
  }

  /** The schema version new events of this type are written with. */
  currentVersion(type: string): number {
    return (this.#chains.get(type)?.length ?? 0) + 1;
  }

  /** Brings a payload of any known version to the current one; throws `UNKNOWN_SCHEMA_VERSION` otherwise. */
  toCurrent(type: string, version: number, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const current = this.currentVersion(type);
    if (!Number.isSafeInteger(version) || version < 1 || version > current)
      throw new SluiceError(
        ErrorCodes.UNKNOWN_SCHEMA_VERSION,
        `${type} has schema version ${version}; this code knows versions 1 to ${current}`,
        { details: { type, version, current } },
      );
    const chain = this.#chains.get(type) ?? [];
    let out: Record<string, unknown> = { ...data };
    for (let v = version; v < current; v++) out = chain[v - 1]!(out);
    return out;
  }
}

/** A new, empty set of upcasters. */
export function createUpcasters(): Upcasters {
  return new Upcasters();
}
