// POST /v1/webrtc: an SDP offer in, the SDP answer out, and the call handed to the gateway like a WebSocket one.
//   Content-Type application/sdp  → 201, the bare SDP answer (WHIP clients);
//   Content-Type application/json → 201, {type:'answer', sdp, callId}; body {sdp, session?: {mode, vad, ...}}
//     (session options start the session at once, in parallel with ICE, instead of a session.start later).
// Refusals are HTTP with the protocol's code in a JSON body: 400 BAD_REQUEST, 401 UNAUTHORIZED, 413,
// 415, 503 NOT_READY / SERVER_FULL / SHUTTING_DOWN with Retry-After. DELETE /v1/webrtc/{callId} hangs up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../../client-sdk/src/protocol/index.ts';
import { MAX_OFFER_BYTES, WEBRTC_PATH, type WebRtcOfferRequest, type WebRtcOfferResponse, type WebRtcRefusal } from '../../../client-sdk/src/transports/webrtc-wire.ts';
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Logger } from '../gateway/log.ts';
import { authenticate } from './auth.ts';
import { callerAddress } from './caller-address.ts';
import type { HttpRoute } from './route-table.ts';
import { answerOffer } from '../transport/webrtc.ts';
import type { WebRtcConfig } from '../transport/webrtc-config.ts';
import type { WebRtcConnection } from '../transport/webrtc-connection.ts';
import { sessionStartFromOptions } from '../transport/webrtc-session-start.ts';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNSUPPORTED_VERSION: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  ORIGIN_NOT_ALLOWED: 403,
  MESSAGE_TOO_LARGE: 413,
  NOT_READY: 503,
  SERVER_FULL: 503,
  SHUTTING_DOWN: 503,
};

export interface WebRtcRouteOptions {
  gateway: Gateway;
  config: WebRtcConfig;
  log: Logger;
}

export class WebRtcRoute implements HttpRoute {
  /** Offers being answered: they count against maxSessions before the gateway admits them. */
  private negotiating = 0;
  private readonly live = new Map<string, WebRtcConnection>();

  constructor(private readonly opts: WebRtcRouteOptions) {}

