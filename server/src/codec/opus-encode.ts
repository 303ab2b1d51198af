// Float32 frames → Opus packets with @evan/opus (native, WASM fallback). One encoder per output stream:
// Opus is stateful, so frames of one stream must go through the same encoder in order.
import { Encoder } from '@evan/opus';
import { float32ToInt16 } from '../../../client-sdk/src/protocol/pcm16.ts';

export type OpusEncodeRateHz = 16000 | 48000;

export interface OpusEncoderOptions {
  sampleRateHz: OpusEncodeRateHz;
  frameMs?: 10 | 20 | 40 | 60;
  /** Bits per second; the default suits wideband speech. */
  bitrate?: number;
}

export class OpusFrameEncoder {
  readonly sampleRateHz: OpusEncodeRateHz;
  readonly frameMs: number;
  readonly frameSamples: number;
  private readonly encoder: Encoder;

  constructor(opts: OpusEncoderOptions) {
    this.sampleRateHz = opts.sampleRateHz;
    this.frameMs = opts.frameMs ?? 20;
    this.frameSamples = (this.sampleRateHz * this.frameMs) / 1000;
    this.encoder = new Encoder({ channels: 1, sample_rate: this.sampleRateHz, application: 'voip' });
    this.encoder.bitrate = opts.bitrate ?? 24000;
  }

  /** frame must hold exactly frameSamples samples in [-1, 1]. */
  encode(frame: Float32Array): Uint8Array {
    if (frame.length !== this.frameSamples) {
      throw new RangeError(`Opus frame must hold ${this.frameSamples} samples, got ${frame.length}`);
    }
    return this.encoder.encode(float32ToInt16(frame));
  }

  reset(): void {
    this.encoder.reset();
  }
}
