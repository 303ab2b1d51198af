// The one HTTP exchange of a WebRTC call, for both SDK transports (fetch exists in browsers and Node 20), and
// what a refusal looks like to the client core: the same fatal error event and close a WebSocket would give.
import { closeCodeFor, encodeServerMessage, type ErrorCode } from '../protocol/index.ts';
import { refusalFromHttp } from './http-refusal.ts';
import type { SocketEvents } from '../socket.ts';
import type { WebRtcOfferResponse, WebRtcSessionOptions } from './webrtc-wire.ts';

export type OfferResult =
  | { ok: true; sdp: string; callId: string | undefined }
  | { ok: false; code: ErrorCode; message: string; httpStatus?: number; retryAfterMs?: number };

export interface PostOfferOptions {
  url: string;
  sdp: string;
  token?: string;
  session?: WebRtcSessionOptions;
  signal?: AbortSignal;
}

/** POSTs the offer; never throws (a network failure is TRANSPORT_FAILED). */
export async function postOffer(opts: PostOfferOptions): Promise<OfferResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (opts.token !== undefined) headers['Authorization'] = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ sdp: opts.sdp, ...(opts.session === undefined ? {} : { session: opts.session }) }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
  } catch (err) {
    return { ok: false, code: 'TRANSPORT_FAILED', message: `could not reach ${opts.url}: ${(err as Error).message}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 201 || res.status === 200) {
    try {
      const body = JSON.parse(text) as Partial<WebRtcOfferResponse>;
      if (typeof body.sdp === 'string') return { ok: true, sdp: body.sdp, callId: typeof body.callId === 'string' ? body.callId : undefined };
    } catch {
      // fall through: not the JSON answer we asked for
    }
    return { ok: false, code: 'TRANSPORT_FAILED', message: `${opts.url} answered ${res.status} without an SDP answer`, httpStatus: res.status };
  }
  return { ok: false, ...refusalFromHttp(res.status, text, res.headers.get('retry-after') ?? undefined), httpStatus: res.status };
}

/** Reports a failed offer as a WebSocket client would see a refused session: a fatal error event, then the close. */
export function reportRefusal(events: SocketEvents, r: Extract<OfferResult, { ok: false }>): void {
  events.onText(encodeServerMessage({ type: 'error', code: r.code, message: r.message, fatal: true, ...(r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs }) }));
  events.onClose(closeCodeFor(r.code), r.message);
}
