// Composes one listening voxgate server: node http, the one route table (health, readiness, the WebSocket voice
// routes; browser endpoints add theirs), the WebSocket transport and the gateway.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { VOICE_PATH } from '../../../client-sdk/src/protocol/index.ts';
import type { Config } from '../config.ts';
import type { Engine } from '../engine/types.ts';
import type { CallClosedInfo } from '../gateway/call.ts';
import { Gateway, type FleetGate } from '../gateway/gateway.ts';
import { silentLogger, type Logger } from '../gateway/log.ts';
import { PHONE_PATH, PhonePort } from '../transport/phone-port.ts';
import { REALTIME_PATH, RealtimePort } from '../transport/realtime-port.ts';
import { VoxgateWsPort } from '../transport/voxgate-ws-port.ts';
import { attachWsTransport } from '../transport/ws.ts';
import { checkToken, offeredSubprotocols } from './auth.ts';
import { RouteTable } from './route-table.ts';
import { PrometheusMetrics, type FleetGauges } from './prometheus.ts';
import { healthRoutes } from './routes.ts';

export interface StartServerOptions {
  config: Config;
  engine: Engine | Promise<Engine>;
  log?: Logger;
  onCallClosed?: (info: CallClosedInfo) => void;
  /** Cluster mode (voxgate serve --redis): fleet caps, readiness that says full, full nodes refusing before the upgrade. */
  fleet?: FleetGate & FleetGauges;
}

export interface RunningServer {
  readonly gateway: Gateway;
  /** The listener: node http, or https when the config names a certificate. */
  readonly http: Server | TlsServer;
  /** The one route table: other endpoints (WebRTC, the demo page) are added here. */
  readonly routes: RouteTable;
  readonly port: number;
  /** ws://host:port/v1/voice */
  readonly voiceUrl: string;
  /** ws://host:port/v1/twilio: phone media streams (Twilio, Telnyx, Exotel) */
  readonly phoneUrl: string;
  /** ws://host:port/v1/realtime: the OpenAI Realtime-compatible endpoint (an OpenAI client's baseURL is httpUrl + /v1) */
  readonly realtimeUrl: string;
  readonly httpUrl: string;
  /** Graceful stop (see Gateway.shutdown), then the listener closes. Does not close the engine. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? silentLogger;
  void Promise.resolve(opts.engine).then(
    (e) => {
      e.onSessionReleased?.((ms) => prometheus.sessionReleased(ms));
    },
    () => {},
  );
  // The metrics read the gateway when scraped, after it exists.
  const prometheus = new PrometheusMetrics(() => gateway, {
    llmSequencesInUse: () => gateway.engineGauges()?.llmSequencesInUse,
    vocoderQueueDepth: () => gateway.engineGauges()?.vocoderQueueDepth,
    llmBatches: () => gateway.engineGauges()?.llmBatches ?? null,
  }, opts.fleet);
  const gateway: Gateway = new Gateway({
    config,
    engine: opts.engine,
    log,
    observer: prometheus,
    ...(opts.onCallClosed ? { onCallClosed: opts.onCallClosed } : {}),
    ...(opts.fleet ? { fleet: opts.fleet } : {}),
  });
  const routes = new RouteTable();
  routes.addHttp(healthRoutes(gateway, prometheus));
  routes.addWebSocket({ path: VOICE_PATH, open: (link) => new VoxgateWsPort(link) });
  routes.addWebSocket({
    path: PHONE_PATH,
    authInBand: true,
    open: (link, _req, url, auth) =>
      new PhonePort(link, { askedDialect: url.searchParams.get('dialect'), log, ...(auth.ok ? {} : { checkToken: (token) => checkToken(token, config) }) }),
  });
  routes.addWebSocket({
    path: REALTIME_PATH,
    // Browser clients of the Realtime API offer `realtime` (and their key as a subprotocol): it must be echoed.
    selectProtocol: (offered) => (offered.includes('realtime') ? 'realtime' : undefined),
    open: (link, req, url) =>
      new RealtimePort(link, {
        beta: /realtime=v1/.test(String(req.headers['openai-beta'] ?? '')) || offeredSubprotocols(req).includes('openai-beta.realtime-v1'),
        model: url.searchParams.get('model') ?? 'voxgate',
        defaultSilenceMs: config.endOfSpeechSilenceMs,
        log,
      }),
  });
  const handler = (req: IncomingMessage, res: ServerResponse): void => routes.handleRequest(req, res);
  const { tlsCert, tlsKey } = config;
  const tls = tlsCert !== undefined && tlsKey !== undefined;
  const http = tls ? createTlsServer(readTlsFiles(tlsCert, tlsKey), handler) : createServer(handler);
  // Slow-loris bounds for the plain HTTP side; upgraded sockets are governed by the gateway's own timeouts.
  http.headersTimeout = 10_000;
  http.requestTimeout = 10_000;
  const transport = attachWsTransport(http, {
    route: (path) => routes.webSocket(path),
    maxMessageBytes: config.maxMessageBytes,
    auth: config,
    trustedProxies: config.trustedProxies,
    admit: () => {
      // Only a draining server refuses before the upgrade; the other refusals go in-band, in the dialect's words.
      // In cluster mode a full node refuses before the upgrade too: a balancer then passes the caller to the next.
      const verdict = gateway.admission();
      const refuseHere = !verdict.ok && (verdict.code === 'SHUTTING_DOWN' || (opts.fleet !== undefined && verdict.code === 'SERVER_FULL'));
      return !refuseHere
        ? { ok: true }
        : { ok: false, status: 503, reason: verdict.code === 'SHUTTING_DOWN' ? 'shutting down' : verdict.message, code: verdict.code, retryAfterS: Math.ceil(config.retryAfterMs / 1000) };
    },
    onPort: (port, who) => gateway.accept(port, who),
    onError: (err, port) => log.debug('websocket error', { callId: port.id, dialect: port.dialect, err: err.message }),
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  return {
    gateway,
    http,
    routes,
    port,
    voiceUrl: `${tls ? 'wss' : 'ws'}://${hostForUrl}:${port}${VOICE_PATH}`,
    phoneUrl: `${tls ? 'wss' : 'ws'}://${hostForUrl}:${port}${PHONE_PATH}`,
    realtimeUrl: `${tls ? 'wss' : 'ws'}://${hostForUrl}:${port}${REALTIME_PATH}`,
    httpUrl: `${tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
    close(graceMs?: number) {
      closing ??= (async () => {
        // The listener stays up while answers drain: new calls get SHUTTING_DOWN (HTTP 503 with Retry-After, or
        // in-band) and /readyz says draining, so callers and load balancers learn why instead of a reset.
        await gateway.shutdown(graceMs);
        const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        transport.close();
        http.closeAllConnections();
        await listenerClosed;
      })();
      return closing;
    },
  };
}

function readTlsFiles(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(certPath), key: readFileSync(keyPath) };
  } catch (err) {
    throw new Error(`TLS: cannot read the certificate or key (--tls-cert ${certPath}, --tls-key ${keyPath}): ${(err as Error).message}`, { cause: err });
  }
}
