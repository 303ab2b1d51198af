// Merges consecutive repeated units ("5 5 5 9 9 2" → "5 9 2"), as the LM was trained.
// The last unit is remembered across push() calls, so windows of a sliding encoder merge as one stream.

export class UnitMerger {
  private last: number | undefined;

  /** @param enabled false passes units through unchanged (manifest units.mergeRepeats). */
  constructor(private readonly enabled = true) {}

  push(units: ArrayLike<number | bigint>): number[] {
    const out: number[] = [];
    for (let i = 0; i < units.length; i++) {
      const u = Number(units[i]);
      if (this.enabled && u === this.last) continue;
      this.last = u;
      out.push(u);
    }
    return out;
  }

  /** Nothing is held back; ends the stream so the next utterance starts fresh. */
  flush(): number[] {
    this.last = undefined;
    return [];
  }
}
