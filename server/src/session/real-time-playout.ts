// The Playout of a session nothing plays out (in-process use: ask, tests): an answer counts as heard at real time
// from its first chunk. Sessions behind the gateway get the transport's Playout instead.
import type { Playout } from '../engine/types.ts';

/** Answers remembered: only the current one is ever asked about; a few more cover a late question. */
const REMEMBERED_TURNS = 4;

export class RealTimePlayout implements Playout {
  private readonly turns = new Map<string, { startMs: number; audioMs: number }>();

  constructor(private readonly now: () => number) {}

  /** An answer's chunk left the engine. */
  audioOut(turnId: string, audioMs: number): void {
    let t = this.turns.get(turnId);
    if (t === undefined) {
      t = { startMs: this.now(), audioMs: 0 };
      this.turns.set(turnId, t);
      if (this.turns.size > REMEMBERED_TURNS) this.turns.delete(this.turns.keys().next().value as string);
    }
    t.audioMs += audioMs;
  }

  heardMs(turnId: string): number {
    const t = this.turns.get(turnId);
    return t === undefined ? 0 : Math.min(t.audioMs, Math.max(0, this.now() - t.startMs));
  }

  playing(turnId: string): boolean {
    const t = this.turns.get(turnId);
    return t !== undefined && this.now() < t.startMs + t.audioMs;
  }
}
