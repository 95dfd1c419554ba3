import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPGliteStore } from './pglite/pglite-store.ts';
import { readStoreSuite } from './testing/read-store-suite.ts';

let dataDir = '';

readStoreSuite('PGlite', {
  open: async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-pglite-'));
    return openPGliteStore({ dataDir: join(dataDir, 'pglite') });
  },
  cleanup: () => rm(dataDir, { recursive: true, force: true }),
  concurrent: false,
});
