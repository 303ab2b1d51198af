// Opus packet → float32 mono PCM, decoded straight at the rate the caller of this module needs (16 kHz for the
// engine), so no resampler sits on the input path. Creation is async (WASM); decode() is synchronous.
import { OpusDecoder } from 'opus-decoder';
import { GatewayError } from '../errors.ts';

export type OpusDecodeRateHz = 8000 | 12000 | 16000 | 24000 | 48000;

export class OpusPacketDecoder {
  private constructor(
    private readonly decoder: OpusDecoder<OpusDecodeRateHz>,
    readonly sampleRateHz: OpusDecodeRateHz,
  ) {}

  static async create(sampleRateHz: OpusDecodeRateHz): Promise<OpusPacketDecoder> {
    const decoder = new OpusDecoder({ sampleRate: sampleRateHz, channels: 1 });
    await decoder.ready;
    return new OpusPacketDecoder(decoder, sampleRateHz);
  }

  /** Throws GatewayError INVALID_AUDIO (empty packet) or CODEC_DECODE_FAILED (corrupt packet). */
  decode(packet: Uint8Array): Float32Array {
    // An empty packet would decode to 120 ms of loss concealment: from a caller it can only be a mistake.
    if (packet.byteLength === 0) throw new GatewayError('INVALID_AUDIO', 'empty Opus packet');
    const result = quietly(() => this.decoder.decodeFrame(packet));
    const first = result.errors[0];
    if (result.samplesDecoded === 0 || first !== undefined) {
      throw new GatewayError('CODEC_DECODE_FAILED', `Opus packet of ${packet.byteLength} bytes: ${first?.message ?? 'no samples'}`);
    }
    return result.channelData[0] ?? new Float32Array(0);
  }

  free(): void {
    this.decoder.free();
  }
}

// opus-decoder prints every corrupt packet with console.error; a caller sending garbage must not flood the log.
// decodeFrame is synchronous, so no other code can run while console.error is swapped.
function quietly<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => {};
  try {
    return fn();
  } finally {
    console.error = original;
  }
}
