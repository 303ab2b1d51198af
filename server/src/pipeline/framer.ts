// Re-frames audio of any chunk size into fixed frames (the VAD's window), keeping the remainder.

export class Framer {
  private buf: Float32Array;
  private fill = 0;

  constructor(readonly frameSamples: number) {
    this.buf = new Float32Array(frameSamples);
  }

  /** Samples waiting for a full frame. */
  get pending(): number {
    return this.fill;
  }

  push(pcm: Float32Array): Float32Array[] {
    const out: Float32Array[] = [];
    let at = 0;
    while (at < pcm.length) {
      const n = Math.min(this.frameSamples - this.fill, pcm.length - at);
      this.buf.set(pcm.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === this.frameSamples) {
        out.push(this.buf);
        this.buf = new Float32Array(this.frameSamples);
        this.fill = 0;
      }
    }
    return out;
  }

  /** The partial frame, as is (shorter than a frame); empty when none. */
  flush(): Float32Array[] {
    if (this.fill === 0) return [];
    const rest = this.buf.slice(0, this.fill);
    this.fill = 0;
    return [rest];
  }
}
