// The one bounded queue on the audio path. Each edge states its policy:
// `block` (model edges: the producer waits for room) or `drop-oldest` (live ingress: stale audio is dropped and counted).

export type ChannelPolicy = 'block' | 'drop-oldest';

export interface ChannelOptions<T> {
  capacity: number;
  policy: ChannelPolicy;
  /** Under drop-oldest, which items may be dropped (default: all). Others (e.g. a commit) are kept; when
   * nothing droppable is queued a full channel refuses the item instead. */
  droppable?: (item: T) => boolean;
}

export class ChannelClosedError extends Error {
  constructor() {
    super('channel closed');
    this.name = 'ChannelClosedError';
  }
}

export class Channel<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly policy: ChannelPolicy;
  private readonly ring: (T | undefined)[];
  private head = 0;
  private count = 0;
  private droppedItems = 0;
  private isClosed = false;
  /** Receivers waiting for an item (the queue is empty while any wait). */
  private readonly takers: ((r: IteratorResult<T>) => void)[] = [];
  /** Blocked senders waiting for room (the queue is full while any wait). */
  private readonly senders: { item: T; resolve: () => void; reject: (e: Error) => void }[] = [];

  private readonly droppable: ((item: T) => boolean) | undefined;

  constructor(opts: ChannelOptions<T>) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new RangeError('capacity must be an integer >= 1');
    this.capacity = opts.capacity;
    this.policy = opts.policy;
    this.ring = new Array<T | undefined>(opts.capacity);
    this.droppable = opts.droppable;
  }

  get size(): number {
    return this.count;
  }
  /** Items discarded by the drop-oldest policy or by clear(). */
  get dropped(): number {
    return this.droppedItems;
  }
  get closed(): boolean {
    return this.isClosed;
  }

  /** Adds an item; returns false when full under `block` (nothing added) or when closed. */
  trySend(item: T): boolean {
    if (this.isClosed) return false;
    const taker = this.takers.shift();
    if (taker) {
      taker({ value: item, done: false });
      return true;
    }
    if (this.count === this.capacity) {
      if (this.policy === 'block' || !this.dropOldest()) return false;
      this.droppedItems++;
    }
    this.put(item);
    return true;
  }

  /** Adds an item, waiting for room under `block`. Rejects with ChannelClosedError if the channel closes first. */
  send(item: T): Promise<void> {
    if (this.isClosed) return Promise.reject(new ChannelClosedError());
    if (this.trySend(item)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.senders.push({ item, resolve, reject }));
  }

  /** Next item; done once the channel is closed and drained. */
  receive(): Promise<IteratorResult<T>> {
    if (this.count > 0) {
      const item = this.take();
      this.admitSender();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.isClosed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** Drops every queued item (e.g. barge-in drops unplayed audio); returns how many. */
  clear(): number {
    const n = this.count + this.senders.length;
    while (this.count > 0) this.take();
    for (const s of this.senders.splice(0)) s.resolve();
    this.droppedItems += n;
    return n;
  }

  /** No more sends; receivers drain what is queued, then see done. Blocked senders are rejected. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const s of this.senders.splice(0)) s.reject(new ChannelClosedError());
    for (const t of this.takers.splice(0)) t({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.receive() };
  }

  private put(item: T): void {
    this.ring[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  private take(): T {
    const item = this.ring[this.head] as T;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Removes the oldest droppable item; false when none is. */
  private dropOldest(): boolean {
    for (let k = 0; k < this.count; k++) {
      const at = (this.head + k) % this.capacity;
      if (this.droppable && !this.droppable(this.ring[at] as T)) continue;
      // Close the gap by moving the older items one slot forward.
      for (let j = k; j > 0; j--) this.ring[(this.head + j) % this.capacity] = this.ring[(this.head + j - 1) % this.capacity];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      return true;
    }
    return false;
  }

  private admitSender(): void {
    const s = this.senders.shift();
    if (!s) return;
    this.put(s.item);
    s.resolve();
  }
}
