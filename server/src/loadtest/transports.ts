// How a synthetic caller reaches the gateway: the client SDK over WebSocket, or over WebRTC through the SDK's
// Node WebRTC transport (client-sdk/src/transports/webrtc-node.ts, werift), or the OpenAI Realtime-compatible
// endpoint through its own client (realtime-caller.ts). The WebRTC side loads only when asked for, so a
// WebSocket run never loads werift, and a build without it refuses WebRTC clearly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type NodeVoiceClientOptions, type VoiceClient, type VoiceClientEvents } from '../../../client-sdk/src/node/index.ts';
import type { ServerMessage, TurnDone, TurnTimings } from '../../../client-sdk/src/protocol/index.ts';
import { PhoneCaller } from './phone-caller.ts';
import { RealtimeCaller } from './realtime-caller.ts';
import type { TransportName } from './records.ts';

export type TransportChoice = TransportName | 'mixed';

/** A server event as a caller sees it: voxgate's, except that a dialect without voxgate's timings leaves them out. */
export type CallerMessage = Exclude<ServerMessage, TurnDone> | (Omit<TurnDone, 'timings'> & { timings?: TurnTimings });
export type CallerEvents = Omit<VoiceClientEvents, 'turn.done'> & { 'turn.done': Omit<TurnDone, 'timings'> & { timings?: TurnTimings } };

/** What a synthetic caller uses of its connection: the SDK's VoiceClient has it; other dialects adapt to it. */
export interface CallerClient {
  readonly session: { readonly limits: { readonly outputLeadMs: number } };
  /** false: no transcript or answer text comes back (a phone line); the caller's turns are then timed, not judged. */
  readonly carriesText?: boolean;
  on<K extends keyof CallerEvents>(type: K, listener: (ev: CallerEvents[K]) => void): () => void;
  /** 16 kHz float32, any length. */
  sendAudio(pcm: Float32Array): void;
  commit(): void;
  end(): Promise<unknown>;
  close(): void;
}

/** Opens one call and resolves once its session has started; rejects with VoiceClientError when refused. */
export type Connector = (transport: TransportName, opts: NodeVoiceClientOptions) => Promise<CallerClient>;

const WEBRTC_MODULE = new URL('../../../client-sdk/src/transports/webrtc-node.ts', import.meta.url);
const WEBRTC_WIRE_MODULE = new URL('../../../client-sdk/src/transports/webrtc-wire.ts', import.meta.url);

export class TransportUnavailable extends Error {
  override name = 'TransportUnavailable';
}

/** The transport of caller `callerId`: `mixed` alternates, WebSocket first. */
export function transportOf(choice: TransportChoice, callerId: number): TransportName {
  if (choice === 'mixed') return callerId % 2 === 0 ? 'ws' : 'webrtc';
  return choice;
}

/** ws://host:port/v1/voice → http://host:port/<offer path> (wss → https): where a WebRTC call posts its offer. */
export function offerUrlFor(voiceUrl: string, offerPath: string): string {
  const u = new URL(voiceUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = offerPath;
  return u.toString();
}

/** A connector for the transports `choice` needs; refuses at once when WebRTC is asked for and absent. */
export async function makeConnector(choice: TransportChoice): Promise<Connector> {
  const webrtc = choice === 'ws' || choice === 'realtime' || choice === 'twilio' ? undefined : await loadWebRtc();
  return (transport, opts) => {
    if (transport === 'ws') return connect(opts);
    if (transport === 'realtime') return RealtimeCaller.connect(opts);
    if (transport === 'twilio') return PhoneCaller.connect(opts);
    if (webrtc === undefined) return Promise.reject(new TransportUnavailable('WebRTC was not loaded'));
    return webrtc(opts);
  };
}

type ConnectWebRtc = (opts: Omit<NodeVoiceClientOptions, 'openSocket' | 'codecs'>) => Promise<VoiceClient>;

async function loadWebRtc(): Promise<(opts: NodeVoiceClientOptions) => Promise<VoiceClient>> {
  const path = fileURLToPath(WEBRTC_MODULE);
  if (!existsSync(path)) {
    throw new TransportUnavailable(`WebRTC callers need the SDK's Node WebRTC transport, and this build has none (${path} is missing): use --transport ws`);
  }
  const mod = (await import(WEBRTC_MODULE.href)) as { connectWebRtc?: unknown };
  const wire = (await import(WEBRTC_WIRE_MODULE.href).catch(() => ({}))) as { WEBRTC_PATH?: unknown };
  if (typeof mod.connectWebRtc !== 'function') throw new TransportUnavailable(`${path} does not export connectWebRtc(options)`);
  const connectWebRtc = mod.connectWebRtc as ConnectWebRtc;
  const offerPath = typeof wire.WEBRTC_PATH === 'string' ? wire.WEBRTC_PATH : '/v1/webrtc';
  // Opus both ways: the media tracks carry nothing else. The SDK's own Node codecs are used.
  return ({ openSocket: _s, codecs: _c, ...opts }) => connectWebRtc({ ...opts, url: offerUrlFor(opts.url, offerPath) });
}
