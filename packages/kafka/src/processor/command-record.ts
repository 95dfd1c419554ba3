import { Headers, readHeader } from '@sluice/core';

/** A `commands` record as the processor sees it. */
export interface CommandRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
  readonly headers: ReadonlyMap<string, Buffer>;
}

/** The `command-results` partition the sender asked for (`sluice-reply-to`), 0 when it named none. */
export function requestedReplyPartition(headers: ReadonlyMap<string, Buffer>): number {
  const value = Number(readHeader(headers, Headers.replyTo) ?? 0);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** An id the sender chose (header or body), if any: only then does an undecodable record get a result. */
export function explicitCommandId(record: CommandRecord): string | undefined {
  const header = readHeader(record.headers, Headers.commandId) ?? readHeader(record.headers, Headers.ceId);
  if (header) return header;
  try {
    const body = JSON.parse(record.value?.toString() ?? '') as { commandId?: unknown };
    return typeof body.commandId === 'string' && body.commandId !== '' ? body.commandId : undefined;
  } catch {
    return undefined;
  }
}
