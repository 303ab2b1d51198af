// Chunked vocoding of one answer as its units arrive (docs/models.md, "Chunked vocoding").
//
// The vocoder is causal, so a chunk vocoded after `leftContextUnits` of context gets the same
// durations and magnitudes as the whole utterance; only Griffin-Lim's phase differs, and only
// near the chunk's edges. Each chunk therefore holds back its last `crossfadeSamples`: the next
// call re-vocodes them as context (now far from its own edge) and the held tail fades into that
// version, so joins carry no phase jump. Cost: the tail waits for the next chunk (or flush).
import type { UnitVocoder } from './vocoder.ts';

export interface VocoderStreamOptions {
  /** Units before the first chunk (manifest vocoder.firstChunkUnits). */
  firstChunkUnits: number;
  /** Units per later chunk (manifest vocoder.chunkUnits). */
  chunkUnits: number;
  /** Earlier units re-vocoded as context; their samples are not emitted again (manifest vocoder.leftContextUnits). */
  leftContextUnits: number;
  /** Samples of each chunk's end held back and crossfaded with the next call's version of them. */
  crossfadeSamples?: number;
}

/** 40 ms: past it the edge chunk's phase is already close to the whole-utterance phase. */
export const DEFAULT_CROSSFADE_SAMPLES = 640;

interface VocodedUnit {
  unit: number;
  durationFrames: number;
}

export class VocoderStream {
  private readonly crossfadeSamples: number;
  private pending: number[] = [];
  /** The last leftContextUnits vocoded units, for the next call's context. */
  private history: VocodedUnit[] = [];
  /** Samples already computed but not yet emitted: the end of the last chunk. */
  private tail = new Float32Array(0);
  private chunksVocoded = 0;

  constructor(
    private readonly vocoder: UnitVocoder,
    private readonly opts: VocoderStreamOptions,
  ) {
    this.crossfadeSamples = opts.crossfadeSamples ?? DEFAULT_CROSSFADE_SAMPLES;
  }

  /** Adds units; returns the audio of every chunk that became complete (often none). */
  async push(units: readonly number[]): Promise<Float32Array[]> {
    this.pending.push(...units);
    const out: Float32Array[] = [];
    for (;;) {
      const size = this.chunksVocoded === 0 ? this.opts.firstChunkUnits : this.opts.chunkUnits;
      if (this.pending.length < size) return out;
      out.push(await this.vocodeChunk(this.pending.splice(0, size), false));
    }
  }

  /** Vocodes what is left and returns the rest of the answer's audio; the stream can then start a new answer. */
  async flush(): Promise<Float32Array> {
    const rest = this.pending.length > 0 ? await this.vocodeChunk(this.pending.splice(0), true) : this.tail;
    this.pending = [];
    this.history = [];
    this.tail = new Float32Array(0);
    this.chunksVocoded = 0;
    return rest;
  }

  private async vocodeChunk(units: number[], final: boolean): Promise<Float32Array> {
    const context = this.history.slice(-this.opts.leftContextUnits);
    const { audio, durationsFrames } = await this.vocoder.vocode([...context.map((c) => c.unit), ...units]);
    const hop = this.vocoder.hopSamples;
    // Cut by this call's own durations: they are what its audio was laid out with.
    const contextSamples = durationsFrames.slice(0, context.length).reduce((a, b) => a + b, 0) * hop;
    const fresh = audio.subarray(contextSamples);
    const overlap = Math.min(this.tail.length, contextSamples);
    const joined = new Float32Array(this.tail.length - overlap);
    joined.set(this.tail.subarray(0, joined.length));
    const faded = crossfade(this.tail.subarray(joined.length), audio.subarray(contextSamples - overlap, contextSamples));

    const keep = final ? 0 : Math.min(this.crossfadeSamples, fresh.length);
    const out = new Float32Array(joined.length + faded.length + fresh.length - keep);
    out.set(joined);
    out.set(faded, joined.length);
    out.set(fresh.subarray(0, fresh.length - keep), joined.length + faded.length);
    this.tail = fresh.slice(fresh.length - keep);

    units.forEach((unit, i) => this.history.push({ unit, durationFrames: durationsFrames[context.length + i] ?? 1 }));
    this.history.splice(0, Math.max(0, this.history.length - this.opts.leftContextUnits));
    this.chunksVocoded += 1;
    return out;
  }
}

/** Raised-cosine fade from `from` (the held tail) to `to` (the same span re-vocoded with context). */
export function crossfade(from: Float32Array, to: Float32Array): Float32Array {
  const n = Math.min(from.length, to.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / n);
    out[i] = (from[i] ?? 0) * (1 - w) + (to[i] ?? 0) * w;
  }
  return out;
}
