// Plain HTTP endpoints beside the voice routes: liveness and readiness for load balancers and orchestrators, metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway/gateway.ts';
import { gatewayMetrics } from './metrics.ts';
import { sendJson, type HttpRoute } from './route-table.ts';

const PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function healthRoutes(gateway: Gateway): HttpRoute {
  return {
    handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
      if (!PATHS.has(url.pathname)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      else answer(gateway, url.pathname, res);
      return true;
    },
  };
}

function answer(gateway: Gateway, path: string, res: ServerResponse): void {
  switch (path) {
    case '/healthz':
      // Alive: the process answers. Says nothing about the model (that is /readyz).
      return sendJson(res, 200, { status: 'ok' });
    case '/readyz': {
      const stats = gateway.stats();
      if (stats.readiness !== 'ready') {
        const retry = stats.readiness === 'loading' ? { 'Retry-After': String(Math.ceil(gateway.config.retryAfterMs / 1000)) } : undefined;
        return sendJson(res, 503, { status: stats.readiness, ...(gateway.failure ? { error: gateway.failure.message } : {}) }, retry);
      }
      return sendJson(res, 200, {
        status: 'ready',
        model: gateway.modelName,
        connections: stats.connections,
        sessions: stats.sessions,
        maxSessions: gateway.config.maxSessions,
      });
    }
    default:
      return sendJson(res, 200, gatewayMetrics(gateway));
  }
}
