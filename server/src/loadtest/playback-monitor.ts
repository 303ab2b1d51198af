// How one answer's audio arrived, judged as a listener would hear it.
//
// - underruns: the playout ran dry. Playback starts at the first frame and plays frame after frame with no
//   buffer beyond what the server sent ahead (its outputLeadMs); a frame arriving more than the tolerance after
//   the audio before it finished playing is an underrun (an audible gap), and playback resumes from it.
// - gaps: inter-frame arrival gaps longer than a frame plus the tolerance, once playback started. The server
//   sends its lead at once and then paces at real time, so a gap right after that burst is not heard: gaps
//   count where the stream ran late, underruns where the listener heard it.

export interface PlaybackStats {
  frames: number;
  audioMs: number;
  underruns: number;
  /** Silence heard in all, ms. */
  underrunMs: number;
  gaps: number;
  /** Longest inter-frame gap, ms. */
  maxGapMs: number;
}

export class PlaybackMonitor {
  private firstAtMs: number | undefined;
  private lastAtMs = 0;
  /** When the frames received so far finish playing. */
  private playedUntilMs = 0;
  private readonly stats: PlaybackStats = { frames: 0, audioMs: 0, underruns: 0, underrunMs: 0, gaps: 0, maxGapMs: 0 };

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
      if (gap > frameMs + this.toleranceMs) s.gaps++;
      if (atMs > this.playedUntilMs + this.toleranceMs) {
        s.underruns++;
        s.underrunMs += atMs - this.playedUntilMs;
      }
    }
    this.playedUntilMs = Math.max(this.playedUntilMs, atMs) + frameMs;
    this.lastAtMs = atMs;
    s.frames++;
    s.audioMs += frameMs;
  }

  result(): PlaybackStats {
    return { ...this.stats, maxGapMs: Math.round(this.stats.maxGapMs * 10) / 10, underrunMs: Math.round(this.stats.underrunMs) };
  }
}
