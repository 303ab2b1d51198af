// Silero VAD for many callers at once, off the event loop. Every caller with server-side turn detection (phone
// streams, Realtime clients) scores a 32 ms frame all the time they are connected; inline, each frame is one
// onnxruntime run on the event loop (about 0.2 ms, most of it the run's fixed cost). Here frames go to a worker
// thread with its own session (onnx-thread.ts) in batches: a frame waits at most BATCH_WAIT_MS for others (and
// frames that arrive while a run is in flight go with the next), since the graph takes a batch axis and one run of
// 16 frames took 1.1 ms on the project's machine against 0.21 ms for one frame. 8 ms against 32 ms frames and an
// end of speech that waits hundreds of ms of silence. `npx tsx bench/vad-batch.ts` measures both arms.
// Each caller's recurrent state stays here, one row of the batch's state. If the worker dies, frames are scored
// inline on the main thread's session, state carried over.
import { GatewayError } from '../errors.ts';
import { OnnxThread, type WireFeeds } from './onnx-thread.ts';
import { halveRate, loadVad, NARROWBAND_RATE_HZ, SILERO_STATE_LAYERS as LAYERS, SILERO_STATE_SIZE, SILERO_STATE_WIDTH as STATE_WIDTH, sileroModelPath, SileroVad, type VadKind, type VoiceActivityModel, type VoiceActivityStream, type VoiceActivityStreamOptions } from './vad.ts';

/** The longest a frame waits for others to share its run, ms. */
const BATCH_WAIT_MS = 8;
/** Frames in one run at most (sent at once when reached). */
const MAX_BATCH = 32;

interface Pending {
  /** As scored: at sampleRateHz, or halved for a narrowband caller. */
  frame: Float32Array;
  state: StreamState;
  /** Arrival order across rates: the rate whose oldest frame came first goes next. */
  arrival: number;
  resolve: (p: number) => void;
  reject: (err: Error) => void;
}

interface StreamState {
  h: Float32Array;
  c: Float32Array;
}

/** Stacks each caller's frame and state into one batch's feeds (state layout [layers, batch, width]); frames of one rate. */
export function packBatch(items: readonly { frame: Float32Array; h: Float32Array; c: Float32Array }[], frameSamples: number, sampleRateHz: number): WireFeeds {
  const b = items.length;
  const input = new Float32Array(b * frameSamples);
  const h = new Float32Array(LAYERS * b * STATE_WIDTH);
  const c = new Float32Array(LAYERS * b * STATE_WIDTH);
  items.forEach((item, row) => {
    input.set(item.frame, row * frameSamples);
    for (let layer = 0; layer < LAYERS; layer++) {
      const from = layer * STATE_WIDTH;
      const to = (layer * b + row) * STATE_WIDTH;
      h.set(item.h.subarray(from, from + STATE_WIDTH), to);
      c.set(item.c.subarray(from, from + STATE_WIDTH), to);
    }
  });
  return {
    input: { data: input, dims: [b, frameSamples] },
    sr: { data: BigInt64Array.from([BigInt(sampleRateHz)]), dims: [] },
    h: { data: h, dims: [LAYERS, b, STATE_WIDTH] },
    c: { data: c, dims: [LAYERS, b, STATE_WIDTH] },
  };
}

/** One caller's probability and next state out of a batch's outputs. */
export function unpackRow(outputs: { output: Float32Array; hn: Float32Array; cn: Float32Array }, row: number, batch: number): { probability: number; h: Float32Array; c: Float32Array } {
  const h = new Float32Array(SILERO_STATE_SIZE);
  const c = new Float32Array(SILERO_STATE_SIZE);
  for (let layer = 0; layer < LAYERS; layer++) {
    const from = (layer * batch + row) * STATE_WIDTH;
    h.set(outputs.hn.subarray(from, from + STATE_WIDTH), layer * STATE_WIDTH);
    c.set(outputs.cn.subarray(from, from + STATE_WIDTH), layer * STATE_WIDTH);
  }
  return { probability: outputs.output[row] ?? 0, h, c };
}

/** loadVad's detector; Silero's frames batched in a worker thread unless `thread` is 'inline'. */
export async function openVad(kind: VadKind, sampleRateHz: number, thread: 'worker' | 'inline'): Promise<VoiceActivityModel> {
  const vad = await loadVad(kind, sampleRateHz);
  const path = sileroModelPath();
  if (thread === 'inline' || !(vad instanceof SileroVad) || !path) return vad;
  try {
    return await SileroVadThread.open(path, vad);
  } catch (err) {
    await vad.close();
    throw err;
  }
}

