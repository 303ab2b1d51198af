// session.start over WebRTC: the media formats are the transport's, not the client's to choose. Caller audio is
// the RTP track's Opus; answer audio is Opus on our track (encoded at the rate asked, 16 kHz by default: the
// model's rate, no resampling; the RTP clock stays 48 kHz). Everything else is checked by the Call as usual.
import {
  PROTOCOL_VERSION,
  SAMPLE_RATES_HZ,
  decodeClientMessage,
  encodeClientMessage,
  type Mode,
  type ProtocolViolation,
  type SampleRateHz,
  type SessionStart,
} from '../../../client-sdk/src/protocol/index.ts';
import { WEBRTC_INPUT_FORMAT, type WebRtcSessionOptions } from '../../../client-sdk/src/transports/webrtc-wire.ts';

const DEFAULT_OUTPUT_RATE_HZ: SampleRateHz = 16000;

/** The text with its media formats replaced, when it is a session.start object; undefined otherwise. */
export function forceWebRtcMedia(text: string): string | undefined {
  if (!text.includes('session.start')) return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return undefined;
  const obj = msg as Record<string, unknown>;
  if (obj['type'] !== 'session.start') return undefined;
  const output = obj['output'];
  const askedRate = typeof output === 'object' && output !== null ? (output as Record<string, unknown>)['sampleRateHz'] : undefined;
  const rate = (SAMPLE_RATES_HZ as readonly unknown[]).includes(askedRate) ? (askedRate as SampleRateHz) : DEFAULT_OUTPUT_RATE_HZ;
  return JSON.stringify({ ...obj, input: WEBRTC_INPUT_FORMAT, output: { codec: 'opus', sampleRateHz: rate } });
}

/** Outbound check, cheap: encodeServerMessage writes `type` first. */
export function isSessionStarted(text: string): boolean {
  return text.startsWith('{"type":"session.started"');
}

/** The session.start that POST session options stand for, checked like one sent on the data channel. */
export function sessionStartFromOptions(opts: WebRtcSessionOptions): { ok: true; text: string } | { ok: false; error: ProtocolViolation } {
  const start = {
    type: 'session.start',
    version: opts.version ?? PROTOCOL_VERSION,
    mode: (opts.mode ?? 'speech-to-speech') as Mode,
    input: WEBRTC_INPUT_FORMAT,
    output: { codec: 'opus', sampleRateHz: opts.outputSampleRateHz ?? DEFAULT_OUTPUT_RATE_HZ },
    ...(opts.vad === undefined ? {} : { vad: opts.vad }),
  } as SessionStart;
  const text = encodeClientMessage(start);
  const decoded = decodeClientMessage(text);
  return decoded.ok ? { ok: true, text } : { ok: false, error: decoded.error };
}
