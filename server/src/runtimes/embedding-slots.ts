// Adapted speech embeddings waiting to be evaluated, under ids past the LM's vocabulary. The session's speech path
// (trim, Conversation's coalesced prefills, turn bookkeeping) works on ids; an embedding-input model hands it these
// ids instead of unit tokens, and the ONNX LM runtime swaps each back for its row when it evaluates it. A row is
// needed once (its keys and values are cached after), so evaluation frees it.

/**
 * Bytes of rows held at most (32 MiB: ~22 minutes of speech at dim 256, 25 rows/s); past it the oldest go first.
 * Rows wait here until evaluated; the ones never evaluated are the trailing silence the session's trimmer drops at
 * the end of a turn (a few per turn) and turns dropped before their prefill: this bound is what reclaims them.
 */
const MAX_BYTES = 32 * 1024 * 1024;

export class EmbeddingSlots {
  private readonly rows = new Map<number, Float32Array>();
  private nextId: number;

  constructor(
    /** The first id past the vocabulary. */
    private readonly firstId: number,
    readonly dim: number,
    private readonly maxRows = Math.max(1, Math.floor(MAX_BYTES / (dim * Float32Array.BYTES_PER_ELEMENT))),
  ) {
    this.nextId = firstId;
  }

  /** Rows waiting. */
  get size(): number {
    return this.rows.size;
  }

  /** Rows ever held: each one an embedding that reached (or was on its way to) the LM. */
  get registered(): number {
    return this.nextId - this.firstId;
  }

  /** Whether `id` names a slot rather than a token. */
  isSlot(id: number): boolean {
    return id >= this.firstId;
  }

  /** Holds each row under a new id. */
  register(rows: readonly Float32Array[]): number[] {
    return rows.map((row) => {
      if (row.length !== this.dim) throw new RangeError(`an embedding row has ${row.length} floats; the LM's dim is ${this.dim}`);
      // Ids grow without reuse (2^53 is never reached), so a stale id can never name another row.
      const id = this.nextId++;
      this.rows.set(id, row);
      if (this.rows.size > this.maxRows) this.rows.delete(this.rows.keys().next().value!);
      return id;
    });
  }

  /** The row under `id`, released; undefined when it was never held or already taken. */
  take(id: number): Float32Array | undefined {
    const row = this.rows.get(id);
    this.rows.delete(id);
    return row;
  }
}
