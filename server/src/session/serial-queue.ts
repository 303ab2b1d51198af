// Runs async tasks one at a time in submission order. A caller's LLM sequence takes one operation at a
// time (prefill, generate, erase); different callers' queues run side by side and node-llama-cpp batches them.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Tasks submitted and not yet finished. */
  get size(): number {
    return this.queued;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(task).finally(() => this.queued--);
    // One failed task must not stop the ones behind it; its caller sees the failure on `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything submitted so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
