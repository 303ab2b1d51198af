// Which units of an answer produced which stretch of its audio: barge-in asks the session's Playout how many ms
// the caller heard and keeps in the conversation only the units behind them.

export class AudioUnitMap {
  private samples = 0;
  private unitsFed = 0;
  /** After each chunk: samples emitted so far and units fed to the vocoder by then. */
  private readonly marks: { samples: number; units: number }[] = [];

  constructor(private readonly sampleRateHz: number) {}

  get started(): boolean {
    return this.samples > 0;
  }

  get audioMs(): number {
    return (this.samples * 1000) / this.sampleRateHz;
  }

  /** Units handed to the vocoder (before the chunks they produce). */
  unitsIn(n: number): void {
    this.unitsFed += n;
  }

  /** Units handed to the vocoder so far. */
  get fed(): number {
    return this.unitsFed;
  }

  /** A chunk went out; `unitsFed`: units fed when it was vocoded (a chunk held before playout started goes out later). */
  chunkOut(samples: number, unitsFed: number = this.unitsFed): void {
    this.samples += samples;
    this.marks.push({ samples: this.samples, units: unitsFed });
  }

  /** Whole units behind the first `audioMs` of the answer, interpolated within a chunk. */
  unitsAt(audioMs: number): number {
    const played = Math.min(this.samples, (Math.max(0, audioMs) * this.sampleRateHz) / 1000);
    let prev = { samples: 0, units: 0 };
    for (const m of this.marks) {
      if (played <= m.samples) {
        const span = m.samples - prev.samples;
        const frac = span > 0 ? (played - prev.samples) / span : 1;
        return Math.floor(prev.units + frac * (m.units - prev.units));
      }
      prev = m;
    }
    return prev.units;
  }
}
