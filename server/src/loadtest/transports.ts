// How a synthetic caller reaches the gateway: the client SDK over WebSocket, or over WebRTC through the Node
// WebRTC transport of the SDK when this build has it (client-sdk/src/transports/webrtc-node.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, VoiceClient, type NodeVoiceClientOptions } from '../../../client-sdk/src/node/index.ts';
import { nodeCodecs } from '../../../client-sdk/src/node/opus.ts';
import type { SocketFactory } from '../../../client-sdk/src/socket.ts';
import type { TransportName } from './records.ts';

export type TransportChoice = TransportName | 'mixed';

/** Opens one call and resolves once session.started arrived; rejects with VoiceClientError when refused. */
export type Connector = (transport: TransportName, opts: NodeVoiceClientOptions) => Promise<VoiceClient>;

const WEBRTC_MODULE = new URL('../../../client-sdk/src/transports/webrtc-node.ts', import.meta.url);

export class TransportUnavailable extends Error {
  override name = 'TransportUnavailable';
}

/** The transport of caller `callerId`: `mixed` alternates, WebSocket first. */
export function transportOf(choice: TransportChoice, callerId: number): TransportName {
  if (choice === 'mixed') return callerId % 2 === 0 ? 'ws' : 'webrtc';
  return choice;
}

/** A connector for the transports `choice` needs; refuses at once when WebRTC is asked for and absent. */
export async function makeConnector(choice: TransportChoice): Promise<Connector> {
  const webrtc = choice === 'ws' ? undefined : await loadWebRtc();
  return (transport, opts) => {
    if (transport === 'ws') return connect(opts);
    if (webrtc === undefined) return Promise.reject(new TransportUnavailable('WebRTC was not loaded'));
    return webrtc(opts);
  };
}

type WebRtcConnect = (opts: NodeVoiceClientOptions) => Promise<VoiceClient>;

/**
 * The SDK's WebRTC transport, in either shape it may take: a connect function with the WebSocket connect's
 * signature (`connectWebRtc` or `connect`), or a SocketFactory (`openWebRtcSocket`) the client core runs on.
 */
async function loadWebRtc(): Promise<WebRtcConnect> {
  const path = fileURLToPath(WEBRTC_MODULE);
  if (!existsSync(path)) {
    throw new TransportUnavailable(`WebRTC callers need the SDK's Node WebRTC transport, and this build has none (${path} is missing): use --transport ws`);
  }
  const mod = (await import(WEBRTC_MODULE.href)) as Record<string, unknown>;
  const fn = mod['connectWebRtc'] ?? mod['connect'];
  if (typeof fn === 'function') return fn as WebRtcConnect;
  const factory = mod['openWebRtcSocket'];
  if (typeof factory === 'function') {
    return (opts) => VoiceClient.connect({ codecs: nodeCodecs, ...opts, openSocket: factory as SocketFactory });
  }
  throw new TransportUnavailable(`${path} exports none of connectWebRtc, connect, openWebRtcSocket (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
}
