// Plain HTTP endpoints beside the WebSocket: liveness and readiness for load balancers and orchestrators.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VOICE_PATH } from '../../../client-sdk/src/protocol/index.ts';
import type { Gateway } from '../gateway/gateway.ts';
import { gatewayMetrics } from './metrics.ts';

export function handleHttp(gateway: Gateway, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
  switch (path) {
    case '/healthz':
      // Alive: the process answers. Says nothing about the model (that is /readyz).
      return json(res, 200, { status: 'ok' });
    case '/readyz': {
      const stats = gateway.stats();
      if (stats.readiness !== 'ready') {
        const retry = stats.readiness === 'loading' ? { 'Retry-After': String(Math.ceil(gateway.config.retryAfterMs / 1000)) } : undefined;
        return json(res, 503, { status: stats.readiness, ...(gateway.failure ? { error: gateway.failure.message } : {}) }, retry);
      }
      return json(res, 200, {
        status: 'ready',
        model: gateway.modelName,
        connections: stats.connections,
        sessions: stats.sessions,
        maxSessions: gateway.config.maxSessions,
      });
    }
    case '/metrics':
      return json(res, 200, gatewayMetrics(gateway));
    case VOICE_PATH:
      return json(res, 426, { error: `${VOICE_PATH} is a WebSocket endpoint` }, { Upgrade: 'websocket' });
    default:
      return json(res, 404, { error: 'not found' });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
