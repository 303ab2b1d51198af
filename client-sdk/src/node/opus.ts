// Opus for the SDK in Node: @evan/opus (native, WASM fallback) encodes, opus-decoder (WASM) decodes.
import { Encoder } from '@evan/opus';
import type { ClientCodecs } from '../codecs.ts';
import { float32ToInt16 } from '../protocol/pcm16.ts';

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
    // Loaded on first use: it is half of this entry's import time, and calls in pcm16 never need it.
    const { OpusDecoder } = await import('opus-decoder');
    const decoder = new OpusDecoder({ sampleRate: sampleRateHz, channels: 1 });
    await decoder.ready;
    return {
      decode(packet) {
        const r = decoder.decodeFrame(packet);
        if (r.samplesDecoded === 0 || r.errors.length > 0) throw new Error(r.errors[0]?.message ?? 'Opus decode failed');
        return r.channelData[0] ?? new Float32Array(0);
      },
      free: () => decoder.free(),
    };
  },
};