  /** true when the request was for this route (answered or being answered). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname !== WEBRTC_PATH && !url.pathname.startsWith(`${WEBRTC_PATH}/`)) return false;
    this.route(req, res, url).catch((err: unknown) => {
      this.opts.log.error('webrtc route failed', { err: err instanceof Error ? err.stack : String(err) });
      if (!res.headersSent) refuse(res, 'INTERNAL', 'internal error', 500);
      else res.destroy();
    });
    return true;
  }

  get activeCalls(): number {
    return this.live.size;
  }

  /** Hangs up every WebRTC call (the gateway does this too on shutdown; this covers calls it never admitted). */
  closeAll(): void {
    for (const conn of this.live.values()) conn.close(1001, 'server stopping');
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { gateway } = this.opts;
    const auth = authenticate(req, url, gateway.config);
    if (!auth.ok) return refuse(res, auth.code, auth.message, auth.httpStatus);
    if (url.pathname !== WEBRTC_PATH) {
      if (req.method !== 'DELETE') return refuse(res, 'BAD_REQUEST', 'method not allowed', 405, { Allow: 'DELETE' });
      const callId = decodeURIComponent(url.pathname.slice(WEBRTC_PATH.length + 1));
      const conn = this.live.get(callId);
      if (conn === undefined || !conn.isOpen) {
        // Behind a balancer the hang-up may reach another node than the call's: the fleet passes it on.
        const ended = gateway.fleet !== undefined && (await gateway.fleet.endElsewhere(callId));
        return ended ? void res.writeHead(200, { 'Content-Length': 0 }).end() : refuse(res, 'BAD_REQUEST', 'no such call', 404);
      }
      conn.close(1000, 'hung up');
      res.writeHead(200, { 'Content-Length': 0 }).end();
      return;
    }
    if (req.method !== 'POST') return refuse(res, 'BAD_REQUEST', 'method not allowed: POST an SDP offer', 405, { Allow: 'POST' });

    // Refused before a peer connection is spent on the offer; offers still being answered count as calls.
    const who = { ip: callerAddress(req, gateway.config.trustedProxies) };
    const admission = gateway.admission(this.negotiating, who);
    if (!admission.ok) return refuse(res, admission.code, admission.message, undefined, {}, admission.retryAfterMs);
    if (!gateway.mayNegotiate(this.negotiating)) {
      return refuse(res, 'SERVER_FULL', 'too many offers being answered', undefined, {}, gateway.config.retryAfterMs);
    }

    this.negotiating++;
    try {
      const body = await readBody(req, MAX_OFFER_BYTES);
      if (body === undefined) return refuse(res, 'MESSAGE_TOO_LARGE', `offer above ${MAX_OFFER_BYTES} bytes`);
      const request = parseOffer(req.headers['content-type'], body);
      if ('status' in request) return refuse(res, 'BAD_REQUEST', request.message, request.status);
      const start = request.offer.session === undefined ? undefined : sessionStartFromOptions(request.offer.session);
      if (start !== undefined && !start.ok) return refuse(res, start.error.code, start.error.message);

      const { answerSdp, connection } = await answerOffer(request.offer.sdp, {
        config: this.opts.config,
        maxMessageBytes: gateway.config.maxMessageBytes,
        remoteAddress: who.ip,
        log: this.opts.log,
      });
      this.live.set(connection.id, connection);
      connection.onClose(() => this.live.delete(connection.id));
      // Admitted now, not when the channel opens: capacity counts it and the handshake timeout covers ICE.
      gateway.accept(connection, auth.who);
      if (start?.ok) connection.inject(start.start);
      const location = `${WEBRTC_PATH}/${encodeURIComponent(connection.id)}`;
      if (request.json) {
        const payload: WebRtcOfferResponse = { type: 'answer', sdp: answerSdp, callId: connection.id };
        return send(res, 201, 'application/json', JSON.stringify(payload), { Location: location });
      }
      return send(res, 201, 'application/sdp', answerSdp, { Location: location });
    } catch (err) {
      if (err instanceof GatewayError) return refuse(res, err.code, err.message);
      throw err;
    } finally {
      this.negotiating--;
    }
  }
}

type ParsedOffer = { offer: WebRtcOfferRequest; json: boolean } | { status: number; message: string };

function parseOffer(contentType: string | undefined, body: string): ParsedOffer {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/sdp') return { offer: { sdp: body }, json: false };
  if (type !== 'application/json') return { status: 415, message: 'send the offer as application/sdp or application/json {sdp, session?}' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { status: 400, message: 'the body is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null) return { status: 400, message: 'the body must be a JSON object' };
  const { sdp, session } = value as Record<string, unknown>;
  if (typeof sdp !== 'string') return { status: 400, message: 'sdp must be a string' };
  if (session !== undefined && (typeof session !== 'object' || session === null || Array.isArray(session))) {
    return { status: 400, message: 'session must be an object' };
  }
  return { offer: { sdp, ...(session === undefined ? {} : { session: session as WebRtcOfferRequest['session'] & object }) }, json: true };
}

/** The body as UTF-8, or undefined when it passes maxBytes (the rest is not read). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        req.pause();
        return resolve(undefined);
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function refuse(res: ServerResponse, code: ErrorCode, message: string, status?: number, headers: Record<string, string> = {}, retryAfterMs?: number): void {
  const body: WebRtcRefusal = { error: message, code, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const retry: Record<string, string> = retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) };
  send(res, status ?? HTTP_STATUS[code] ?? 500, 'application/json', JSON.stringify(body), { ...headers, ...retry, Connection: 'close' });
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}
