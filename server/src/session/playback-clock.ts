// Where the caller is in an answer's audio, assuming playback starts when the first chunk leaves the engine
// and runs at real time (the transports pace output at real time). Barge-in uses it to keep in the
// conversation only the units the caller has heard.

export class PlaybackClock {
  private startMs: number | undefined;
  private samples = 0;
  private unitsFed = 0;
  /** After each chunk: samples emitted so far and units fed to the vocoder by then. */
  private readonly marks: { samples: number; units: number }[] = [];

  constructor(private readonly sampleRateHz: number) {}

  get started(): boolean {
    return this.startMs !== undefined;
  }

  get audioMs(): number {
    return (this.samples * 1000) / this.sampleRateHz;
  }

  /** Units handed to the vocoder (before the chunks they produce). */
  unitsIn(n: number): void {
    this.unitsFed += n;
  }

  chunkOut(samples: number, nowMs: number): void {
    this.startMs ??= nowMs;
    this.samples += samples;
    this.marks.push({ samples: this.samples, units: this.unitsFed });
  }

  /** True while the audio emitted so far has not finished playing. */
  playing(nowMs: number): boolean {
    return this.startMs !== undefined && nowMs < this.startMs + this.audioMs;
  }

  /** Whole units the caller has heard by `nowMs`, interpolated within the chunk being played. */
  unitsHeard(nowMs: number): number {
    if (this.startMs === undefined) return 0;
    const played = Math.min(this.samples, ((nowMs - this.startMs) * this.sampleRateHz) / 1000);
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
