// The demo page and its assets: GET / (web/index.html), the browser bundles, web/style.css and the sample
// questions under /samples/. A fixed set of names: nothing outside web/ can be asked for.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../gateway/log.ts';
import { BROWSER_BUNDLES, REPO_ROOT, loadBundle } from './static-bundle.ts';

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'web/style.css', type: 'text/css; charset=utf-8' },
  '/samples/index.json': { file: 'web/samples/index.json', type: 'application/json' },
};
const SAMPLE = /^\/samples\/([a-z0-9-]{1,64})\.wav$/;

/** true when the request was for a static path (answered, or 404 for an unknown sample). */
export function handleStatic(req: IncomingMessage, res: ServerResponse, log: Logger): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (BROWSER_BUNDLES[path] !== undefined) {
    loadBundle(path).then(
      (js) => send(req, res, 200, 'text/javascript; charset=utf-8', js),
      (err: unknown) => {
        log.error('browser bundle failed', { path, err: (err as Error).message });
        send(req, res, 500, 'text/plain; charset=utf-8', (err as Error).message);
      },
    );
    return true;
  }
  const sample = SAMPLE.exec(path);
  const known = FILES[path] ?? (sample ? { file: `web/samples/${sample[1]}.wav`, type: 'audio/wav' } : undefined);
  if (known === undefined) return false;
  readFile(`${REPO_ROOT}${known.file}`).then(
    (bytes) => send(req, res, 200, known.type, bytes),
    () => send(req, res, 404, 'application/json', JSON.stringify({ error: 'not found' })),
  );
  return true;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    // The page is small and changes with the code: always revalidate.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
