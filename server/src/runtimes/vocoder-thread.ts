// Vocoding off the event loop: an inline vocoder chunk (tens of ms) stalls the loop that paces every caller's
// audio, so streamed answers are vocoded in a worker thread with its own session (onnx-thread.ts), waiting there
// earliest deadline first: a late-comer with an urgent first chunk passes callers with seconds buffered.
// Measured with `npx tsx bench/capacity.ts` (docs/loadtest.md): event-loop p99 ≈ 50 ms inline → 7–27 ms.
// One worker: on two cores the LLM's thread takes the other (a pool sized to more cores is the next step).
// If the worker dies, the requests it held fail with INTERNAL and later ones run inline.
import { OnnxThread, type WireFeeds } from './onnx-thread.ts';
import { VocoderCostModel } from './vocoder-cost.ts';
import { checkVocoderOutput, SEED_LARGE_UNITS, SEED_SMALL_UNITS, unitIds, type UnitVocoder, type VocodeOptions, type VocodeResult, type VocoderRuntime } from './vocoder.ts';

/** The graph's feeds for `n` spread-out unit ids (start-up runs). */
function seedFeeds(n: number, unitCount: number): WireFeeds {
  return { units: { data: BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 37) % unitCount)), dims: [1, n] } };
}

export class VocoderThread implements UnitVocoder {
  readonly hopSamples: number;

  private constructor(
    private readonly thread: OnnxThread,
    /** Serves after a worker failure; also the source of the contract (hop, unit count). */
    private readonly inline: VocoderRuntime,
    readonly cost: VocoderCostModel,
  ) {
    this.hopSamples = inline.hopSamples;
  }

  /** Requests waiting or running. */
  get queueDepth(): number {
    return this.thread.queueDepth;
  }

  /** Starts the worker on `path` and waits until its session is ready. */
  static async open(path: string, inline: VocoderRuntime): Promise<VocoderThread> {
    // A throwaway run (a session's first run allocates and is several times slower: here it would be an answer's
    // second chunk, due before its first has played out), then a small and a large timed run seed the cost model.
    const seeds = [SEED_SMALL_UNITS, SEED_SMALL_UNITS, SEED_LARGE_UNITS].map((n) => seedFeeds(n, inline.unitCount));
    const thread = await OnnxThread.open(path, 'vocoder', seeds);
    const [, smallMs = 10, largeMs = 30] = thread.seedMs;
    return new VocoderThread(thread, inline, new VocoderCostModel({ smallUnits: SEED_SMALL_UNITS, smallMs, largeUnits: SEED_LARGE_UNITS, largeMs }));
  }

  /** Whether vocoding still runs in the worker (false after it failed: then it runs inline). */
  get threaded(): boolean {
    return this.thread.threaded;
  }

  /** When a call of `units` submitted now with `deadlineMs` would finish, from now, ms: the calls due before it first. */
  readyInMs(units: number, deadlineMs = Number.POSITIVE_INFINITY): number {
    if (!this.threaded) return this.inline.readyInMs(units);
    return this.thread.msAhead(deadlineMs) + this.cost.runMs(units);
  }

  async vocode(units: readonly number[], opts: VocodeOptions = {}): Promise<VocodeResult> {
    if (!this.threaded) return this.inline.vocode(units);
    if (units.length === 0) return { audio: new Float32Array(0), durationsFrames: [] };
    const ids = unitIds(units, this.inline.unitCount);
    const { outputs, runMs } = await this.thread.run(
      { units: { data: ids, dims: [1, ids.length] } },
      // The ids are ours, freshly allocated: moved, not copied.
      { transfer: true, estimateMs: this.cost.runMs(units.length), ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}) },
    );
    this.cost.observe(units.length, runMs);
    return checkVocoderOutput(units.length, outputs['audio']?.data, outputs['durations']?.data, this.hopSamples);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
