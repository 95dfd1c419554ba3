import { MemoryReadStore } from './memory/memory-store.ts';
import { readStoreSuite } from './testing/read-store-suite.ts';

readStoreSuite('memory', { open: async () => new MemoryReadStore(), concurrent: false });
