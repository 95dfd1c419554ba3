import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testServer } from '../testing/test-server.ts';
import { batchRecorder, createSluiceMetrics } from './metrics.ts';

test('/metrics exposes command counts and durations, batch sizes, projection lag and Node metrics', async (t) => {
  let lag = [
    { projection: 'tabs', topic: 'tab-events', partition: 0, lag: 12n },
    { projection: 'tabs', topic: 'tab-events', partition: 1, lag: 0 },
  ];
  const metrics = createSluiceMetrics({ projectionLag: () => lag });
  const { app, bus, bearer } = await testServer({}, { metrics });
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const send = () =>
    app.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization, 'content-type': 'application/json' },
      payload: { type: 'CloseTab', tabId: 't1' },
    });
  await send();
  bus.rule = () => ({ code: 'TAB_NOT_FOUND' });
  await send();
  bus.rule = () => 'pending';
  await send();
  batchRecorder(metrics)({ commands: 300 });

  const response = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const text = response.body;
  assert.match(text, /^sluice_commands_total\{code="OK"\} 1$/m);
  assert.match(text, /^sluice_commands_total\{code="TAB_NOT_FOUND"\} 1$/m);
  assert.match(text, /^sluice_commands_total\{code="PENDING"\} 1$/m);
  assert.match(text, /^sluice_command_duration_seconds_count\{code="OK"\} 1$/m);
  assert.match(text, /^sluice_batch_size_bucket\{le="500"\} 1$/m);
  assert.match(text, /^sluice_batch_size_bucket\{le="250"\} 0$/m);
  assert.match(text, /^sluice_projection_lag\{projection="tabs",topic="tab-events",partition="0"\} 12$/m);
  assert.match(text, /^process_cpu_user_seconds_total /m);

  lag = [{ projection: 'tabs', topic: 'tab-events', partition: 1, lag: 3 }];
  const later = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.doesNotMatch(later, /partition="0"/, 'a partition that went away is not reported');
  assert.match(later, /partition="1"\} 3$/m);
});
