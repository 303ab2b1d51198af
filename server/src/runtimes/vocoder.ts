// The vocoder runtime: merged units → 16 kHz samples through vocoder.onnx (docs/models.md).
// One InferenceSession per model file serves every caller; it holds no caller state.
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GatewayError } from '../errors.ts';

export interface VocodeResult {
  /** Float32 mono PCM, exactly sum(durationsFrames) * hopSamples samples. */
  audio: Float32Array;
  /** Predicted frames of hopSamples per input unit, each >= 1. */
  durationsFrames: number[];
}

/** What a VocoderStream needs: the runtime, or a fake in tests. */
export interface UnitVocoder {
  readonly hopSamples: number;
  vocode(units: readonly number[]): Promise<VocodeResult>;
}

export interface VocoderOpenOptions {
  /** Samples per duration frame (manifest vocoder.hopSamples). */
  hopSamples: number;
  /** Unit ids must lie in [0, unitCount) (manifest units.count); the graph would fail on others. */
  unitCount: number;
}

export class VocoderRuntime implements UnitVocoder {
  readonly hopSamples: number;
  readonly unitCount: number;

  constructor(
    private readonly session: ort.InferenceSession,
    opts: VocoderOpenOptions,
  ) {
    this.hopSamples = opts.hopSamples;
    this.unitCount = opts.unitCount;
  }

  /** Vocodes merged units in one call. An empty input gives empty audio without running the graph. */
  async vocode(units: readonly number[]): Promise<VocodeResult> {
    if (units.length === 0) return { audio: new Float32Array(0), durationsFrames: [] };
    const ids = unitIds(units, this.unitCount);
    const out = await this.session.run({ units: new ort.Tensor('int64', ids, [1, units.length]) });
    return checkVocoderOutput(units.length, out['audio']?.data, out['durations']?.data, this.hopSamples);
  }

  /** Whole-utterance vocoding: the reference the streamed output is held to. */
  async vocodeAll(units: readonly number[]): Promise<Float32Array> {
    return (await this.vocode(units)).audio;
  }
}

/** The graph's int64 input; unit ids outside [0, unitCount) would fail inside the graph, so they fail here. */
export function unitIds(units: readonly number[], unitCount: number): BigInt64Array {
  const ids = new BigInt64Array(units.length);
  units.forEach((unit, i) => {
    if (!Number.isInteger(unit) || unit < 0 || unit >= unitCount) {
      throw new GatewayError('MODEL_OUTPUT_MALFORMED', `vocoder: unit ${unit} at ${i} is not an id in [0, ${unitCount})`);
    }
    ids[i] = BigInt(unit);
  });
  return ids;
}

/** Holds the graph's outputs to the manifest's contract: one duration per unit, frames × hop samples. */
export function checkVocoderOutput(unitCount: number, audio: unknown, durations: unknown, hopSamples: number): VocodeResult {
  if (!(audio instanceof Float32Array) || !(durations instanceof BigInt64Array)) {
    throw new GatewayError('MODEL_INVALID', 'vocoder: outputs must be float32 `audio` and int64 `durations`');
  }
  const durationsFrames = Array.from(durations, Number);
  const frames = durationsFrames.reduce((a, b) => a + b, 0);
  if (durationsFrames.length !== unitCount || audio.length !== frames * hopSamples) {
    throw new GatewayError(
      'MODEL_INVALID',
      `vocoder: ${audio.length} samples for ${frames} frames of ${hopSamples}; expected one duration per unit and frames * hop samples`,
    );
  }
  return { audio, durationsFrames };
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * Opens (once per file) the vocoder session. One intra-op thread: callers are many and cores
 * are few, so parallelism comes from running callers side by side, not from splitting one call.
 */
export async function openVocoder(file: string, opts: VocoderOpenOptions): Promise<VocoderRuntime> {
  const path = resolve(file);
  let session = sessions.get(path);
  if (!session) {
    session = ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' }).then(async (s) => {
      // One throwaway run: a session's first run allocates and is several times slower; better at start-up
      // than in the first caller's time to first audio.
      await s.run({ units: new ort.Tensor('int64', BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i % 2)), [1, 16]) }).catch(() => undefined);
      return s;
    });
    sessions.set(path, session);
    session.catch(() => sessions.delete(path));
  }
  try {
    return new VocoderRuntime(await session, opts);
  } catch (err) {
    throw new GatewayError('MODEL_INVALID', `vocoder: cannot load ${path}: ${(err as Error).message}`, { cause: err });
  }
}
