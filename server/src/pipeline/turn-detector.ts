// Turns per-frame speech probabilities into speech started / stopped, with hysteresis (as Silero's own
// VADIterator): a frame counts as speech at >= startThreshold and as silence below stopThreshold; frames in
// between keep the current state without resetting the silence timer.

export interface TurnDetectorOptions {
  frameMs: number;
  startThreshold?: number;
  stopThreshold?: number;
  /** Speech frames in a row needed to start a turn (filters clicks). */
  minSpeechMs?: number;
  /** Silence after speech that ends it. */
  endOfSpeechSilenceMs?: number;
}

export type TurnEvent =
  /** atMs: end of the frame that confirmed speech; speechStartMs: start of the first speech frame of the run. */
  | { type: 'speech.started'; atMs: number; speechStartMs: number }
  /** atMs: end of the frame that ended the turn; lastSpeechEndMs: end of the last speech frame. */
  | { type: 'speech.stopped'; atMs: number; lastSpeechEndMs: number };

export const DEFAULT_END_OF_SPEECH_SILENCE_MS = 500;

export class TurnDetector {
  private readonly frameMs: number;
  private readonly startThreshold: number;
  private readonly stopThreshold: number;
  private readonly minSpeechFrames: number;
  private readonly endSilenceMs: number;
  private positionMs = 0;
  private speaking = false;
  private runFrames = 0;
  private runStartMs = 0;
  private lastSpeechEndMs = 0;
  /** Start of the current silence while speaking, or undefined. */
  private silenceSinceMs: number | undefined;

  constructor(opts: TurnDetectorOptions) {
    this.frameMs = opts.frameMs;
    this.startThreshold = opts.startThreshold ?? 0.5;
    this.stopThreshold = opts.stopThreshold ?? this.startThreshold - 0.15;
    this.minSpeechFrames = Math.max(1, Math.ceil((opts.minSpeechMs ?? 0) / opts.frameMs));
    this.endSilenceMs = opts.endOfSpeechSilenceMs ?? DEFAULT_END_OF_SPEECH_SILENCE_MS;
  }

  get inSpeech(): boolean {
    return this.speaking;
  }

  /** Stream time at the end of the last frame pushed. */
  get nowMs(): number {
    return this.positionMs;
  }

  push(probability: number): TurnEvent[] {
    const startMs = this.positionMs;
    this.positionMs += this.frameMs;
    const isSpeech = probability >= this.startThreshold;
    const isSilence = probability < this.stopThreshold;
    if (!this.speaking) {
      if (!isSpeech) {
        this.runFrames = 0;
        return [];
      }
      if (this.runFrames === 0) this.runStartMs = startMs;
      this.runFrames++;
      this.lastSpeechEndMs = this.positionMs;
      if (this.runFrames < this.minSpeechFrames) return [];
      this.speaking = true;
      this.silenceSinceMs = undefined;
      return [{ type: 'speech.started', atMs: this.positionMs, speechStartMs: this.runStartMs }];
    }
    if (isSpeech) {
      this.silenceSinceMs = undefined;
      this.lastSpeechEndMs = this.positionMs;
      return [];
    }
    if (isSilence && this.silenceSinceMs === undefined) this.silenceSinceMs = startMs;
    if (this.silenceSinceMs !== undefined && this.positionMs - this.silenceSinceMs >= this.endSilenceMs) {
      this.speaking = false;
      this.runFrames = 0;
      this.silenceSinceMs = undefined;
      return [{ type: 'speech.stopped', atMs: this.positionMs, lastSpeechEndMs: this.lastSpeechEndMs }];
    }
    return [];
  }

  /** Forgets the current state (the client ended the turn itself); stream time goes on. */
  reset(): void {
    this.speaking = false;
    this.runFrames = 0;
    this.silenceSinceMs = undefined;
  }

  /** Ends the stream: an open turn stops now. */
  flush(): TurnEvent[] {
    if (!this.speaking) return [];
    this.speaking = false;
    this.runFrames = 0;
    this.silenceSinceMs = undefined;
    return [{ type: 'speech.stopped', atMs: this.positionMs, lastSpeechEndMs: this.lastSpeechEndMs }];
  }
}
