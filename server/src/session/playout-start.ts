// When an answer's audio may start playing: only once what is buffered covers the time to produce what follows,
// so the caller's playout never runs dry. Playback cannot pause without a gap the caller hears, so the start is
// the one moment the answer can wait; it waits no longer than its production deficit.
//
// Model: chunk k of the answer becomes ready readyInMs_k from now and carries audioMs_k. Started after waiting w,
// the buffer of H ms (held now) plus the chunks before k lasts until w + H + Σ_{j<k} audioMs_j, which must be no
// earlier than chunk k's arrival: w ≥ readyInMs_k − H − Σ_{j<k} audioMs_j, for every upcoming chunk.

export interface UpcomingChunk {
  /** From now until the chunk's audio is ready, ms (predicted). */
  readyInMs: number;
  /** Audio it carries, ms (predicted). */
  audioMs: number;
}

export interface StartMargin {
  /** Predictions are scaled by this before they are trusted (timing noise, a neighbour's burst). */
  factor: number;
  /** And this much more, ms (timer and event-loop lateness). */
  extraMs: number;
}

/** 25 % + 20 ms: the margin before any lateness is learned (answers pass the learned slack as extraMs). */
export const DEFAULT_START_MARGIN: StartMargin = { factor: 1.25, extraMs: 20 };

/** How long to hold the audio buffered now (heldMs) before it starts playing, ms (0: start now). */
export function startWaitMs(heldMs: number, upcoming: readonly UpcomingChunk[], margin: StartMargin = DEFAULT_START_MARGIN): number {
  let wait = 0;
  let covered = heldMs;
  for (const chunk of upcoming) {
    wait = Math.max(wait, chunk.readyInMs * margin.factor + margin.extraMs - covered);
    covered += chunk.audioMs;
  }
  return wait;
}

/**
 * Holds an answer's first audio until its start is safe (startWaitMs) or nothing more is coming, then lets
 * everything through. Driven by the answer: add() each chunk, settle() when its production estimate changes,
 * finish() when the last audio is in.
 */
export class PlayoutStart {
  private held: Float32Array[] = [];
  private heldSamples = 0;
  private open = false;
  private cancelled = false;
  private timer: NodeJS.Timeout | undefined;
  private heldAtMs: number | undefined;

  constructor(
    private readonly opts: {
      sampleRateHz: number;
      now: () => number;
      /** Lets held and later audio out, in order. */
      emit: (pcm: Float32Array) => void;
      margin?: StartMargin;
    },
  ) {}

  get started(): boolean {
    return this.open;
  }

  /** Audio held so far, ms. */
  get heldMs(): number {
    return (this.heldSamples * 1000) / this.opts.sampleRateHz;
  }

  /** How long the first audio waited before it was let out, ms (0 before anything was held). */
  heldForMs = 0;
  /** Engine clock when playout started; undefined before. */
  startedAtMs: number | undefined;

  add(pcm: Float32Array): void {
    if (this.cancelled) return;
    if (this.open) return this.opts.emit(pcm);
    this.heldAtMs ??= this.opts.now();
    this.held.push(pcm);
    this.heldSamples += pcm.length;
  }

  /** Re-decides with the current predictions: starts now, or arms a timer for when the start becomes safe. */
  settle(upcoming: readonly UpcomingChunk[], margin: StartMargin | undefined = this.opts.margin): void {
    if (this.open || this.held.length === 0) return;
    const wait = startWaitMs(this.heldMs, upcoming, margin);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (wait <= 0) return this.start();
    this.timer = setTimeout(() => this.start(), wait);
  }

  /** No more audio is coming (or the answer ended): what is held goes now. */
  finish(): void {
    this.start();
  }

  /** The answer was cut: nothing held is let out. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = [];
    this.heldSamples = 0;
    this.cancelled = true;
  }

  private start(): void {
    if (this.open || this.cancelled) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.open = true;
    this.startedAtMs = this.opts.now();
    if (this.heldAtMs !== undefined) this.heldForMs = this.startedAtMs - this.heldAtMs;
    const held = this.held;
    this.held = [];
    this.heldSamples = 0;
    for (const pcm of held) this.opts.emit(pcm);
  }
}
