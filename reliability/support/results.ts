import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where each scenario leaves its row for `reliability/report.ts` (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** One row of the RELIABILITY.md table. */
export interface ScenarioRow {
  /** Sort key and file name, e.g. `1a-processor-sigkill`. */
  readonly id: string;
  readonly scenario: string;
  readonly load: string;
  readonly faults: string;
  readonly accepted: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly seconds: number;
  readonly notes?: string;
}

/** Writes a scenario's row as JSON (only reached when every check of the scenario passed). */
export function writeRow(row: ScenarioRow): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}${row.id}.json`,
    `${JSON.stringify({ ...row, at: new Date().toISOString() }, null, 2)}\n`,
  );
}
