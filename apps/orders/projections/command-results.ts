import type { CommandResult } from '@sluice/core';
import { COMMAND_RESULT_EVENT, defineProjection, recordedAtText } from '@sluice/store';

/** Every command's result, for `GET /api/commands/:id` (answered to its principal only). */
export const commandResultsProjection = defineProjection({
  name: 'command_results',
  version: 1,
  topics: ['command-results'],
  tables: {
    results: {
      name: 'command_results',
      columns: {
        command_id: 'text',
        code: 'text',
        principal: 'text',
        aggregate_type: 'text',
        aggregate_id: 'text',
        result: 'jsonb',
        recorded_at: 'timestamptz',
      },
      key: ['command_id'],
    },
  },
  apply(events, { results }) {
    for (const event of events) {
      if (event.type !== COMMAND_RESULT_EVENT) continue;
      const result = event.data as unknown as CommandResult;
      results.upsert({
        command_id: result.commandId,
        code: result.code,
        principal: result.principal ?? 'system',
        aggregate_type: result.aggregateType ?? null,
        aggregate_id: result.aggregateId ?? null,
        result,
        recorded_at: recordedAtText(event),
      });
    }
  },
});
