// What the WebRTC flavour of protocol v1 adds to the WebSocket one (docs/webrtc.md). The server and both SDK
// transports import these, so the signalling path, the media formats and the close message have one spelling.
import type { InputFormat, SampleRateHz } from '../protocol/index.ts';

/** HTTP path that takes an SDP offer (POST) and answers with the SDP answer: WHIP-style signalling. */
export const WEBRTC_PATH = '/v1/webrtc';
/** Label of the data channel that carries the protocol's JSON messages (and any binary frames but audio). */
export const DATA_CHANNEL_LABEL = 'voxgate';

/** Caller audio rides the RTP track as Opus; the RTP clock of Opus is always 48 kHz (RFC 7587). */
export const WEBRTC_INPUT_FORMAT: InputFormat = { codec: 'opus', sampleRateHz: 48000 };
export const OPUS_RTP_CLOCK_HZ = 48000;

/** Largest SDP offer the server reads. A browser's offer is 3–6 KB. */
export const MAX_OFFER_BYTES = 64 * 1024;

/**
 * A data channel has no close code, so the server sends this as its last message before closing the peer
 * connection: the same code a WebSocket close frame would carry. Unknown to a plain protocol client, hence ignored.
 */
export interface ConnectionClose {
  type: 'connection.close';
  code: number;
  reason: string;
}

export function encodeConnectionClose(code: number, reason: string): string {
  return JSON.stringify({ type: 'connection.close', code, reason } satisfies ConnectionClose);
}

/** The close message, or undefined for any other text (checked cheaply before parsing). */
export function parseConnectionClose(text: string): ConnectionClose | undefined {
  if (!text.startsWith('{"type":"connection.close"')) return undefined;
  try {
    const v = JSON.parse(text) as Partial<ConnectionClose>;
    return typeof v.code === 'number' && typeof v.reason === 'string' ? { type: 'connection.close', code: v.code, reason: v.reason } : undefined;
  } catch {
    return undefined;
  }
}

/** Session options a client may put in the POST body instead of sending session.start on the data channel. */
export interface WebRtcSessionOptions {
  version?: number;
  mode?: string;
  vad?: boolean;
  /** The Opus encoder's rate for the answer; the RTP clock stays 48 kHz. Default 16000 (the model's rate). */
  outputSampleRateHz?: SampleRateHz;
}

/** JSON body of POST /v1/webrtc (the alternative to a bare application/sdp body). */
export interface WebRtcOfferRequest {
  sdp: string;
  session?: WebRtcSessionOptions;
}

/** JSON answer to a JSON request; an application/sdp request gets the bare SDP. */
export interface WebRtcOfferResponse {
  type: 'answer';
  sdp: string;
  callId: string;
}

/** Body of a refused POST (4xx/5xx), with the protocol's error code. */
export interface WebRtcRefusal {
  error: string;
  code: string;
  retryAfterMs?: number;
}
