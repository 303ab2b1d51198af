// The unit encoder's windows off the event loop (`voxgate serve`'s default; `--encoder-thread inline` keeps them on it).
// A window is a few ms of onnxruntime (its left context re-read each time), run for every caller speaking, every
// runEveryMs of their speech; inline, each run holds every other caller's next LLM dispatch and audio frame. Here
// windows go to a worker thread with its own session (onnx-thread.ts), in arrival order: they have no playout
// deadline. The inline encoder stays the contract and the offline reference, and serves if the worker dies. At 32
// callers the inline windows were a fifth of the event loop's time (docs/loadtest.md, "Opus decoders without a
// WASM memory each"); at 4–16 callers the two were not separable.
import { OnnxThread } from './onnx-thread.ts';
import { checkUnits, UnitEncoder, UnitEncoderStream, windowHops, type UnitEncoderStreamOptions, type WindowEncoder } from './unit-encoder.ts';

/** Warm-up: one window of context and 400 ms of silence (a session's first run allocates and is several times slower). */
const SEED_SECONDS = 0.4;

export class UnitEncoderThread implements WindowEncoder {
  readonly hopSamples: number;
  readonly leftContextSamples: number;

  private constructor(
    private readonly thread: OnnxThread,
    private readonly inline: UnitEncoder,
  ) {
    this.hopSamples = inline.hopSamples;
    this.leftContextSamples = inline.leftContextSamples;
  }

  static async open(path: string, inline: UnitEncoder, sampleRateHz: number): Promise<UnitEncoderThread> {
    const seedSamples = inline.leftContextSamples + Math.max(inline.hopSamples, Math.round(sampleRateHz * SEED_SECONDS));
    const thread = await OnnxThread.open(path, 'units', [{ pcm: { data: new Float32Array(seedSamples), dims: [1, seedSamples] } }]);
    return new UnitEncoderThread(thread, inline);
  }

  /** Whether windows still run in the worker (false after it failed: then inline). */
  get threaded(): boolean {
    return this.thread.threaded;
  }

  /** Windows waiting or running. */
  get queueDepth(): number {
    return this.thread.queueDepth;
  }

  async encodeWindow(pcm: Float32Array): Promise<number[]> {
    if (!this.threaded) return this.inline.encodeWindow(pcm);
    const hops = windowHops(pcm.length, this);
    if (hops <= 0) return [];
    // Copied to the worker, not moved: the caller may still hold the window (a stream's history is cut from it).
    const { outputs } = await this.thread.run({ pcm: { data: pcm, dims: [1, pcm.length] } });
    return checkUnits(outputs['units']?.data, hops, pcm.length);
  }

  openStream(opts: UnitEncoderStreamOptions = {}): UnitEncoderStream {
    return new UnitEncoderStream(this, opts);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
