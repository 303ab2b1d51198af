// Signed, expiring tokens: `vg1.<claims>.<signature>`, the claims base64url JSON (subject, expiry, optional
// session cap), the signature HMAC-SHA256 under the operator's secret over `vg1.<claims>`. The gateway checks
// them without a database; whoever holds the secret mints them (`voxgate token`).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNED_TOKEN_PREFIX = 'vg1.';
/** Shorter secrets are refused: HMAC-SHA256 is only as strong as its key. */
export const MIN_SECRET_LENGTH = 32;

export interface TokenClaims {
  /** Who the token is for: the per-token session cap counts by it. */
  sub: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Sessions this token may hold at once (the gateway's own cap still applies). */
  maxSessions?: number;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired'; message: string };

export interface MintOptions {
  secret: string;
  ttlS: number;
  sub?: string;
  maxSessions?: number;
  nowMs?: number;
}

export function mintToken(opts: MintOptions): string {
  if (opts.secret.length < MIN_SECRET_LENGTH) throw new RangeError(`the secret must have at least ${MIN_SECRET_LENGTH} characters`);
  if (!(opts.ttlS > 0)) throw new RangeError('ttl must be positive');
  const claims: TokenClaims = {
    sub: opts.sub ?? 'anonymous',
    exp: Math.floor((opts.nowMs ?? Date.now()) / 1000 + opts.ttlS),
    ...(opts.maxSessions === undefined ? {} : { maxSessions: opts.maxSessions }),
  };
  const body = SIGNED_TOKEN_PREFIX + Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${sign(body, opts.secret)}`;
}

export function isSignedToken(token: string): boolean {
  return token.startsWith(SIGNED_TOKEN_PREFIX);
}

/** The signature first, so nothing is read from an unsigned token; then the claims' shape; then the expiry. */
export function verifyToken(token: string, secret: string, nowMs = Date.now()): TokenCheck {
  const dot = token.lastIndexOf('.');
  if (!isSignedToken(token) || dot <= SIGNED_TOKEN_PREFIX.length) return { ok: false, reason: 'malformed', message: 'not a voxgate signed token' };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(body, secret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature', message: 'the token signature does not match' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body.slice(SIGNED_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', message: 'the token claims are not JSON' };
  }
  if (!isClaims(claims)) return { ok: false, reason: 'malformed', message: 'the token claims need sub (string), exp (seconds) and an optional maxSessions' };
  if (claims.exp * 1000 <= nowMs) return { ok: false, reason: 'expired', message: `the token expired at ${new Date(claims.exp * 1000).toISOString()}` };
  return { ok: true, claims };
}

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function isClaims(v: unknown): v is TokenClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  const max = c['maxSessions'];
  return typeof c['sub'] === 'string' && Number.isInteger(c['exp']) && (max === undefined || (Number.isInteger(max) && (max as number) > 0));
}
