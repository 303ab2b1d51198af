// Caller audio → what the engine takes: 16 kHz mono float32. Opus decodes straight to 16 kHz; PCM16 and G.711
// (phone lines, 8 kHz) go through the resampler. decode() is synchronous and throws GatewayError for bad payloads.
import { OpusPacketDecoder } from '../codec/opus-decode.ts';
import { Resampler, pcm16BytesToFloat32 } from '../codec/audio.ts';
import { decodeG711 } from '../codec/g711.ts';
import { GatewayError } from '../errors.ts';
import type { MediaFormat } from '../transport/media-port.ts';

/** The engine's input rate (EngineSession.pushAudio). */
export const ENGINE_INPUT_RATE_HZ = 16000;

/** Telephone band: audio at this rate or below carries nothing above 4 kHz (G.711, 8 kHz PCM). */
const NARROWBAND_MAX_RATE_HZ = 8000;

/** Whether a caller's audio is telephone-band: the engine then scores its voice activity at 8 kHz. */
export function isNarrowband(format: MediaFormat): boolean {
  return format.codec !== 'opus' && format.sampleRateHz <= NARROWBAND_MAX_RATE_HZ;
}

/** Holds nothing to free: a call's end simply drops it. */
export interface InputAudio {
  decode(payload: Uint8Array): Float32Array;
}

export function createInputAudio(format: MediaFormat): InputAudio {
  if (format.codec === 'opus') {
    const decoder = OpusPacketDecoder.create(ENGINE_INPUT_RATE_HZ);
    return { decode: (p) => decoder.decode(p) };
  }
  const resampler = new Resampler(format.sampleRateHz, ENGINE_INPUT_RATE_HZ);
  const codec = format.codec;
  if (codec === 'pcmu' || codec === 'pcma') {
    // G.711: one byte per sample, any length is whole samples.
    return {
      decode(payload) {
        if (payload.byteLength === 0) throw new GatewayError('INVALID_AUDIO', `empty ${codec} frame`);
        return resampler.push(decodeG711(codec, payload));
      },
    };
  }
  return {
    decode(payload) {
      if (payload.byteLength === 0) throw new GatewayError('INVALID_AUDIO', 'empty pcm16 frame');
      if (payload.byteLength % 2 !== 0) {
        throw new GatewayError('INVALID_AUDIO', `pcm16 frame of ${payload.byteLength} bytes: 16-bit samples need an even length`);
      }
      return resampler.push(pcm16BytesToFloat32(payload));
    },
  };
}
