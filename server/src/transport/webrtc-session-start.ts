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
import type { PortSessionStart } from './media-port.ts';

const DEFAULT_OUTPUT_RATE_HZ: SampleRateHz = 16000;

/** The caller's session.start with the transport's media formats in place of whatever it asked for. */
export function withWebRtcMedia(start: PortSessionStart): PortSessionStart {
  const asked = start.output.sampleRateHz;
  const rate = (SAMPLE_RATES_HZ as readonly unknown[]).includes(asked) ? (asked as SampleRateHz) : DEFAULT_OUTPUT_RATE_HZ;
  return { ...start, input: WEBRTC_INPUT_FORMAT, output: { codec: 'opus', sampleRateHz: rate } };
}

/** The session.start that POST session options stand for, checked like one sent on the data channel. */
export function sessionStartFromOptions(opts: WebRtcSessionOptions): { ok: true; start: PortSessionStart } | { ok: false; error: ProtocolViolation } {
  const start = {
    type: 'session.start',
    version: opts.version ?? PROTOCOL_VERSION,
    mode: (opts.mode ?? 'speech-to-speech') as Mode,
    input: WEBRTC_INPUT_FORMAT,
    output: { codec: 'opus', sampleRateHz: opts.outputSampleRateHz ?? DEFAULT_OUTPUT_RATE_HZ },
    ...(opts.vad === undefined ? {} : { vad: opts.vad }),
  } as SessionStart;
  const decoded = decodeClientMessage(encodeClientMessage(start));
  if (!decoded.ok) return { ok: false, error: decoded.error };
  if (decoded.value.type !== 'session.start') throw new Error('a session.start decoded as another message');
  return { ok: true, start: decoded.value };
}
