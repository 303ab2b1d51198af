// Opus for the SDK, injected: Node uses native/WASM packages (node/opus.ts), a browser can use WebCodecs.
import type { SampleRateHz } from './protocol/index.ts';

export interface OpusEncoderLike {
  /** One frame of float32 mono samples in [-1, 1] → one Opus packet. */
  encode(frame: Float32Array): Uint8Array;
}

export interface OpusDecoderLike {
  /** One Opus packet → float32 mono samples; throws on a corrupt packet. */
  decode(packet: Uint8Array): Float32Array;
  free?(): void;
}

export interface ClientCodecs {
  createOpusEncoder(sampleRateHz: SampleRateHz, frameMs: number): OpusEncoderLike;
  createOpusDecoder(sampleRateHz: SampleRateHz): Promise<OpusDecoderLike>;
}
