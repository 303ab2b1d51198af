// Cuts a stream of samples into fixed frames (20 ms for Opus). Keeps at most one partial frame between pushes.

export class FrameChunker {
  private pending: Float32Array;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`frameSamples must be > 0, got ${frameSamples}`);
    this.pending = new Float32Array(frameSamples);
  }

  static forDuration(sampleRateHz: number, frameMs: number): FrameChunker {
    return new FrameChunker(Math.round((sampleRateHz * frameMs) / 1000));
  }

  get pendingSamples(): number {
    return this.filled;
  }

  push(samples: Float32Array): Float32Array[] {
    const frames: Float32Array[] = [];
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(this.frameSamples - this.filled, samples.length - offset);
      this.pending.set(samples.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameSamples) {
        frames.push(this.pending);
        this.pending = new Float32Array(this.frameSamples);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** The partial frame padded with silence (a codec needs whole frames), or nothing. */
  flush(): Float32Array[] {
    if (this.filled === 0) return [];
    const frame = this.pending;
    this.pending = new Float32Array(this.frameSamples);
    this.filled = 0;
    return [frame];
  }

  reset(): void {
    this.pending.fill(0);
    this.filled = 0;
  }
}
