/**
 * An allocation profile of a window of a run, garbage included (`--heap-prof` keeps only what is
 * still alive at exit, which says nothing about what the scavenger has to do):
 *
 *   ALLOC_PROFILE_FROM_MS=6000 ALLOC_PROFILE_TO_MS=12000 \
 *     npx node --import ./bench/alloc-profile.ts bench/run.ts --only drain
 *
 * writes `alloc.heapprofile` (or ALLOC_PROFILE_FILE), which Chrome DevTools' Memory tab opens.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const from = Number(process.env.ALLOC_PROFILE_FROM_MS ?? 6_000);
const to = Number(process.env.ALLOC_PROFILE_TO_MS ?? 12_000);
const file = process.env.ALLOC_PROFILE_FILE ?? 'alloc.heapprofile';
const session = new Session();
session.connect();

setTimeout(() => {
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  setTimeout(() => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error) throw error;
      writeFileSync(file, JSON.stringify(result.profile));
      process.stderr.write(`allocation profile of ${from}–${to} ms written to ${file}\n`);
    });
  }, to - from).unref();
}, from).unref();
