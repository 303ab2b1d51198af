// The one auth check, for every route and transport. A token may come as `Authorization: Bearer`, as `?token=`
// (browsers cannot set headers on a WebSocket), or as the WebSocket subprotocol `openai-insecure-api-key.<token>`
// (how browser clients of the OpenAI Realtime API present a key).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const KEY_SUBPROTOCOL = 'openai-insecure-api-key.';

export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  for (const p of offeredSubprotocols(req)) if (p.startsWith(KEY_SUBPROTOCOL)) return p.slice(KEY_SUBPROTOCOL.length);
  return undefined;
}

export function isAuthorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  return tokenMatches(presentedToken(req, url), token);
}

/** The comparison behind every check, in HTTP or in-band (a phone stream's start parameters). */
export function tokenMatches(presented: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (presented === undefined) return false;
  // Digests: the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(token).digest());
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}
