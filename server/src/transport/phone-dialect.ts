// The Twilio family of phone media streams: Twilio Media Streams and its near-copies (Telnyx, Exotel) differ in
// field names, codecs and chunk sizes, not in shape. One table of differences; the port (phone-port.ts) is shared.
import type { MediaFormat } from './media-port.ts';

export const PHONE_DIALECTS = ['twilio', 'telnyx', 'exotel'] as const;
export type PhoneDialectName = (typeof PHONE_DIALECTS)[number];

export interface PhoneDialect {
  name: PhoneDialectName;
  /** The stream id's field, top level in every message both ways. */
  streamIdField: string;
  /** Fields of the start message's `start` object: call id, caller parameters, media format. */
  callIdField: string;
  parametersField: string;
  mediaFormatField: string;
  sampleRateField: string;
  /** Audio per outgoing media message: small chunks play with jitter; Exotel asks for multiples of 100 ms. */
  outChunkMs: number;
}

export const DIALECTS: Readonly<Record<PhoneDialectName, PhoneDialect>> = {
  twilio: {
    name: 'twilio',
    streamIdField: 'streamSid',
    callIdField: 'callSid',
    parametersField: 'customParameters',
    mediaFormatField: 'mediaFormat',
    sampleRateField: 'sampleRate',
    outChunkMs: 60,
  },
  telnyx: {
    name: 'telnyx',
    streamIdField: 'stream_id',
    callIdField: 'call_control_id',
    parametersField: 'custom_parameters',
    mediaFormatField: 'media_format',
    sampleRateField: 'sample_rate',
    outChunkMs: 60,
  },
  exotel: {
    name: 'exotel',
    streamIdField: 'stream_sid',
    callIdField: 'call_sid',
    parametersField: 'custom_parameters',
    mediaFormatField: 'media_format',
    sampleRateField: 'sample_rate',
    outChunkMs: 100,
  },
};

type Json = Record<string, unknown>;

/** The dialect a start message speaks, by its field names; `asked` (a query parameter) wins when given. */
export function detectDialect(start: Json, asked: PhoneDialectName | undefined): PhoneDialect {
  if (asked !== undefined) return DIALECTS[asked];
  if ('streamSid' in start) return DIALECTS.twilio;
  if ('stream_id' in start) return DIALECTS.telnyx;
  if ('stream_sid' in start) return DIALECTS.exotel;
  return DIALECTS.twilio;
}

/**
 * The call's audio format from the start message's media format. Twilio: audio/x-mulaw 8 kHz; Telnyx: PCMU or
 * PCMA; Exotel: 16-bit linear PCM (slin, audio/L16) at 8 or 16 kHz unless it says μ-law. Undefined: not supported.
 */
export function mediaFormatOf(dialect: PhoneDialect, format: Json | undefined): MediaFormat | undefined {
  const encoding = String(format?.['encoding'] ?? '').toLowerCase();
  const rate = Number(format?.[dialect.sampleRateField] ?? 8000);
  if (encoding.includes('mulaw') || encoding.includes('ulaw') || encoding === 'pcmu') return rate === 8000 ? { codec: 'pcmu', sampleRateHz: 8000 } : undefined;
  if (encoding.includes('alaw') || encoding === 'pcma') return rate === 8000 ? { codec: 'pcma', sampleRateHz: 8000 } : undefined;
  if (dialect.name === 'exotel' && (encoding === '' || encoding === 'base64' || encoding.includes('l16') || encoding.includes('slin') || encoding.includes('pcm'))) {
    return rate === 8000 || rate === 16000 ? { codec: 'pcm16', sampleRateHz: rate } : undefined;
  }
  if (encoding === '' && dialect.name === 'twilio') return { codec: 'pcmu', sampleRateHz: 8000 };
  return undefined;
}
