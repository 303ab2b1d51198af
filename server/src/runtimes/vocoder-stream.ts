// Chunked vocoding of one answer as its units arrive (docs/models.md, "Chunked vocoding").
//
// The default vocoder sees `leftContextUnits` back and `lookaheadUnits` ahead, so a chunk's
// last `lookaheadUnits` units lack their right context: their audio is held back and taken
// from the next call, which re-vocodes them among its context units with full context on both
// sides. Durations and magnitudes then equal the whole utterance's; only Griffin-Lim's phase
// differs near a call's edges, so the last `crossfadeSamples` emitted before the held units
// are also held and faded into the next call's version of them: no phase jump at hand-overs.
// Cost: the held audio waits for the next chunk (or flush).
//
// Chunk sizes ramp up: firstChunkUnits, then doubling up to chunkUnits (10, 20, 40 with the shipped manifest). The
// first chunk's audio is short (its lookahead units are held back), so the second must be quick to produce for the
// caller's playout not to run dry; later chunks carry seconds of audio and can be large (fewer calls, less overhead).
import type { UnitVocoder } from './vocoder.ts';

export interface VocoderStreamOptions {
  /** Units before the first chunk (manifest vocoder.firstChunkUnits). */
  firstChunkUnits: number;
  /** Units per later chunk (manifest vocoder.chunkUnits). */
  chunkUnits: number;
  /** Earlier units sent again as context (manifest vocoder.leftContextUnits); includes held units. */
  leftContextUnits: number;
  /** Units the vocoder looks ahead; each chunk's last ones are emitted by the next call. */
  lookaheadUnits?: number;
  /** Samples before the held units that fade from this call's version into the next call's. */
  crossfadeSamples?: number;
}

/** Units in the stream's chunk number `index` (0 = the first): the ramp from firstChunkUnits up to chunkUnits. */
export function chunkUnitsAt(opts: Pick<VocoderStreamOptions, 'firstChunkUnits' | 'chunkUnits'>, index: number): number {
  const ramped = opts.firstChunkUnits * 2 ** Math.min(index, 16);
  return Math.max(opts.firstChunkUnits, Math.min(opts.chunkUnits, ramped));
}

/** What one of the stream's coming vocoder calls waits for, and what it will send. */
export interface NextChunk {
  /** Units still to arrive, from now, before this chunk can be vocoded (those of the chunks before it included). */
  missingUnits: number;
  /** New units in the chunk. */
  units: number;
  /** Units the call will send to the vocoder (context included). */
  callUnits: number;
}

/** 40 ms: far enough from a call's edge that its Griffin-Lim phase is close to the whole's. */
export const DEFAULT_CROSSFADE_SAMPLES = 640;

export class VocoderStream {
  private readonly crossfadeSamples: number;
  private readonly lookaheadUnits: number;
  private pending: number[] = [];
  /** The last leftContextUnits vocoded units, sent again as context. */
  private history: number[] = [];
  /** Trailing history units whose audio has not been emitted yet. */
  private heldUnits = 0;
  /** Samples just before the held units: computed, not yet emitted. */
  private tail = new Float32Array(0);
  private chunksVocoded = 0;
  /** Frames and units of the new (non-context) units vocoded so far: this answer's audio per unit. */
  private framesOut = 0;
  private unitsOut = 0;
  /** When the audio of the call being made is due (engine clock), for a vocoder that serves the earliest first. */
  private deadlineMs: number | undefined;

  constructor(
    private readonly vocoder: UnitVocoder,
    private readonly opts: VocoderStreamOptions,
  ) {
    this.crossfadeSamples = opts.crossfadeSamples ?? DEFAULT_CROSSFADE_SAMPLES;
    // Held units travel as context, so there can be no more of them than context units.
    this.lookaheadUnits = Math.min(opts.lookaheadUnits ?? 0, opts.leftContextUnits);
  }

  /** Adds units; returns the audio of every chunk that became complete (often none). `deadlineMs`: when it is due. */
  async push(units: readonly number[], deadlineMs?: number): Promise<Float32Array[]> {
    this.deadlineMs = deadlineMs;
    this.pending.push(...units);
    const out: Float32Array[] = [];
    for (;;) {
      const size = chunkUnitsAt(this.opts, this.chunksVocoded);
      if (this.pending.length < size) return out;
      const audio = await this.vocodeChunk(this.pending.splice(0, size), false);
      if (audio.length > 0) out.push(audio);
    }
  }

