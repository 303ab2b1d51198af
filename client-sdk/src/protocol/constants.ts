// Wire constants of the voxgate voice protocol, version 1. docs/protocol.md is the prose version of this file.

export const PROTOCOL_VERSION = 1;
/** HTTP path of the WebSocket endpoint. */
export const VOICE_PATH = '/v1/voice';

export const MODES = ['speech-to-speech', 'speech-to-text', 'text-to-speech', 'text-to-text'] as const;
export type Mode = (typeof MODES)[number];

export const AUDIO_CODECS = ['opus', 'pcm16'] as const;
export type AudioCodec = (typeof AUDIO_CODECS)[number];

export const SAMPLE_RATES_HZ = [16000, 48000] as const;
export type SampleRateHz = (typeof SAMPLE_RATES_HZ)[number];

/** Every audio frame on the wire, both ways, carries this much audio when it is ours to choose (output, SDK input). */
export const FRAME_MS = 20;

/**
 * First byte of every binary frame. Kinds 0x00–0x7f belong to the protocol: one it does not know is an error.
 * Kinds 0x80–0xff are free for extensions and are ignored by a peer that does not know them.
 */
export const BinaryKind = {
  /** One Opus packet, or little-endian signed 16-bit mono PCM, in the session's negotiated codec. */
  audio: 0x01,
} as const;
export const FIRST_EXTENSION_KIND = 0x80;

/**
 * Output sample rate when session.start leaves it out: the model speaks at 16 kHz, so 16 kHz costs no resampling.
 * For Opus it is only the encoder's rate: a decoder may still decode at 48 kHz for playback.
 */
export function defaultOutputSampleRateHz(_codec: AudioCodec): SampleRateHz {
  return 16000;
}
