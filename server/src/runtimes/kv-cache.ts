// One sequence's key/value cache for the ONNX LM: per layer, keys and values as rows of `dim` floats,
// position-major, so the first P positions are one contiguous prefix that is handed to onnxruntime as it
// is (a view, no copy). Keys are stored before RoPE (the graph rotates them at their current positions),
// so erasing positions is a plain move of the later rows.

/** Rows allocated at a time: grows with the conversation instead of reserving the whole context up front. */
const GROWTH_ROWS = 256;

export class KvCache {
  private keys: Float32Array[];
  private values: Float32Array[];
  private rows = 0;
  private allocatedRows = 0;

  constructor(
    readonly layers: number,
    readonly dim: number,
    /** Rows the cache may ever hold. */
    readonly maxRows: number,
  ) {
    this.keys = Array.from({ length: layers }, () => new Float32Array(0));
    this.values = Array.from({ length: layers }, () => new Float32Array(0));
  }

  /** Positions held. */
  get length(): number {
    return this.rows;
  }

  /** Layer `layer`'s keys of every held position: [length, dim] as a view. */
  keysOf(layer: number): Float32Array {
    return this.layerRows(this.keys, layer).subarray(0, this.rows * this.dim);
  }

  valuesOf(layer: number): Float32Array {
    return this.layerRows(this.values, layer).subarray(0, this.rows * this.dim);
  }

  /** Appends `count` positions: per layer, its new keys and values ([count, dim] each). */
  append(count: number, keys: readonly Float32Array[], values: readonly Float32Array[]): void {
    const floats = count * this.dim;
    if (keys.length !== this.layers || values.length !== this.layers) throw new RangeError(`expected ${this.layers} layers of keys and values`);
    if (this.rows + count > this.maxRows) throw new RangeError(`the cache holds ${this.rows} of ${this.maxRows} rows; ${count} more do not fit`);
    this.reserve(this.rows + count);
    for (let l = 0; l < this.layers; l++) {
      const k = keys[l]!;
      const v = values[l]!;
      if (k.length !== floats || v.length !== floats) throw new RangeError(`layer ${l}: expected ${floats} floats of keys and of values`);
      this.layerRows(this.keys, l).set(k, this.rows * this.dim);
      this.layerRows(this.values, l).set(v, this.rows * this.dim);
    }
    this.rows += count;
  }

  /** Removes positions [start, end); later ones move down. */
  erase(start: number, end: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.rows || start > end) {
      throw new RangeError(`cannot erase positions [${start}, ${end}) of ${this.rows}`);
    }
    if (start === end) return;
    for (const table of [this.keys, this.values]) {
      for (const rows of table) rows.copyWithin(start * this.dim, end * this.dim, this.rows * this.dim);
    }
    this.rows -= end - start;
  }

  /** Drops every position and gives the memory back. */
  clear(): void {
    this.rows = 0;
    this.allocatedRows = 0;
    this.keys = this.keys.map(() => new Float32Array(0));
    this.values = this.values.map(() => new Float32Array(0));
  }

  private reserve(rows: number): void {
    if (rows <= this.allocatedRows) return;
    const next = Math.min(this.maxRows, Math.max(rows, this.allocatedRows + GROWTH_ROWS, this.allocatedRows * 2));
    const grow = (old: Float32Array) => {
      const bigger = new Float32Array(next * this.dim);
      bigger.set(old.subarray(0, this.rows * this.dim));
      return bigger;
    };
    this.keys = this.keys.map(grow);
    this.values = this.values.map(grow);
    this.allocatedRows = next;
  }

  private layerRows(table: Float32Array[], layer: number): Float32Array {
    const rows = table[layer];
    if (!rows) throw new RangeError(`layer ${layer} is outside 0..${this.layers - 1}`);
    return rows;
  }
}
