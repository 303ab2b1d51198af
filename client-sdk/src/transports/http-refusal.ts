// What an HTTP refusal means to the client, for both places the gateway can answer with one: a WebRTC offer
// (POST) and a WebSocket upgrade. The gateway's body names the error code ({ error, code, retryAfterMs? },
// docs/errors.md); a refusal without it (a proxy, another server) is named by its status alone.
import { ERROR_CODES, type ErrorCode } from '../protocol/index.ts';

export interface HttpRefusal {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** `retryAfterHeader` is the Retry-After header's value in seconds, used when the body carries no retryAfterMs. */
export function refusalFromHttp(status: number, bodyText: string, retryAfterHeader?: string): HttpRefusal {
  const headerMs = retryAfterMs(retryAfterHeader);
  const fromHeader = headerMs === undefined ? {} : { retryAfterMs: headerMs };
  try {
    const body = JSON.parse(bodyText) as { error?: unknown; code?: unknown; retryAfterMs?: unknown };
    const code = (ERROR_CODES as readonly unknown[]).includes(body.code) ? (body.code as ErrorCode) : undefined;
    if (code !== undefined) {
      const message = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
      return { code, message, ...(typeof body.retryAfterMs === 'number' ? { retryAfterMs: body.retryAfterMs } : fromHeader) };
    }
  } catch {
    // not one of ours: name it by the status
  }
  return { code: codeForStatus(status), message: `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ''}`, ...fromHeader };
}

/** 503 without our body: a balancer or a draining node with nothing to say; trying again (elsewhere) may work. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'UNAUTHORIZED';
  if (status === 503) return 'SHUTTING_DOWN';
  if (status >= 500) return 'INTERNAL';
  if (status === 404) return 'TRANSPORT_FAILED';
  return 'BAD_REQUEST';
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}
