// A bounded FIFO: the hot path never holds an unbounded array. Storage grows by doubling up to the capacity, so
// a generous bound (minutes of audio frames) costs memory only when a queue actually fills.

const INITIAL_SLOTS = 64;

export class RingQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be > 0, got ${capacity}`);
    this.items = new Array<T | undefined>(Math.min(capacity, INITIAL_SLOTS));
  }

  get length(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count === this.capacity;
  }

  /** false when full: the caller decides what dropping means. */
  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return true;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  clear(): number {
    const dropped = this.count;
    this.items = new Array<T | undefined>(Math.min(this.capacity, INITIAL_SLOTS));
    this.head = 0;
    this.count = 0;
    return dropped;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
