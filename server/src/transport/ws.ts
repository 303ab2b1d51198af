// WebSocket transport: upgrades HTTP requests on a WebSocket route into that route's media port, for the gateway.
// Refusals that need no socket (unknown path, bad token, shutting down) are answered in HTTP before the upgrade.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { callerAddress } from '../http/caller-address.ts';
import { authenticate, presentedToken, type AuthPolicy, type AuthVerdict, type TokenIdentity } from '../http/auth.ts';
import type { MediaPort } from './media-port.ts';
import { WsLink } from './ws-link.ts';

/**
 * Messages above maxMessageBytes get a MESSAGE_TOO_LARGE error and the session goes on; above this multiple
 * the transport stops reading them and closes with 1009, so one message can never cost unbounded memory.
 */
export const HARD_LIMIT_FACTOR = 4;


export type UpgradeVerdict = { ok: true } | { ok: false; status: number; reason: string; code?: string; retryAfterS?: number };

/** One WebSocket endpoint: its path, the subprotocol it answers with, and the port its dialect speaks. */
export interface WsRoute {
  path: string;
  /**
   * The dialect can carry the token in its own first message (a phone provider that sends no headers and may drop
   * query strings): an upgrade that presents no token is let through, and the port checks the token in-band.
   * A token presented and wrong is still refused here.
   */
  authInBand?: boolean;
  /** The subprotocol to select from those offered; undefined selects none. */
  selectProtocol?: (offered: readonly string[]) => string | undefined;
  open(link: WsLink, req: IncomingMessage, url: URL, auth: AuthVerdict): MediaPort;
}

export interface WsTransportOptions {
  /** The route for a path, from the server's one route table. */
  route: (path: string) => WsRoute | undefined;
  maxMessageBytes: number;
  auth: AuthPolicy;
  /** Balancers whose X-Forwarded-For names the caller. */
  trustedProxies?: readonly string[] | undefined;
  /** Asked before each upgrade: lets the gateway refuse while shutting down. */
  admit: () => UpgradeVerdict;
  /** who: what the token presented names, for per-token caps (nothing without one). */
  onPort: (port: MediaPort, who: TokenIdentity) => void;
  onError?: (err: Error, port: MediaPort) => void;
}

export interface WsTransport {
  close(): void;
}

export function attachWsTransport(server: Server, opts: WsTransportOptions): WsTransport {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes * HARD_LIMIT_FACTOR,
    // UTF-8 is checked by the ports, which answer BAD_REQUEST instead of the transport closing with 1007.
    skipUTF8Validation: true,
    perMessageDeflate: false,
    clientTracking: false,
    // Each route picks its subprotocol; ws asks here with the offered set.
    handleProtocols: (offered, req) => {
      const route = opts.route(new URL(req.url ?? '/', 'http://localhost').pathname);
      return route?.selectProtocol?.([...offered]) ?? false;
    },
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = opts.route(url.pathname);
    if (route === undefined) return refuse(socket, 404, 'not found', 'BAD_REQUEST');
    const auth = authenticate(req, url, opts.auth);
    // A dialect that carries its token in-band is let through without one; a wrong one, or a wrong origin, never.
    const inBand = !auth.ok && auth.code === 'UNAUTHORIZED' && route.authInBand === true && presentedToken(req, url) === undefined;
    if (!auth.ok && !inBand) return refuse(socket, auth.httpStatus, auth.message, auth.code);
    const verdict = opts.admit();
    if (!verdict.ok) return refuse(socket, verdict.status, verdict.reason, verdict.code, verdict.retryAfterS);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const port = route.open(new WsLink(ws, callerAddress(req, opts.trustedProxies)), req, url, auth);
      ws.on('error', (err) => opts.onError?.(err, port));
      opts.onPort(port, auth.ok ? auth.who : {});
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    close() {
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}

/** An HTTP refusal before the upgrade; the body names the error code (docs/errors.md). */
function refuse(socket: Duplex, status: number, reason: string, code?: string, retryAfterS?: number): void {
  const body = JSON.stringify({ error: reason, ...(code === undefined ? {} : { code }) });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(retryAfterS === undefined ? [] : [`Retry-After: ${retryAfterS}`]),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };
