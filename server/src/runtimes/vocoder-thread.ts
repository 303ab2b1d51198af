// Vocoding off the event loop: onnxruntime-node runs `session.run()` on the calling thread, so an inline
// vocoder chunk (tens of ms) stalls the loop that paces every caller's audio. VocoderThread sends each
// chunk to one worker thread with its own session; the main thread keeps pacing, decoding and batching.
// Measured with `npx tsx bench/capacity.ts` (docs/loadtest.md): event-loop p99 ≈ 50 ms inline → 7–27 ms.
// If the worker dies, the requests it held fail with INTERNAL and later ones run inline: no caller is left
// without audio for good, and the process never goes down with it.
import { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors.ts';
import { checkVocoderOutput, unitIds, type UnitVocoder, type VocodeResult, type VocoderRuntime } from './vocoder.ts';

const WORKER_FILE = new URL('./vocoder-worker.cjs', import.meta.url);

interface Reply {
  id?: number;
  ready?: boolean;
  audio?: unknown;
  durations?: unknown;
  error?: string;
}

interface Pending {
  unitCount: number;
  resolve: (r: VocodeResult) => void;
  reject: (err: Error) => void;
}

export class VocoderThread implements UnitVocoder {
  readonly hopSamples: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    /** Serves after a worker failure; also the source of the contract (hop, unit count). */
    private readonly inline: VocoderRuntime,
  ) {
    this.hopSamples = inline.hopSamples;
    worker.on('message', (r: Reply) => this.onReply(r));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`exited with code ${code}`));
    });
  }

  /** Requests sent to the worker and not yet answered. */
  get queueDepth(): number {
    return this.pending.size;
  }

  /** Starts the worker on `path` and waits until its session is ready. */
  static async open(path: string, inline: VocoderRuntime): Promise<VocoderThread> {
    const worker = new Worker(WORKER_FILE, { workerData: { path } });
    const ready = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((err: Error) => ({ ready: false, error: err.message }));
    if (!ready.ready) {
      await worker.terminate();
      throw new GatewayError('MODEL_INVALID', `vocoder worker: cannot load ${path}: ${ready.error ?? 'no answer'}`);
    }
    worker.unref();
    return new VocoderThread(worker, inline);
  }

  /** Whether vocoding still runs in the worker (false after it failed: then it runs inline). */
  get threaded(): boolean {
    return this.failed === undefined && !this.closing;
  }

  vocode(units: readonly number[]): Promise<VocodeResult> {
    if (!this.threaded) return this.inline.vocode(units);
    if (units.length === 0) return Promise.resolve({ audio: new Float32Array(0), durationsFrames: [] });
    let ids: BigInt64Array;
    try {
      ids = unitIds(units, this.inline.unitCount);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.nextId++;
    return new Promise<VocodeResult>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // a request in flight keeps the process alive, an idle worker not
      this.pending.set(id, { unitCount: units.length, resolve, reject });
      this.worker.postMessage({ id, ids }, [ids.buffer as ArrayBuffer]); // ours, freshly allocated: moved, not copied
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.rejectAll(new GatewayError('SHUTTING_DOWN', 'vocoder closed'));
    await this.worker.terminate();
  }

  private onReply(r: Reply): void {
    if (r.id === undefined) return;
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
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
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
