/**
 * Builds the web app into `dist/` with Vite: `node apps/orders/web/build.ts [--if-stale]`. With
 * `--if-stale` it does nothing when `dist/index.html` is newer than every source file, so
 * `npm install` and `npm start` can call it on every run for the price of a few `stat`s.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const WEB = import.meta.dirname;
/** Where the server looks for the built app (`apps/orders/shop.ts` serves it at `/`). */
export const WEB_DIST = join(WEB, 'dist');
const SOURCES = ['index.html', 'src', 'build.ts'];

async function newestSource(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestSource(join(path, entry)));
  return newest;
}

/** Whether `dist/` is missing or older than a source file. */
export async function webBuildIsStale(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(join(WEB_DIST, 'index.html'))).mtimeMs;
  } catch {
    return true;
  }
  for (const source of SOURCES) if ((await newestSource(join(WEB, source))) > built) return true;
  return false;
}

/** Builds the app (always, or only when stale); returns whether it built. */
export async function buildWeb(options: { ifStale?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (options.ifStale && !(await webBuildIsStale())) return false;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (error) {
    // An install without dev dependencies has no Vite: the server then says the app is not built.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write('web app: vite is not installed (dev dependency); apps/orders/web/dist not built\n');
    return false;
  }
  await vite.build({
    root: WEB,
    configFile: false,
    logLevel: options.quiet ? 'warn' : 'info',
    base: '/',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: { outDir: WEB_DIST, emptyOutDir: true, target: 'es2022', sourcemap: true },
  });
  return true;
}

if (import.meta.main) {
  const ifStale = process.argv.includes('--if-stale');
  const began = performance.now();
  const built = await buildWeb({ ifStale, quiet: ifStale });
  const took = Math.round(performance.now() - began);
  process.stdout.write(
    built ? `web app: built apps/orders/web/dist in ${took} ms\n` : 'web app: dist/ is up to date\n',
  );
}