  /** Units received and not vocoded yet. */
  get pendingUnits(): number {
    return this.pending.length;
  }

  /**
   * Vocodes the units received so far as a chunk of their own, before the chunk they belong to is complete: for an
   * answer whose playout would run dry before the rest arrives. Returns its audio, empty (and vocodes nothing) when
   * too few units are pending for any of their audio to be emitted yet (the lookahead ones wait for the next call).
   */
  async cut(deadlineMs?: number): Promise<Float32Array> {
    if (this.pending.length <= this.lookaheadUnits) return new Float32Array(0);
    this.deadlineMs = deadlineMs;
    return this.vocodeChunk(this.pending.splice(0), false);
  }

  /** The next `count` chunks' needs: the units each still waits for and the size of its vocoder call. */
  nextChunks(count: number): NextChunk[] {
    const out: NextChunk[] = [];
    let needed = -this.pending.length;
    let context = Math.min(this.history.length, this.opts.leftContextUnits);
    for (let k = 0; k < count; k++) {
      const units = chunkUnitsAt(this.opts, this.chunksVocoded + k);
      needed += units;
      out.push({ missingUnits: Math.max(0, needed), units, callUnits: context + units });
      context = this.opts.leftContextUnits;
    }
    return out;
  }

  /** Samples of audio per unit in this stream's vocoded units so far (undefined before its first call). */
  samplesPerUnit(): number | undefined {
    return this.unitsOut > 0 ? (this.framesOut * this.vocoder.hopSamples) / this.unitsOut : undefined;
  }

  /** Learned: until a vocoder call of `units` submitted now would be done, ms (0 when the vocoder cannot say). */
  readyInMs(units: number, deadlineMs?: number): number {
    return this.vocoder.readyInMs?.(units, deadlineMs) ?? 0;
  }

  /** Vocodes what is left and returns the rest of the answer's audio; the stream can then start a new answer. */
  async flush(deadlineMs?: number): Promise<Float32Array> {
    this.deadlineMs = deadlineMs;
    const rest = this.pending.length > 0 || this.heldUnits > 0 ? await this.vocodeChunk(this.pending.splice(0), true) : this.tail;
    this.pending = [];
    this.history = [];
    this.heldUnits = 0;
    this.tail = new Float32Array(0);
    this.chunksVocoded = 0;
    return rest;
  }

  private async vocodeChunk(units: number[], final: boolean): Promise<Float32Array> {
    const context = this.history.slice(-this.opts.leftContextUnits);
    const input = [...context, ...units];
    const { audio, durationsFrames } = await this.vocoder.vocode(input, this.deadlineMs !== undefined ? { deadlineMs: this.deadlineMs } : {});
    const hop = this.vocoder.hopSamples;
    for (let i = context.length; i < durationsFrames.length; i++) this.framesOut += durationsFrames[i] ?? 0;
    this.unitsOut += units.length;
    // Sample offset where each unit starts, by this call's own durations (its audio's layout).
    const starts = [0];
    for (const d of durationsFrames) starts.push((starts[starts.length - 1] ?? 0) + d * hop);
    const emitFromUnit = context.length - this.heldUnits;
    const emitToUnit = final ? input.length : Math.max(emitFromUnit, input.length - this.lookaheadUnits);
    const from = starts[emitFromUnit] ?? 0;
    const body = audio.subarray(from, starts[emitToUnit] ?? audio.length);

    const overlap = Math.min(this.tail.length, from);
    const unfaded = this.tail.subarray(0, this.tail.length - overlap);
    const faded = crossfade(this.tail.subarray(unfaded.length), audio.subarray(from - overlap, from));
    const keep = final ? 0 : Math.min(this.crossfadeSamples, body.length);
    const out = new Float32Array(unfaded.length + faded.length + body.length - keep);
    out.set(unfaded);
    out.set(faded, unfaded.length);
    out.set(body.subarray(0, body.length - keep), unfaded.length + faded.length);

    this.tail = body.slice(body.length - keep);
    this.heldUnits = input.length - emitToUnit;
    this.history = input.slice(-Math.max(this.opts.leftContextUnits, this.heldUnits));
    this.chunksVocoded += 1;
    return out;
  }
}

/** Raised-cosine fade from `from` (this call's audio) to `to` (the same span from the next call). */
export function crossfade(from: Float32Array, to: Float32Array): Float32Array {
  const n = Math.min(from.length, to.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / n);
    out[i] = (from[i] ?? 0) * (1 - w) + (to[i] ?? 0) * w;
  }
  return out;
}
