// Building objects from untrusted keys (command payloads, stored state) without touching prototypes.

/**
 * Sets an own, enumerable, writable property of a fresh object, even for the key `__proto__` (which
 * plain assignment would take as the prototype). Every other key is assigned: `defineProperty` per key
 * cost a few per cent of the processor's CPU.
 */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