export class SileroVadThread implements VoiceActivityModel {
  readonly kind = 'silero' as const;
  readonly frameSamples: number;
  readonly sampleRateHz: number;
  /** Frames waiting, by the rate they are scored at (a run takes one rate). */
  private readonly pending = new Map<number, Pending[]>();
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private arrivals = 0;
  /** Runs and frames scored so far (frames over runs: how much batching happened). */
  runs = 0;
  frames = 0;

  private constructor(
    private readonly thread: OnnxThread,
    /** Serves after a worker failure; also the contract (frame size, rate). */
    private readonly inline: SileroVad,
  ) {
    this.frameSamples = inline.frameSamples;
    this.sampleRateHz = inline.sampleRateHz;
  }

  static async open(path: string, inline: SileroVad): Promise<SileroVadThread> {
    // Warm-up: a single frame and a batch (a session's first runs allocate).
    const silent = (n: number) => Array.from({ length: n }, () => ({ frame: new Float32Array(inline.frameSamples), h: new Float32Array(SILERO_STATE_SIZE), c: new Float32Array(SILERO_STATE_SIZE) }));
    const seeds = [packBatch(silent(1), inline.frameSamples, inline.sampleRateHz), packBatch(silent(8), inline.frameSamples, inline.sampleRateHz)];
    return new SileroVadThread(await OnnxThread.open(path, 'vad', seeds), inline);
  }

  /** Whether frames still go to the worker (false after it failed: then inline). */
  get threaded(): boolean {
    return this.thread.threaded;
  }

  openStream(opts: VoiceActivityStreamOptions = {}): VoiceActivityStream {
    const state: StreamState = { h: new Float32Array(SILERO_STATE_SIZE), c: new Float32Array(SILERO_STATE_SIZE) };
    const narrow = opts.narrowband === true;
    const rateHz = narrow ? NARROWBAND_RATE_HZ : this.sampleRateHz;
    return {
      score: (frame) => {
        if (frame.length !== this.frameSamples) return Promise.reject(new RangeError(`Silero frames are ${this.frameSamples} samples`));
        if (this.closed) return Promise.reject(new GatewayError('SHUTTING_DOWN', 'vad closed'));
        return new Promise<number>((resolve, reject) => {
          const queue = this.pending.get(rateHz) ?? [];
          queue.push({ frame: narrow ? halveRate(frame) : frame, state, arrival: this.arrivals++, resolve, reject });
          this.pending.set(rateHz, queue);
          this.dispatch();
        });
      },
      reset: () => {
        state.h = new Float32Array(SILERO_STATE_SIZE);
        state.c = new Float32Array(SILERO_STATE_SIZE);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const waiting = [...this.pending.values()].flat();
    this.pending.clear();
    for (const p of waiting) p.reject(new GatewayError('SHUTTING_DOWN', 'vad closed'));
    await this.thread.close();
    await this.inline.close();
  }

  /**
   * Sends what waits as one batch once it is full or its first frame has waited BATCH_WAIT_MS; while a batch is in
   * flight the next one gathers, and goes as soon as that one is back.
   */
  private dispatch(waited = false): void {
    if (this.inFlight) return;
    // A run takes one rate: the one whose oldest frame has waited longest, so neither rate's callers wait on the other's.
    let rateHz = 0;
    let queue: Pending[] = [];
    for (const [r, q] of this.pending) {
      const oldest = q[0]?.arrival;
      if (oldest !== undefined && (queue[0] === undefined || oldest < queue[0].arrival)) [rateHz, queue] = [r, q];
    }
    if (queue.length === 0) return;
    if (!waited && queue.length < MAX_BATCH) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.dispatch(true);
      }, BATCH_WAIT_MS);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = queue.splice(0, MAX_BATCH);
    this.inFlight = true;
    void this.runBatch(batch, rateHz).finally(() => {
      this.inFlight = false;
      this.dispatch(true);
    });
  }

  private async runBatch(batch: Pending[], rateHz: number): Promise<void> {
    try {
      const frameSamples = batch[0]?.frame.length ?? this.frameSamples;
      const feeds = packBatch(batch.map((p) => ({ frame: p.frame, h: p.state.h, c: p.state.c })), frameSamples, rateHz);
      const outputs = this.threaded ? (await this.thread.run(feeds, { transfer: true })).outputs : await this.inline.runFeeds(feeds);
      const output = outputs['output']?.data;
      const hn = outputs['hn']?.data;
      const cn = outputs['cn']?.data;
      if (!(output instanceof Float32Array) || !(hn instanceof Float32Array) || !(cn instanceof Float32Array) || output.length !== batch.length) {
        throw new GatewayError('INTERNAL', `vad: expected ${batch.length} probabilities and float32 states from the batch`);
      }
      this.runs++;
      this.frames += batch.length;
      batch.forEach((p, row) => {
        const next = unpackRow({ output, hn, cn }, row, batch.length);
        p.state.h = next.h;
        p.state.c = next.c;
        p.resolve(next.probability);
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}
