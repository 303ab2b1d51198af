// The last few hundred ms of a caller's audio, so a turn the VAD confirms late still gets its first syllable.

export class AudioRing {
  private readonly buf: Float32Array;
  private written = 0;

  constructor(readonly capacitySamples: number) {
    this.buf = new Float32Array(capacitySamples);
  }

  /** Samples written since the start of the stream. */
  get totalSamples(): number {
    return this.written;
  }

  push(pcm: Float32Array): void {
    const cap = this.capacitySamples;
    const src = pcm.length > cap ? pcm.subarray(pcm.length - cap) : pcm;
    const skipped = pcm.length - src.length;
    const at = (this.written + skipped) % cap;
    const first = Math.min(src.length, cap - at);
    this.buf.set(src.subarray(0, first), at);
    this.buf.set(src.subarray(first), 0);
    this.written += pcm.length;
  }

  /** Stream samples [fromSample, totalSamples), clipped to what the ring still holds. */
  since(fromSample: number): Float32Array {
    const cap = this.capacitySamples;
    const from = Math.max(fromSample, this.written - cap, 0);
    const out = new Float32Array(Math.max(0, this.written - from));
    for (let i = 0; i < out.length; i++) out[i] = this.buf[(from + i) % cap] ?? 0;
    return out;
  }
}
