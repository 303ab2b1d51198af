// Adds the browser-facing endpoints to a running voxgate server: POST /v1/webrtc (and DELETE /v1/webrtc/{id})
// and the demo page with its assets, as routes in the server's one route table.
import { silentLogger, type Logger } from '../gateway/log.ts';
import { loadWebRtcConfig, type WebRtcConfig } from '../transport/webrtc-config.ts';
import type { RunningServer } from './server.ts';
import { handleStatic } from './static.ts';
import { WebRtcRoute } from './webrtc-route.ts';

export interface BrowserEndpointsOptions {
  log?: Logger;
  /** Default: from the environment (VOXGATE_ICE_SERVERS, ...), loopback host candidates for a loopback server. */
  webrtc?: WebRtcConfig;
  /** Serve the demo page at / (default true). */
  demo?: boolean;
}

export interface BrowserEndpoints {
  readonly webrtc: WebRtcRoute;
  /** http://host:port/v1/webrtc */
  readonly webrtcUrl: string;
  /** http://host:port/ (the demo page) */
  readonly pageUrl: string;
}

export function attachBrowserEndpoints(server: RunningServer, opts: BrowserEndpointsOptions = {}): BrowserEndpoints {
  const log = opts.log ?? silentLogger;
  const webrtc = new WebRtcRoute({
    gateway: server.gateway,
    config: opts.webrtc ?? loadWebRtcConfig(process.env, server.gateway.config.host),
    log,
  });
  server.routes.addHttp(webrtc);
  if (opts.demo ?? true) server.routes.addHttp({ handle: (req, res) => handleStatic(req, res, log) });
  server.http.once('close', () => webrtc.closeAll());
  return { webrtc, webrtcUrl: `${server.httpUrl}/v1/webrtc`, pageUrl: `${server.httpUrl}/` };
}
