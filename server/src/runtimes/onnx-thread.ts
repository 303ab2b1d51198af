// One ONNX session in a worker thread, with the queue in front of it. onnxruntime-node runs `session.run()` on
// the calling thread, so every inline run (a vocoder chunk: tens of ms; a unit-encoder window: a few ms, for every
// caller speaking) holds the event loop that paces every caller's audio and dispatches every LLM step.
// Requests wait here in deadline order (earliest first; arrival order among equals) and go to the worker one at a
// time, so an urgent request passes those with time to spare. If the worker dies, the requests it held fail with
// INTERNAL and `threaded` turns false: the owner (VocoderThread, UnitEncoderThread) then runs inline, so no caller
// is left without service for good and the process never goes down with the worker.
import { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors.ts';

const WORKER_FILE = new URL('./onnx-worker.cjs', import.meta.url);
/** The longest close() waits for a run in progress (a long vocoder chunk takes tens of ms). */
const CLOSE_WAIT_MS = 2_000;

/** A tensor as it crosses to the worker: its type is its data's (Float32Array: float32, BigInt64Array: int64). */
export interface WireTensor {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}
export type WireFeeds = Record<string, WireTensor>;
/** The worker's outputs, unchecked: the owner holds them to its model's contract. */
export type WireOutputs = Record<string, { data: unknown; dims: unknown } | undefined>;

export interface OnnxRunResult {
  outputs: WireOutputs;
  /** The graph's run time in the worker, ms (queueing excluded). */
  runMs: number;
}

export interface OnnxRunOptions {
  /** Engine clock (ms) by which the result is needed; default: none (after every request that has one). */
  deadlineMs?: number;
  /** The owner's estimate of this run's time, ms: what `msAhead` adds up. */
  estimateMs?: number;
  /** Move (not copy) the feeds' buffers to the worker: only for buffers the caller will not touch again. */
  transfer?: boolean;
}

interface Reply {
  id?: number;
  ready?: boolean;
  seedMs?: number[];
  outputs?: WireOutputs;
  runMs?: number;
  error?: string;
}

interface Request {
  id: number;
  feeds: WireFeeds;
  transfer: boolean;
  deadlineMs: number;
  estimateMs: number;
  resolve: (r: OnnxRunResult) => void;
  reject: (err: Error) => void;
}

export class OnnxThread {
  /** Waiting requests, earliest deadline first. */
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
    /** What the model is, for errors: "vocoder", "units". */
    readonly label: string,
    /** Run times of the start-up runs, ms, in the order given to `open`. */
    readonly seedMs: readonly number[],
  ) {
    worker.on('message', (r: Reply) => this.onReply(r));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      // A dead worker answers nothing more: close() has no run to wait for.
      this.unanswered = 0;
      this.onWorkerIdle?.();
      if (!this.closing) this.fail(new Error(`exited with code ${code}`));
    });
  }

  /**
   * Starts a worker with its own session on `path`, runs `seeds` there (warm-up; their times come back as
   * `seedMs`) and resolves once it is ready. MODEL_INVALID, naming the file, if the worker cannot load it.
   */
  static async open(path: string, label: string, seeds: readonly WireFeeds[] = []): Promise<OnnxThread> {
    const worker = new Worker(WORKER_FILE, { workerData: { path, seeds } });
    const ready = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((err: Error) => ({ ready: false, error: err.message }) as Reply);
    if (!ready.ready) {
      await worker.terminate();
      throw new GatewayError('MODEL_INVALID', `${label} worker: cannot load ${path}: ${ready.error ?? 'no answer'}`);
    }
    worker.unref();
    return new OnnxThread(worker, label, ready.seedMs ?? []);
  }

  /** Whether runs still go to the worker (false after it failed or once closing: then the owner runs inline). */
  get threaded(): boolean {
    return this.failed === undefined && !this.closing;
  }

  /** Requests waiting or running. */
  get queueDepth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** Estimated work before a request due at `deadlineMs` would start, ms: half the running one, all waiting ones due no later. */
  msAhead(deadlineMs = Number.POSITIVE_INFINITY): number {
    let ahead = this.running ? this.running.estimateMs / 2 : 0;
    for (const r of this.waiting) if (r.deadlineMs <= deadlineMs) ahead += r.estimateMs;
    return ahead;
  }

  run(feeds: WireFeeds, opts: OnnxRunOptions = {}): Promise<OnnxRunResult> {
    if (!this.threaded) return Promise.reject(new GatewayError(this.closing ? 'SHUTTING_DOWN' : 'INTERNAL', `${this.label} worker is not running`));
    return new Promise<OnnxRunResult>((resolve, reject) => {
      const request: Request = {
        id: this.nextId++,
        feeds,
        transfer: opts.transfer === true,
        deadlineMs: opts.deadlineMs ?? Number.POSITIVE_INFINITY,
        estimateMs: opts.estimateMs ?? 0,
        resolve,
        reject,
      };
      let at = this.waiting.length;
      while (at > 0 && (this.waiting[at - 1]?.deadlineMs ?? 0) > request.deadlineMs) at--;
      this.waiting.splice(at, 0, request);
      this.sendNext();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.rejectAll(new GatewayError('SHUTTING_DOWN', `${this.label} closed`));
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
    const transfer = next.transfer ? [...new Set(Object.values(next.feeds).map((t) => t.data.buffer as ArrayBuffer))] : [];
    this.worker.postMessage({ id: next.id, feeds: next.feeds }, transfer);
  }

  private onReply(r: Reply): void {
    if (r.id !== undefined && --this.unanswered === 0) this.onWorkerIdle?.();
    const p = this.running;
    if (r.id === undefined || !p || p.id !== r.id) return;
    this.running = undefined;
    if (this.waiting.length === 0) this.worker.unref();
    this.sendNext();
    if (r.error !== undefined || !r.outputs) return p.reject(new GatewayError('INTERNAL', `${this.label} worker: ${r.error ?? 'no outputs'}`));
    p.resolve({ outputs: r.outputs, runMs: r.runMs ?? 0 });
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.rejectAll(new GatewayError('INTERNAL', `${this.label} worker failed (${err.message}); running inline from now on`));
  }

  private rejectAll(err: Error): void {
    const all = [...(this.running ? [this.running] : []), ...this.waiting];
    this.running = undefined;
    this.waiting.length = 0;
    for (const p of all) p.reject(err);
  }
}
