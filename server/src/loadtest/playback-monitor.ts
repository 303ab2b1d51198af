// How one answer's audio arrived, judged as a listener would hear it.
//
// - underruns: inter-frame arrival gaps longer than a frame plus a tolerance, once playback started (the
//   gateway paces frames at real time, so a long gap means the stream ran late at that moment);
// - stalls: a playout model with no buffer beyond what the server sent ahead: playback starts at the first
//   frame and plays frame after frame; a frame arriving after its turn to play is an audible stall, and
//   playback resumes from it. A gap the server's lead covers is an underrun by the first measure but no stall.

export interface PlaybackStats {
  frames: number;
  audioMs: number;
  underruns: number;
  /** Longest inter-frame gap, ms. */
  maxGapMs: number;
  stalls: number;
  stallMs: number;
}

export class PlaybackMonitor {
  private firstAtMs: number | undefined;
  private lastAtMs = 0;
  /** When the frames received so far finish playing. */
  private playedUntilMs = 0;
  private readonly stats: PlaybackStats = { frames: 0, audioMs: 0, underruns: 0, maxGapMs: 0, stalls: 0, stallMs: 0 };

  constructor(private readonly toleranceMs: number) {}

  get started(): boolean {
    return this.firstAtMs !== undefined;
  }

  /** A frame of `frameMs` audio arrived at `atMs`. */
  frame(atMs: number, frameMs: number): void {
    const s = this.stats;
    if (this.firstAtMs === undefined) {
      this.firstAtMs = atMs;
      this.playedUntilMs = atMs;
    } else {
      const gap = atMs - this.lastAtMs;
      if (gap > s.maxGapMs) s.maxGapMs = gap;
      if (gap > frameMs + this.toleranceMs) s.underruns++;
    }
    if (atMs > this.playedUntilMs + this.toleranceMs && s.frames > 0) {
      s.stalls++;
      s.stallMs += atMs - this.playedUntilMs;
    }
    this.playedUntilMs = Math.max(this.playedUntilMs, atMs) + frameMs;
    this.lastAtMs = atMs;
    s.frames++;
    s.audioMs += frameMs;
  }

  result(): PlaybackStats {
    return { ...this.stats, maxGapMs: Math.round(this.stats.maxGapMs * 10) / 10, stallMs: Math.round(this.stats.stallMs) };
  }
}
