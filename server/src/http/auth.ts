// The one auth check, for every route and transport. A token may come as `Authorization: Bearer`, as `?token=`
// (browsers cannot set headers on a WebSocket), as the WebSocket subprotocol `openai-insecure-api-key.<token>`
// (how browser clients of the OpenAI Realtime API present a key), or in-band (a phone stream's start parameters).
// Two modes, either or both: a static shared token (the simple mode), and signed expiring tokens under a secret.
// Browsers' Origin is checked against an allow-list when one is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isSignedToken, verifyToken } from '../auth/signed-token.ts';
import type { Config } from '../config.ts';
import type { ErrorCode } from '../errors.ts';

const KEY_SUBPROTOCOL = 'openai-insecure-api-key.';
/** Every holder of the static token is one token for per-token caps. */
const STATIC_TOKEN_KEY = 'static';

export type AuthPolicy = Pick<Config, 'authToken' | 'authSecret' | 'allowedOrigins'>;

/** Who the caller is for admission: what its token names, and the token's own session cap. */
export interface TokenIdentity {
  tokenKey?: string;
  tokenMaxSessions?: number;
}

export type AuthRefusalCode = Extract<ErrorCode, 'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'ORIGIN_NOT_ALLOWED'>;

export type AuthVerdict = { ok: true; who: TokenIdentity } | { ok: false; code: AuthRefusalCode; message: string; httpStatus: number };

export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  for (const p of offeredSubprotocols(req)) if (p.startsWith(KEY_SUBPROTOCOL)) return p.slice(KEY_SUBPROTOCOL.length);
  return undefined;
}

/** An HTTP request or upgrade: its Origin, then its token. */
export function authenticate(req: IncomingMessage, url: URL, policy: AuthPolicy): AuthVerdict {
  const origin = req.headers.origin;
  if (origin !== undefined && policy.allowedOrigins !== undefined && !policy.allowedOrigins.includes(origin)) {
    return { ok: false, code: 'ORIGIN_NOT_ALLOWED', message: `origin ${origin} is not allowed`, httpStatus: 403 };
  }
  return checkToken(presentedToken(req, url), policy);
}

/** The token check behind every route, in HTTP or in-band. */
export function checkToken(presented: string | undefined, policy: AuthPolicy): AuthVerdict {
  const { authToken, authSecret } = policy;
  if (authToken === undefined && authSecret === undefined) return { ok: true, who: {} };
  if (presented === undefined) return { ok: false, code: 'UNAUTHORIZED', message: 'missing token', httpStatus: 401 };
  if (authSecret !== undefined && isSignedToken(presented)) {
    const check = verifyToken(presented, authSecret);
    if (!check.ok) return { ok: false, code: check.reason === 'expired' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID', message: check.message, httpStatus: 401 };
    const { sub, maxSessions } = check.claims;
    return { ok: true, who: { tokenKey: `sub:${sub}`, ...(maxSessions === undefined ? {} : { tokenMaxSessions: maxSessions }) } };
  }
  if (authToken !== undefined && sameSecret(presented, authToken)) return { ok: true, who: { tokenKey: STATIC_TOKEN_KEY } };
  return { ok: false, code: 'UNAUTHORIZED', message: 'wrong token', httpStatus: 401 };
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Digests: the comparison takes the same time whatever the lengths. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
