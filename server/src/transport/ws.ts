// WebSocket transport: upgrades HTTP requests on the voice path into Connections for the gateway.
// Refusals that need no socket (wrong path, bad token, shutting down) are answered in HTTP before the upgrade.
import type { IncomingMessage, Server } from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Connection, InboundMessage } from './connection.ts';

/**
 * Messages above maxMessageBytes get a MESSAGE_TOO_LARGE error and the session goes on; above this multiple
 * the transport stops reading them and closes with 1009, so one message can never cost unbounded memory.
 */
export const HARD_LIMIT_FACTOR = 4;
/** How long a closing peer gets to answer our close frame before its socket is dropped. */
const CLOSE_GRACE_MS = 1_000;

export type UpgradeVerdict = { ok: true } | { ok: false; status: number; reason: string; retryAfterS?: number };

export interface WsTransportOptions {
  path: string;
  maxMessageBytes: number;
  authToken: string | undefined;
  /** Asked before each upgrade: lets the gateway refuse while shutting down. */
  admit: () => UpgradeVerdict;
  onConnection: (conn: Connection) => void;
  onError?: (err: Error, conn: Connection) => void;
}

export interface WsTransport {
  close(): void;
}

export function attachWsTransport(server: Server, opts: WsTransportOptions): WsTransport {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes * HARD_LIMIT_FACTOR,
    // UTF-8 is checked by the gateway, which answers BAD_REQUEST instead of the transport closing with 1007.
    skipUTF8Validation: true,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== opts.path) return refuse(socket, 404, 'not found');
    if (!authorized(req, url, opts.authToken)) return refuse(socket, 401, 'unauthorized');
    const verdict = opts.admit();
    if (!verdict.ok) return refuse(socket, verdict.status, verdict.reason, verdict.retryAfterS);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(ws, req.socket.remoteAddress ?? 'unknown');
      ws.on('error', (err) => opts.onError?.(err, conn));
      opts.onConnection(conn);
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

class WsConnection implements Connection {
  readonly id = randomUUID();
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.once('close', () => clearTimeout(this.closeTimer));
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendText(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    if (this.isOpen) this.ws.send(bytes, { binary: true });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.closeTimer !== undefined) return;
    this.ws.close(code, truncateReason(reason));
    // ws waits 30 s for the peer's close frame; a peer that stopped reading would hold its socket that long.
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  onMessage(listener: (msg: InboundMessage) => void): void {
    this.ws.on('message', (data: RawData, isBinary: boolean) => listener({ binary: isBinary, data: toBytes(data) }));
  }

  onClose(listener: (code: number) => void): void {
    this.ws.once('close', (code: number) => listener(code));
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}

function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization;
  // Browsers cannot set headers on a WebSocket, hence the query parameter.
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
  if (presented === null || presented === undefined) return false;
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
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
