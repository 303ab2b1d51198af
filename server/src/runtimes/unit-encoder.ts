// The unit extractor runtime: units.onnx turns PCM into one unit id per hop (docs/models.md, "units").
// One InferenceSession per model file serves every caller; each caller's sliding-window state lives in
// the UnitEncoderStream it opens, so a window's units equal the whole utterance's units.
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GatewayError } from '../errors.ts';
import type { UnitsSpec } from './manifest.ts';

/**
 * Encodes one window; what a UnitEncoderStream needs (the runtime, or a fake in tests). `T` is what one hop
 * becomes: a unit id here, an adapted embedding row for the LLaSM path (speech-embedder.ts).
 */
export interface WindowEncoder<T = number> {
  readonly hopSamples: number;
  readonly leftContextSamples: number;
  /** `pcm` = leftContextSamples of context + k whole hops → k outputs, one per hop (units: repeats not merged). */
  encodeWindow(pcm: Float32Array): Promise<T[]>;
}

export class UnitEncoder implements WindowEncoder {
  readonly hopSamples: number;
  readonly leftContextSamples: number;
  readonly unitCount: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    spec: UnitsSpec,
  ) {
    this.hopSamples = spec.hopSamples;
    this.leftContextSamples = spec.leftContextSamples;
    this.unitCount = spec.count;
  }

  /** One intra-op thread: parallelism comes from many callers, and the LM needs the other core. */
  static async load(path: string, spec: UnitsSpec): Promise<UnitEncoder> {
    const abs = resolve(path);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(abs, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    } catch (err) {
      throw new GatewayError('MODEL_INVALID', `units: cannot load ${abs}: ${(err as Error).message}`, { cause: err });
    }
    if (!session.inputNames.includes('pcm') || !session.outputNames.includes('units')) {
      throw new GatewayError('MODEL_INVALID', `units: ${abs} must take input "pcm" and give output "units" (has ${session.inputNames} → ${session.outputNames})`);
    }
    return new UnitEncoder(session, spec);
  }

  async encodeWindow(pcm: Float32Array): Promise<number[]> {
    const hops = windowHops(pcm.length, this);
    if (hops <= 0) return [];
    const out = await this.session.run({ pcm: new ort.Tensor('float32', pcm, [1, pcm.length]) });
    return checkUnits(out['units']?.data, hops, pcm.length);
  }

  /** Offline reference: the whole utterance after leftContextSamples of zeros, as at training time. */
  async encodeUtterance(pcm: Float32Array): Promise<number[]> {
    return this.encodeWindow(withLeftContext(pcm, this.leftContextSamples));
  }

  openStream(opts: UnitEncoderStreamOptions = {}): UnitEncoderStream {
    return new UnitEncoderStream(this, opts);
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** Whole hops a window of `samples` encodes (after its left context). */
export function windowHops(samples: number, encoder: { hopSamples: number; leftContextSamples: number }): number {
  return Math.floor((samples - encoder.leftContextSamples) / encoder.hopSamples);
}

/** Holds the graph's output to the contract: one int64 unit per hop. */
export function checkUnits(data: unknown, hops: number, samples: number): number[] {
  if (!(data instanceof BigInt64Array) || data.length !== hops) {
    const got = data instanceof BigInt64Array ? data.length : 'none';
    throw new GatewayError('MODEL_INVALID', `units: expected ${hops} int64 units for ${samples} samples, got ${got}`);
  }
  return Array.from(data, Number);
}

export interface UnitEncoderStreamOptions {
  /** Run the model once at least this much new audio is waiting (whole hops only); default: runEveryMsFor(). */
  runEveryMs?: number;
  sampleRateHz?: number;
}

/** The least new audio a window carries: at end of speech at most one run is left (none after a pause: speech-input.ts). */
export const DEFAULT_RUN_EVERY_MS = 120;
/** New audio per window at least this share of its left context, so re-encoding the context stays under 4× the new audio's cost. */
const NEW_AUDIO_PER_CONTEXT = 0.25;

/**
 * How much new audio waits for a window. Every window re-encodes `leftContextSamples` of context, which dominates
 * its cost when the context is long (the speech encoder's 1.6 s: 3.3 ms a window on the project's machine, 27 ms
 * of CPU per second of speech at 120 ms): longer runs cut that, and cost only the few units the last run holds
 * at end of speech.
 */
export function runEveryMsFor(leftContextSamples: number, sampleRateHz = 16000): number {
  return Math.max(DEFAULT_RUN_EVERY_MS, Math.round(((leftContextSamples * 1000) / sampleRateHz) * NEW_AUDIO_PER_CONTEXT));
}

/** One utterance's unit ids as the session consumes them (a UnitEncoderStream, or an embedding stream's row ids). */
export interface UnitStream {
  /** Audio in; raw unit ids (one per hop, unmerged) for the whole hops encoded by this call. */
  push(pcm: Float32Array): Promise<number[]>;
  /** Samples of the utterance in windows so far (whole hops), those still running included. */
  readonly encodedSamples: number;
  /** Encodes the whole hops waiting now rather than when a full run has gathered. */
  runNow(): Promise<number[]>;
  /** End of the utterance: the remaining whole hops up to `usefulSamples` of it; the rest is dropped unencoded. */
  flush(usefulSamples?: number): Promise<number[]>;
}

/**
 * One utterance's encoder: audio in as it arrives, unit ids out per whole hop, each window starting
 * leftContextSamples before its first new sample (zeros before the utterance). Calls are queued so
 * windows run in order; units are not merged here (see UnitMerger).
 */
export class UnitEncoderStream<T = number> {
  private readonly runSamples: number;
  /** The last leftContextSamples already encoded (zeros at the start). */
  private history: Float32Array;
  /** Audio not yet encoded: the first pendingSamples of a buffer that grows by doubling (not a copy per frame). */
  private pending: Float32Array;
  private pendingSamples = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private samplesEncoded = 0;

  constructor(
    private readonly encoder: WindowEncoder<T>,
    opts: UnitEncoderStreamOptions = {},
  ) {
    const hop = encoder.hopSamples;
    const runMs = opts.runEveryMs ?? runEveryMsFor(encoder.leftContextSamples, opts.sampleRateHz);
    this.runSamples = Math.max(hop, Math.ceil((runMs * (opts.sampleRateHz ?? 16000)) / 1000 / hop) * hop);
    this.history = new Float32Array(encoder.leftContextSamples);
    this.pending = new Float32Array(this.runSamples * 2);
  }

  /** Samples of the utterance covered by units so far (whole hops). */
  get encodedSamples(): number {
    return this.samplesEncoded;
  }

  /** Adds audio; resolves with the units of every whole hop encoded by this call (often none). */
  push(pcm: Float32Array): Promise<T[]> {
    this.append(pcm);
    if (this.pendingSamples < this.runSamples) return this.enqueue(undefined);
    return this.enqueue(this.takeWindow(this.pendingSamples));
  }

  /** Encodes the whole hops waiting now, without waiting for a full run (the caller paused: what they said is wanted soon). */
  runNow(): Promise<T[]> {
    return this.enqueue(this.pendingSamples >= this.encoder.hopSamples ? this.takeWindow(this.pendingSamples) : undefined);
  }

  /**
   * End of the utterance: encodes the remaining whole hops up to `usefulSamples` of it; audio past that (trailing
   * silence whose units the trim would drop) is dropped unencoded, as is a trailing part hop, as whole-utterance
   * encoding drops it.
   */
  flush(usefulSamples = Number.POSITIVE_INFINITY): Promise<T[]> {
    const wanted = Math.min(this.pendingSamples, usefulSamples - this.samplesEncoded);
    const window = wanted >= this.encoder.hopSamples ? this.takeWindow(wanted) : undefined;
    this.pendingSamples = 0;
    return this.enqueue(window);
  }

  /** Cuts whole hops (at most `maxSamples`) off `pending` into a window with its left context; synchronous, so order is fixed here. */
  private takeWindow(maxSamples: number): Float32Array {
    const hop = this.encoder.hopSamples;
    const fresh = Math.floor(Math.min(maxSamples, this.pendingSamples) / hop) * hop;
    const window = new Float32Array(this.history.length + fresh);
    window.set(this.history);
    window.set(this.pending.subarray(0, fresh), this.history.length);
    this.history = window.slice(window.length - this.history.length);
    this.pending.copyWithin(0, fresh, this.pendingSamples);
    this.pendingSamples -= fresh;
    this.samplesEncoded += fresh;
    return window;
  }

  private append(pcm: Float32Array): void {
    const needed = this.pendingSamples + pcm.length;
    if (needed > this.pending.length) {
      const grown = new Float32Array(Math.max(needed, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingSamples));
      this.pending = grown;
    }
    this.pending.set(pcm, this.pendingSamples);
    this.pendingSamples = needed;
  }

  private enqueue(window: Float32Array | undefined): Promise<T[]> {
    const run = this.queue.then((): Promise<T[]> | T[] => (window ? this.encoder.encodeWindow(window) : []));
    // A failed window must not wedge the windows queued after it; the caller sees the failure on `run`.
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The utterance after `leftContextSamples` of zeros: the first window of a stream, whole. */
export function withLeftContext(pcm: Float32Array, leftContextSamples: number): Float32Array {
  const padded = new Float32Array(leftContextSamples + pcm.length);
  padded.set(pcm, leftContextSamples);
  return padded;
}
