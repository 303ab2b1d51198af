// Opus for the SDK in Node: @evan/opus (libopus in a native addon, WASM fallback) both ways. Its decoders need no WASM
// memory each, so a short call costs no full garbage collection (opus-decoder's did, about one per three calls).
import { Decoder, Encoder } from '@evan/opus';
import type { ClientCodecs } from '../codecs.ts';
import { float32ToInt16, pcm16BytesToFloat32 } from '../protocol/pcm16.ts';

export const nodeCodecs: ClientCodecs = {
  createOpusEncoder(sampleRateHz, frameMs) {
    const encoder = new Encoder({ channels: 1, sample_rate: sampleRateHz, application: 'voip' });
    encoder.bitrate = 24000;
    const frameSamples = (sampleRateHz * frameMs) / 1000;
    return {
      encode(frame) {
        if (frame.length !== frameSamples) throw new RangeError(`Opus frame must hold ${frameSamples} samples`);
        return encoder.encode(float32ToInt16(frame));
      },
    };
  },
  async createOpusDecoder(sampleRateHz) {
    const decoder = new Decoder({ channels: 1, sample_rate: sampleRateHz });
    return {
      decode(packet) {
        const pcm16 = decoder.decode(packet);
        if (pcm16.byteLength === 0) throw new Error('Opus decode gave no samples');
        return pcm16BytesToFloat32(pcm16);
      },
    };
  },
};
