// Real-time pacing of output: items leave no more than leadMs ahead of the caller's playback, so an interruption
// can take back everything not yet sent (clear()). Pure core: the caller passes the clock and drives a timer.
//
// Model: `playheadMs` is when the caller will have played everything sent so far. An item of durationMs may go
// when playback would then be at most leadMs ahead of now. Zero-duration items (marks such as audio.end) ride
// in the same queue so they stay ordered after the audio they close.
import { RingQueue } from './ring-queue.ts';

export interface PacerOptions {
  leadMs: number;
  /** Items the queue holds at most; push() refuses beyond it. */
  capacity: number;
}

interface Entry<T> {
  value: T;
  durationMs: number;
}

export class Pacer<T> {
  readonly leadMs: number;
  private readonly queue: RingQueue<Entry<T>>;
  private playheadMs = Number.NEGATIVE_INFINITY;
  private queuedMs = 0;

  constructor(opts: PacerOptions) {
    if (!(opts.leadMs >= 0)) throw new RangeError(`leadMs must be >= 0, got ${opts.leadMs}`);
    this.leadMs = opts.leadMs;
    this.queue = new RingQueue(opts.capacity);
  }

  get queuedItems(): number {
    return this.queue.length;
  }

  /** Audio waiting in the queue, ms. */
  get queuedAudioMs(): number {
    return this.queuedMs;
  }

  /** How far sent audio runs ahead of playback at nowMs (0 when the caller has played it all). */
  aheadMs(nowMs: number): number {
    return Math.max(0, this.playheadMs - nowMs);
  }

  /** false when the queue is full and the item was not taken. */
  push(value: T, durationMs: number): boolean {
    if (!this.queue.push({ value, durationMs })) return false;
    this.queuedMs += durationMs;
    return true;
  }

  /** The items due at nowMs, in order. */
  take(nowMs: number): T[] {
    const out: T[] = [];
    // Playback ran dry (or never started): the next audio plays from now.
    if (this.playheadMs < nowMs) this.playheadMs = nowMs;
    for (let head = this.queue.peek(); head !== undefined; head = this.queue.peek()) {
      if (!this.isDue(head, nowMs)) break;
      this.queue.shift();
      this.playheadMs += head.durationMs;
      this.queuedMs -= head.durationMs;
      out.push(head.value);
    }
    return out;
  }

  /** When take() will next return something; undefined when the queue is empty. */
  nextDueMs(nowMs: number): number | undefined {
    const head = this.queue.peek();
    if (head === undefined) return undefined;
    if (this.isDue(head, nowMs)) return nowMs;
    return this.playheadMs - this.leadMs + head.durationMs;
  }

  /** Drops everything queued and forgets the playhead (the caller stops playback too). Returns items dropped. */
  clear(): number {
    this.playheadMs = Number.NEGATIVE_INFINITY;
    this.queuedMs = 0;
    return this.queue.clear();
  }

  private isDue(entry: Entry<T>, nowMs: number): boolean {
    const ahead = this.playheadMs - nowMs;
    return entry.durationMs === 0 || ahead <= 0 || ahead + entry.durationMs <= this.leadMs;
  }
}
