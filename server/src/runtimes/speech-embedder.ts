// The LLaSM path's speech input: speech.onnx turns PCM into one adapted LM embedding per hop (the speech encoder's
// continuous states, stacked and projected by the adaptor; models/recipe/voxgate_recipe/adaptor.py). It streams
// like the unit extractor (one UnitEncoderStream per caller, each window with its left context), so the rows can be
// prefilled into the caller's ONNX LM sequence while they speak. One InferenceSession serves every caller.
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GatewayError } from '../errors.ts';
import type { EmbeddingSlots } from './embedding-slots.ts';
import { UnitEncoderStream, withLeftContext, type UnitEncoderStreamOptions, type UnitStream, type WindowEncoder } from './unit-encoder.ts';

export interface SpeechEmbedderSpec {
  hopSamples: number;
  leftContextSamples: number;
}

export class SpeechEmbedder implements WindowEncoder<Float32Array> {
  readonly hopSamples: number;
  readonly leftContextSamples: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    spec: SpeechEmbedderSpec,
    /** Floats per embedding row: the LM's dim. */
    readonly dim: number,
  ) {
    this.hopSamples = spec.hopSamples;
    this.leftContextSamples = spec.leftContextSamples;
  }

  /** One intra-op thread, as the unit extractor: parallelism comes from many callers. */
  static async load(path: string, spec: SpeechEmbedderSpec): Promise<SpeechEmbedder> {
    const abs = resolve(path);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(abs, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    } catch (err) {
      throw new GatewayError('MODEL_INVALID', `speech: cannot load ${abs}: ${(err as Error).message}`, { cause: err });
    }
    const out = session.outputMetadata.find((m) => m.name === 'embeddings');
    const dim = out?.isTensor ? out.shape[2] : undefined;
    if (!session.inputNames.includes('pcm') || typeof dim !== 'number') {
      await session.release();
      throw new GatewayError('MODEL_INVALID', `speech: ${abs} must take input "pcm" and give output "embeddings" [1, k, dim]`);
    }
    return new SpeechEmbedder(session, spec, dim);
  }

  /** One row of `dim` floats per whole hop after the left context. */
  async encodeWindow(pcm: Float32Array): Promise<Float32Array[]> {
    const hops = Math.floor((pcm.length - this.leftContextSamples) / this.hopSamples);
    if (hops <= 0) return [];
    const out = await this.session.run({ pcm: new ort.Tensor('float32', pcm, [1, pcm.length]) });
    const data = out['embeddings']?.data;
    if (!(data instanceof Float32Array) || data.length !== hops * this.dim) {
      throw new GatewayError('MODEL_INVALID', `speech: expected ${hops} × ${this.dim} float32 for ${pcm.length} samples, got ${data?.length ?? 'none'}`);
    }
    return Array.from({ length: hops }, (_, i) => data.slice(i * this.dim, (i + 1) * this.dim));
  }

  /** Offline reference: the whole utterance after leftContextSamples of zeros, as at training time. */
  encodeUtterance(pcm: Float32Array): Promise<Float32Array[]> {
    return this.encodeWindow(withLeftContext(pcm, this.leftContextSamples));
  }

  openStream(opts: UnitEncoderStreamOptions = {}): UnitEncoderStream<Float32Array> {
    return new UnitEncoderStream(this, opts);
  }

  /**
   * The session's speech stream for an embedding-input LM: each hop's row is held in `slots` and its id handed on,
   * so the session's id-based speech path (trim, prefill while speaking, turn bookkeeping) carries it unchanged.
   */
  openIdStream(slots: EmbeddingSlots, opts: UnitEncoderStreamOptions = {}): UnitStream {
    const stream = this.openStream(opts);
    return {
      push: async (pcm) => slots.register(await stream.push(pcm)),
      get encodedSamples() {
        return stream.encodedSamples;
      },
      runNow: async () => slots.register(await stream.runNow()),
      flush: async (usefulSamples) => slots.register(await stream.flush(usefulSamples)),
    };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** Rows as one [rows, dim] block, what OnnxLmRuntime.prefillEmbeddings takes. */
export function joinRows(rows: readonly Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => out.set(row, i * dim));
  return out;
}
