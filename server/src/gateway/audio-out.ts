// Engine audio (float32 at the engine's rate) → wire payloads of whole frames in the session's output format:
// resample → 20 ms frames → Opus packets, PCM16 or G.711 bytes. One instance per session: Opus state runs across turns.
import { FRAME_MS, defaultOutputSampleRateHz } from '../../../client-sdk/src/protocol/index.ts';
import { FrameChunker, Resampler, float32ToPcm16Bytes } from '../codec/audio.ts';
import { encodeG711 } from '../codec/g711.ts';
import { OpusFrameEncoder, type OpusEncodeRateHz } from '../codec/opus-encode.ts';
import { GatewayError } from '../errors.ts';
import type { MediaCodec, MediaFormat } from '../transport/media-port.ts';

export type OutputAudioFormat = MediaFormat & { frameMs: number };

/** The output rate when the caller leaves it out: G.711 is 8 kHz by definition; the protocol's codecs have their default. */
export function defaultOutputRateHz(codec: MediaCodec): number {
  return codec === 'pcmu' || codec === 'pcma' ? 8000 : defaultOutputSampleRateHz(codec);
}

export class OutputAudio {
  readonly frameMs = FRAME_MS;
  private readonly chunker: FrameChunker;
  private readonly encode: (frame: Float32Array) => Uint8Array;
  private resampler: Resampler | undefined;

  constructor(readonly format: OutputAudioFormat) {
    this.chunker = FrameChunker.forDuration(format.sampleRateHz, this.frameMs);
    if (format.codec === 'opus') {
      const encoder = new OpusFrameEncoder({ sampleRateHz: opusRate(format.sampleRateHz), frameMs: FRAME_MS });
      this.encode = (frame) => encoder.encode(frame);
    } else if (format.codec === 'pcmu' || format.codec === 'pcma') {
      const law = format.codec;
      this.encode = (frame) => encodeG711(law, frame);
    } else {
      this.encode = float32ToPcm16Bytes;
    }
  }

  /**
   * Whole frames ready to send; a partial frame waits for more audio or end(). Lazy: each frame is encoded
   * when taken, so the first frame of a long chunk can leave before the rest are encoded.
   */
  *push(pcm: Float32Array, sourceRateHz: number): Generator<Uint8Array> {
    if (this.resampler?.fromHz !== sourceRateHz) {
      this.resampler = new Resampler(sourceRateHz, this.format.sampleRateHz);
    }
    for (const frame of this.chunker.push(this.resampler.push(pcm))) yield this.encode(frame);
  }

  /** The end of a turn's audio: the resampler's tail and the last frame, padded with silence. */
  *end(): Generator<Uint8Array> {
    const tail = this.resampler?.flush() ?? new Float32Array(0);
    for (const frame of [...this.chunker.push(tail), ...this.chunker.flush()]) yield this.encode(frame);
  }

  /** Forgets a partial frame (after an interruption) so it cannot leak into the next turn. */
  reset(): void {
    this.chunker.reset();
    this.resampler?.reset();
  }
}

function opusRate(hz: number): OpusEncodeRateHz {
  if (hz === 16000 || hz === 48000) return hz;
  throw new GatewayError('BAD_REQUEST', `Opus output at ${hz} Hz: 16000 or 48000`);
}
