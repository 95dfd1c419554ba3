import { defineProjection, recordedAtText } from '@sluice/store';

/** One row per user profile: its current name. */
export const usersProjection = defineProjection({
  name: 'users',
  version: 1,
  topics: ['user-events'],
  tables: {
    users: {
      name: 'users',
      columns: { user_id: 'text', name: 'text', created_at: 'timestamptz', updated_at: 'timestamptz' },
      key: ['user_id'],
    },
  },
  async apply(events, { users }) {
    await users.load(events.map((e) => ({ user_id: e.metadata.aggregateId })));
    for (const event of events) {
      const { userId, name } = event.data as { userId: string; name: string };
      const at = recordedAtText(event);
      const existing = users.get({ user_id: userId });
      users.upsert({ user_id: userId, name, created_at: existing?.created_at ?? at, updated_at: at });
    }
  },
});
