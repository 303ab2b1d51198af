// The server's one route table: plain HTTP routes, tried in the order added, and WebSocket routes by exact path.
// The request and upgrade listeners both dispatch through it; a path that is nobody's gets 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WsRoute } from '../transport/ws.ts';

export interface HttpRoute {
  /** true when the request was this route's (answered, or being answered). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

export class RouteTable {
  private readonly http: HttpRoute[] = [];
  private readonly ws = new Map<string, WsRoute>();

  addHttp(route: HttpRoute): void {
    this.http.push(route);
  }

  addWebSocket(route: WsRoute): void {
    if (this.ws.has(route.path)) throw new Error(`two WebSocket routes for ${route.path}`);
    this.ws.set(route.path, route);
  }

  webSocket(path: string): WsRoute | undefined {
    return this.ws.get(path);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const route of this.http) if (route.handle(req, res, url)) return;
    if (this.ws.has(url.pathname)) return sendJson(res, 426, { error: `${url.pathname} is a WebSocket endpoint` }, { Upgrade: 'websocket' });
    sendJson(res, 404, { error: 'not found' });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
