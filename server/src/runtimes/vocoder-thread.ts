// Vocoding off the event loop: onnxruntime-node runs `session.run()` on the calling thread, so an inline
// vocoder chunk (tens of ms) stalls the loop that paces every caller's audio. VocoderThread sends each
// chunk to one worker thread with its own session; the main thread keeps pacing, decoding and batching.
// Measured with `npx tsx bench/capacity.ts` (docs/loadtest.md): event-loop p99 ≈ 50 ms inline → 7–27 ms.
// Requests wait on this side in deadline order (earliest first: the caller whose playout runs dry soonest) and go
// to the worker one at a time, so a late-comer with an urgent first chunk passes callers with seconds buffered.
// One worker: on two cores the LLM's thread takes the other (a pool sized to more cores is the next step).
// If the worker dies, the requests it held fail with INTERNAL and later ones run inline: no caller is left
// without audio for good, and the process never goes down with it.
import { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors.ts';
import { VocoderCostModel } from './vocoder-cost.ts';
import { checkVocoderOutput, SEED_LARGE_UNITS, SEED_SMALL_UNITS, unitIds, type UnitVocoder, type VocodeOptions, type VocodeResult, type VocoderRuntime } from './vocoder.ts';

const WORKER_FILE = new URL('./vocoder-worker.cjs', import.meta.url);
/** The longest close() waits for a vocoder run in progress (a long chunk takes tens of ms). */
const CLOSE_WAIT_MS = 2_000;

interface Reply {
  id?: number;
  ready?: boolean;
  /** Warm-up timings at start-up: [units, ms] of a small and a large call. */
  seed?: [number, number, number, number];
  audio?: unknown;
  durations?: unknown;
  /** The graph's run time in the worker, ms (queueing excluded). */
  runMs?: number;
  error?: string;
}

interface Request {
  id: number;
  ids: BigInt64Array;
  unitCount: number;
  deadlineMs: number;
  resolve: (r: VocodeResult) => void;
  reject: (err: Error) => void;
}

export class VocoderThread implements UnitVocoder {
  readonly hopSamples: number;
  /** Waiting requests, earliest deadline first; at most one per answer being vocoded, so bounded by the callers. */
  private readonly waiting: Request[] = [];
  private running: Request | undefined;
  private nextId = 0;
  private failed: Error | undefined;
  private closing = false;
  /** Requests the worker has been sent and not answered (it may be inside a native run even after a failure). */
  private unanswered = 0;
  private onWorkerIdle: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    /** Serves after a worker failure; also the source of the contract (hop, unit count). */
    private readonly inline: VocoderRuntime,
    readonly cost: VocoderCostModel,
  ) {
    this.hopSamples = inline.hopSamples;
    worker.on('message', (r: Reply) => this.onReply(r));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      // A dead worker answers nothing more: close() has no run to wait for.
      this.unanswered = 0;
      this.onWorkerIdle?.();
      if (!this.closing) this.fail(new Error(`exited with code ${code}`));
    });
  }

  /** Requests waiting or running. */
  get queueDepth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** Starts the worker on `path` and waits until its session is ready. */
  static async open(path: string, inline: VocoderRuntime): Promise<VocoderThread> {
    const worker = new Worker(WORKER_FILE, { workerData: { path, unitCount: inline.unitCount, seedUnits: [SEED_SMALL_UNITS, SEED_LARGE_UNITS] } });
    const ready = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((err: Error) => ({ ready: false, error: err.message }) as Reply);
    if (!ready.ready) {
      await worker.terminate();
      throw new GatewayError('MODEL_INVALID', `vocoder worker: cannot load ${path}: ${ready.error ?? 'no answer'}`);
    }
    worker.unref();
    const [smallUnits, smallMs, largeUnits, largeMs] = ready.seed ?? [SEED_SMALL_UNITS, 10, SEED_LARGE_UNITS, 30];
    return new VocoderThread(worker, inline, new VocoderCostModel({ smallUnits, smallMs, largeUnits, largeMs }));
  }

  /** Whether vocoding still runs in the worker (false after it failed: then it runs inline). */
  get threaded(): boolean {
    return this.failed === undefined && !this.closing;
  }

  /** When a call of `units` submitted now with `deadlineMs` would finish, from now, ms: the calls due before it first. */
  readyInMs(units: number, deadlineMs = Number.POSITIVE_INFINITY): number {
    if (!this.threaded) return this.inline.readyInMs(units);
    let ahead = this.running ? this.cost.runMs(this.running.unitCount) / 2 : 0;
    for (const r of this.waiting) if (r.deadlineMs <= deadlineMs) ahead += this.cost.runMs(r.unitCount);
    return ahead + this.cost.runMs(units);
  }

  vocode(units: readonly number[], opts: VocodeOptions = {}): Promise<VocodeResult> {
    if (!this.threaded) return this.inline.vocode(units);
    if (units.length === 0) return Promise.resolve({ audio: new Float32Array(0), durationsFrames: [] });
    let ids: BigInt64Array;
    try {
      ids = unitIds(units, this.inline.unitCount);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<VocodeResult>((resolve, reject) => {
      const request: Request = { id: this.nextId++, ids, unitCount: units.length, deadlineMs: opts.deadlineMs ?? Number.POSITIVE_INFINITY, resolve, reject };
      // Insert after every request due no later (earliest deadline first, arrival order among equals).
      let at = this.waiting.length;
      while (at > 0 && (this.waiting[at - 1]?.deadlineMs ?? 0) > request.deadlineMs) at--;
      this.waiting.splice(at, 0, request);
      this.sendNext();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.rejectAll(new GatewayError('SHUTTING_DOWN', 'vocoder closed'));
    // Terminating a worker inside onnxruntime's native run aborts the whole process (the addon throws into a
    // dying environment): let the run in progress end first, for at most CLOSE_WAIT_MS.
    if (this.unanswered > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.onWorkerIdle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    await this.worker.terminate();
  }

  private sendNext(): void {
    if (this.running || !this.threaded) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.running = next;
    this.worker.ref(); // a request in flight keeps the process alive, an idle worker not
    this.unanswered++;
    this.worker.postMessage({ id: next.id, ids: next.ids }, [next.ids.buffer as ArrayBuffer]); // ours, freshly allocated: moved, not copied
  }

  private onReply(r: Reply): void {
    if (r.id !== undefined && --this.unanswered === 0) this.onWorkerIdle?.();
    const p = this.running;
    if (r.id === undefined || !p || p.id !== r.id) return;
    this.running = undefined;
    if (this.waiting.length === 0) this.worker.unref();
    if (r.runMs !== undefined) this.cost.observe(p.unitCount, r.runMs);
    this.sendNext();
    if (r.error !== undefined) return p.reject(new GatewayError('INTERNAL', `vocoder worker: ${r.error}`));
    try {
      p.resolve(checkVocoderOutput(p.unitCount, r.audio, r.durations, this.hopSamples));
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.rejectAll(new GatewayError('INTERNAL', `vocoder worker failed (${err.message}); vocoding inline from now on`));
  }

  private rejectAll(err: Error): void {
    const all = [...(this.running ? [this.running] : []), ...this.waiting];
    this.running = undefined;
    this.waiting.length = 0;
    for (const p of all) p.reject(err);
  }
}
