// Composes one listening voxgate server: node http (health, readiness) + the WebSocket transport + the gateway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VOICE_PATH } from '../../../client-sdk/src/protocol/index.ts';
import type { Config } from '../config.ts';
import type { Engine } from '../engine/types.ts';
import type { CallClosedInfo } from '../gateway/call.ts';
import { Gateway } from '../gateway/gateway.ts';
import { silentLogger, type Logger } from '../gateway/log.ts';
import { attachWsTransport } from '../transport/ws.ts';
import { handleHttp } from './routes.ts';

export interface StartServerOptions {
  config: Config;
  engine: Engine | Promise<Engine>;
  log?: Logger;
  onCallClosed?: (info: CallClosedInfo) => void;
}

export interface RunningServer {
  readonly gateway: Gateway;
  readonly http: Server;
  readonly port: number;
  /** ws://host:port/v1/voice */
  readonly voiceUrl: string;
  readonly httpUrl: string;
  /** Graceful stop (see Gateway.shutdown), then the listener closes. Does not close the engine. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const { config } = opts;
  const log = opts.log ?? silentLogger;
  const gateway = new Gateway({ config, engine: opts.engine, log, ...(opts.onCallClosed ? { onCallClosed: opts.onCallClosed } : {}) });
  const http = createServer((req, res) => handleHttp(gateway, req, res));
  // Slow-loris bounds for the plain HTTP side; upgraded sockets are governed by the gateway's own timeouts.
  http.headersTimeout = 10_000;
  http.requestTimeout = 10_000;
  const transport = attachWsTransport(http, {
    path: VOICE_PATH,
    maxMessageBytes: config.maxMessageBytes,
    authToken: config.authToken,
    admit: () => {
      const r = gateway.readiness;
      return r === 'draining' || r === 'closed'
        ? { ok: false, status: 503, reason: 'shutting down', retryAfterS: Math.ceil(config.retryAfterMs / 1000) }
        : { ok: true };
    },
    onConnection: (conn) => gateway.accept(conn),
    onError: (err, conn) => log.debug('websocket error', { callId: conn.id, err: err.message }),
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
    port,
    voiceUrl: `ws://${hostForUrl}:${port}${VOICE_PATH}`,
    httpUrl: `http://${hostForUrl}:${port}`,
    close(graceMs?: number) {
      closing ??= (async () => {
        // Stop accepting TCP connections first; upgrades on kept-alive sockets are refused by admit().
        const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        await gateway.shutdown(graceMs);
        transport.close();
        http.closeAllConnections();
        await listenerClosed;
      })();
      return closing;
    },
  };
}
