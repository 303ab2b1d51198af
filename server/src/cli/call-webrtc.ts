// `voxgate call --transport webrtc`: the call command's connect, over WebRTC (werift) instead of a WebSocket.
// Same options and result; audio is Opus both ways whatever --codec says (the media tracks carry Opus only).
import { connectWebRtc, type NodeWebRtcOptions } from '../../../client-sdk/src/transports/webrtc-node.ts';
import type { NodeVoiceClientOptions } from '../../../client-sdk/src/node/index.ts';
import type { VoiceClient } from '../../../client-sdk/src/node/index.ts';
import { WEBRTC_PATH } from '../../../client-sdk/src/transports/webrtc-wire.ts';
import { UsageError } from './args.ts';

export const DEFAULT_WEBRTC_URL = `http://127.0.0.1:8080${WEBRTC_PATH}`;

/** Drop-in for node/index.ts connect(): takes the same options and an http(s) URL of the WebRTC endpoint. */
export function connectOverWebRtc(opts: NodeVoiceClientOptions, webrtc: NodeWebRtcOptions = {}): Promise<VoiceClient> {
  const url = opts.url.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/v1\/voice$/, WEBRTC_PATH);
  return connectWebRtc({ ...opts, url, webrtc });
}

/** The transport a `call` URL or flag names: ws(s):// is a WebSocket, http(s):// the WebRTC endpoint. */
export function transportFor(url: string | undefined, flag: string | undefined): 'ws' | 'webrtc' | 'twilio' | 'realtime' {
  if (flag === 'webrtc' || flag === 'ws' || flag === 'twilio' || flag === 'realtime') return flag;
  if (flag !== undefined) throw new UsageError(`--transport must be ws, webrtc, twilio or realtime, got "${flag}"`);
  return url !== undefined && /^https?:\/\//.test(url) ? 'webrtc' : 'ws';
}
