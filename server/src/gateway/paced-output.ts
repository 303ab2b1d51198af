// Drives a Pacer with a timer: delivers each item when it is due, at real time plus the lead.
import { Pacer } from '../codec/pacer.ts';

export interface PacedOutputOptions<T> {
  leadMs: number;
  capacity: number;
  now: () => number;
  deliver: (item: T) => void;
}

export class PacedOutput<T> {
  private readonly pacer: Pacer<T>;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: PacedOutputOptions<T>) {
    this.pacer = new Pacer<T>({ leadMs: opts.leadMs, capacity: opts.capacity });
  }

  get queuedItems(): number {
    return this.pacer.queuedItems;
  }

  get isIdle(): boolean {
    return this.pacer.queuedItems === 0;
  }

  /** How far delivered audio runs ahead of the caller's playback now, ms (0 once it has all played). */
  aheadMs(): number {
    return this.pacer.aheadMs(this.opts.now());
  }

  /** false when the queue is full (the item is dropped). */
  push(item: T, durationMs: number): boolean {
    if (this.closed || !this.pacer.push(item, durationMs)) return false;
    // Nothing scheduled: deliver what is due now, so the first frame of an answer leaves without a timer hop.
    if (this.timer === undefined) this.tick();
    return true;
  }

  /** Drops everything queued (barge-in); returns the number of items dropped. */
  clear(): number {
    const dropped = this.pacer.clear();
    this.stopTimer();
    this.settleIdle();
    return dropped;
  }

  /** Resolves once everything queued has been delivered (or cleared). */
  whenIdle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.opts.now();
    for (const item of this.pacer.take(now)) {
      if (this.closed) return;
      this.opts.deliver(item);
    }
    if (this.closed) return;
    const next = this.pacer.nextDueMs(this.opts.now());
    if (next === undefined) return this.settleIdle();
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - this.opts.now()));
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settleIdle(): void {
    if (!this.isIdle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
