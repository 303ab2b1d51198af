// Plain HTTP endpoints beside the voice routes: liveness and readiness for load balancers and orchestrators, metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway/gateway.ts';
import { gatewayMetrics } from './metrics.ts';
import type { PrometheusMetrics } from './prometheus.ts';
import { sendJson, type HttpRoute } from './route-table.ts';

/** /metrics is Prometheus text; the JSON the load tester differences lives at /metrics.json. */
export const METRICS_JSON_PATH = '/metrics.json';
const PATHS = new Set(['/healthz', '/readyz', '/metrics', METRICS_JSON_PATH]);

export function healthRoutes(gateway: Gateway, prometheus: PrometheusMetrics): HttpRoute {
  return {
    handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
      if (!PATHS.has(url.pathname)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      else if (url.pathname === '/metrics') sendPrometheus(prometheus, res);
      else answer(gateway, url.pathname, res);
      return true;
    },
  };
}

function sendPrometheus(prometheus: PrometheusMetrics, res: ServerResponse): void {
  prometheus.text().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': prometheus.contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      res.end(res.req.method === 'HEAD' ? undefined : text);
    },
    (err: unknown) => sendJson(res, 500, { error: `metrics: ${(err as Error).message}` }),
  );
}

function answer(gateway: Gateway, path: string, res: ServerResponse): void {
  switch (path) {
    case '/healthz':
      // Alive: the process answers. Says nothing about the model (that is /readyz).
      return sendJson(res, 200, { status: 'ok' });
    case '/readyz': {
      const stats = gateway.stats();
      const fleet = gateway.fleet;
      const fleetInfo = fleet === undefined ? {} : { fleet: { node: fleet.nodeId, redis: fleet.redisState, admission: fleet.redisState === 'up' ? 'fleet' : 'local', fleetCalls: fleet.fleetCalls } };
      if (stats.readiness !== 'ready') {
        const retry = stats.readiness === 'loading' ? { 'Retry-After': String(Math.ceil(gateway.config.retryAfterMs / 1000)) } : undefined;
        return sendJson(res, 503, { status: stats.readiness, ...(gateway.failure ? { error: gateway.failure.message } : {}), ...fleetInfo }, retry);
      }
      // Behind a balancer (cluster mode) a full node is not ready: new callers belong on another node.
      if (fleet !== undefined && stats.sessions >= gateway.config.maxSessions) {
        return sendJson(res, 503, { status: 'full', sessions: stats.sessions, maxSessions: gateway.config.maxSessions, ...fleetInfo });
      }
      return sendJson(res, 200, {
        status: 'ready',
        model: gateway.modelName,
        connections: stats.connections,
        sessions: stats.sessions,
        maxSessions: gateway.config.maxSessions,
        ...fleetInfo,
      });
    }
    default:
      return sendJson(res, 200, gatewayMetrics(gateway));
  }
}
