// Opus packet → float32 mono PCM, decoded straight at the rate the caller of this module needs (16 kHz for the
// engine), so no resampler sits on the input path. @evan/opus's decoder: libopus in a native addon (its WASM build
// where the addon cannot load). Not opus-decoder (WASM): each of its decoders instantiates a WASM module with a
// memory of its own, and creating them ran V8's full garbage collection once every three or so (one per call, on
// both sides of a call; docs/loadtest.md, "Opus decoders without a WASM memory each").
import { Decoder } from '@evan/opus';
import { pcm16BytesToFloat32 } from '../../../client-sdk/src/protocol/pcm16.ts';
import { GatewayError } from '../errors.ts';

export type OpusDecodeRateHz = 8000 | 12000 | 16000 | 24000 | 48000;

export class OpusPacketDecoder {
  private constructor(
    private readonly decoder: Decoder,
    readonly sampleRateHz: OpusDecodeRateHz,
  ) {}

  /** The native decoder is released with this object: nothing to free. */
  static create(sampleRateHz: OpusDecodeRateHz): OpusPacketDecoder {
    return new OpusPacketDecoder(new Decoder({ channels: 1, sample_rate: sampleRateHz }), sampleRateHz);
  }

  /** Throws GatewayError INVALID_AUDIO (empty packet) or CODEC_DECODE_FAILED (corrupt packet). */
  decode(packet: Uint8Array): Float32Array {
    // An empty packet would decode to loss concealment: from a caller it can only be a mistake.
    if (packet.byteLength === 0) throw new GatewayError('INVALID_AUDIO', 'empty Opus packet');
    let pcm16: Uint8Array;
    try {
      pcm16 = this.decoder.decode(packet);
    } catch (err) {
      throw new GatewayError('CODEC_DECODE_FAILED', `Opus packet of ${packet.byteLength} bytes: ${(err as Error).message}`);
    }
    if (pcm16.byteLength === 0) throw new GatewayError('CODEC_DECODE_FAILED', `Opus packet of ${packet.byteLength} bytes: no samples`);
    return pcm16BytesToFloat32(pcm16);
  }
}
