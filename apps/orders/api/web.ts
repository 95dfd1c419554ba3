import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sluice shop</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>Sluice shop</h1><p>The web app is not built (no <code>apps/orders/web/dist</code>). The API is running:
see <a href="/docs">/docs</a> and <a href="/openapi.json">/openapi.json</a>; health at <a href="/readyz">/readyz</a>.</p>
</body></html>`;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The web app at `/`: files of `dist` (a single-page app: unknown paths get `index.html`), or a small
 * page saying it is not built. Paths under `/api/` never reach it.
 */
export function webRoutes(dist: string) {
  const root = normalize(dist + sep);
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/*',
      { config: { auth: 'none' }, schema: { hide: true, summary: 'The web app' } as Record<string, unknown> },
      async (request, reply) => {
        const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
        if (path.startsWith('/api/') || path === '/api')
          return reply.problem('NOT_FOUND', `no route GET ${path}`);
        const index = join(root, 'index.html');
        if (!(await isFile(index))) {
          if (path !== '/' && path !== '/index.html')
            return reply.problem('NOT_FOUND', `no route GET ${path}`);
          return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
        }
        const file = normalize(join(root, path));
        // A path that climbs out of dist (../) is not served.
        const target = file.startsWith(root) && (await isFile(file)) ? file : index;
        const body = await readFile(target);
        const immutable = target !== index && target.includes(`${sep}assets${sep}`);
        return reply
          .type(TYPES[extname(target)] ?? 'application/octet-stream')
          .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .send(body);
      },
    );
  };
}
