// WebSocket transport: upgrades HTTP requests on a WebSocket route into that route's media port, for the gateway.
// Refusals that need no socket (unknown path, bad token, shutting down) are answered in HTTP before the upgrade.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isAuthorized, presentedToken } from '../http/auth.ts';
import type { MediaPort } from './media-port.ts';
import { WsLink } from './ws-link.ts';

/**
 * Messages above maxMessageBytes get a MESSAGE_TOO_LARGE error and the session goes on; above this multiple
 * the transport stops reading them and closes with 1009, so one message can never cost unbounded memory.
 */
export const HARD_LIMIT_FACTOR = 4;

/** Every holder of the static token is one token for per-token caps. */
const STATIC_TOKEN_KEY = 'static';

export type UpgradeVerdict = { ok: true } | { ok: false; status: number; reason: string; retryAfterS?: number };

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
  open(link: WsLink, req: IncomingMessage, url: URL, auth: { authorized: boolean }): MediaPort;
}

export interface WsTransportOptions {
  /** The route for a path, from the server's one route table. */
  route: (path: string) => WsRoute | undefined;
  maxMessageBytes: number;
  authToken: string | undefined;
  /** Asked before each upgrade: lets the gateway refuse while shutting down. */
  admit: () => UpgradeVerdict;
  /** who: what the token presented names, for per-token caps (undefined without one). */
  onPort: (port: MediaPort, who: { tokenKey?: string }) => void;
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
    if (route === undefined) return refuse(socket, 404, 'not found');
    const authorized = isAuthorized(req, url, opts.authToken);
    if (!authorized && !(route.authInBand === true && presentedToken(req, url) === undefined)) return refuse(socket, 401, 'unauthorized');
    const verdict = opts.admit();
    if (!verdict.ok) return refuse(socket, verdict.status, verdict.reason, verdict.retryAfterS);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const port = route.open(new WsLink(ws, req.socket.remoteAddress ?? 'unknown'), req, url, { authorized });
      ws.on('error', (err) => opts.onError?.(err, port));
      opts.onPort(port, authorized && opts.authToken !== undefined && presentedToken(req, url) !== undefined ? { tokenKey: STATIC_TOKEN_KEY } : {});
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

function refuse(socket: Duplex, status: number, reason: string, retryAfterS?: number): void {
  const body = JSON.stringify({ error: reason });
  const headers = [
    `HTTP/1.1 ${status} ${reason}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(retryAfterS === undefined ? [] : [`Retry-After: ${retryAfterS}`]),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
