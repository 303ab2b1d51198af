// Per-turn bookkeeping on the page: accumulated transcript and answer text, and client-side timings measured from
// the end of input as this page saw it (speech.stopped received, or commit / text sent) to each first arrival.
// Pure (the caller passes the time), bounded (a handful of turns are ever open).

export interface ClientTimings {
  /** End of input → the first answer audio starts playing here (out of the jitter buffer / playback cushion). */
  ttfaMs?: number;
  firstTranscriptMs?: number;
  firstAnswerMs?: number;
  /** End of input → turn.done received. */
  totalMs?: number;
}

interface Turn {
  endOfInputMs: number | undefined;
  transcript: string;
  answer: string;
  timings: ClientTimings;
  audioSeen: boolean;
}

const MAX_OPEN_TURNS = 16;

export class TurnClock {
  private readonly turns = new Map<string, Turn>();
  /** A commit or text was sent; its turn id is not known until the first event for it. */
  private pendingEndOfInputMs: number | undefined;

  endOfInput(nowMs: number, turnId?: string): void {
    if (turnId === undefined) {
      this.pendingEndOfInputMs = nowMs;
      return;
    }
    const t = this.turn(turnId);
    t.endOfInputMs ??= nowMs;
  }

  transcript(turnId: string, text: string, final: boolean, nowMs: number): string {
    const t = this.turn(turnId);
    t.timings.firstTranscriptMs ??= this.since(t, nowMs);
    t.transcript = final ? text : t.transcript + text;
    return t.transcript;
  }

  answer(turnId: string, text: string, final: boolean, nowMs: number): string {
    const t = this.turn(turnId);
    t.timings.firstAnswerMs ??= this.since(t, nowMs);
    t.answer = final ? text : t.answer + text;
    return t.answer;
  }

  /** The first audio of the turn: its TTFA (undefined when the end of input was not seen), or null if not the first. */
  firstAudio(turnId: string, nowMs: number): number | undefined | null {
    const t = this.turn(turnId);
    if (t.audioSeen) return null;
    t.audioSeen = true;
    t.timings.ttfaMs = this.since(t, nowMs);
    return t.timings.ttfaMs;
  }

  done(turnId: string, nowMs: number): { transcript: string; answer: string; timings: ClientTimings } {
    const t = this.turn(turnId);
    t.timings.totalMs = this.since(t, nowMs);
    this.turns.delete(turnId);
    return { transcript: t.transcript, answer: t.answer, timings: t.timings };
  }

  forget(turnId: string): void {
    this.turns.delete(turnId);
  }

  private turn(turnId: string): Turn {
    let t = this.turns.get(turnId);
    if (t === undefined) {
      t = { endOfInputMs: this.pendingEndOfInputMs, transcript: '', answer: '', timings: {}, audioSeen: false };
      this.pendingEndOfInputMs = undefined;
      this.turns.set(turnId, t);
      if (this.turns.size > MAX_OPEN_TURNS) {
        const oldest = this.turns.keys().next().value;
        if (oldest !== undefined) this.turns.delete(oldest);
      }
    }
    return t;
  }

  private since(t: Turn, nowMs: number): number | undefined {
    return t.endOfInputMs === undefined ? undefined : Math.round(nowMs - t.endOfInputMs);
  }
}
