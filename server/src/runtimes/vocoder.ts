// The vocoder runtime: merged units → 16 kHz samples through vocoder.onnx (docs/models.md).
// One InferenceSession per model file serves every caller; it holds no caller state.
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GatewayError } from '../errors.ts';
import { VocoderCostModel } from './vocoder-cost.ts';

export interface VocodeResult {
  /** Float32 mono PCM, exactly sum(durationsFrames) * hopSamples samples. */
  audio: Float32Array;
  /** Predicted frames of hopSamples per input unit, each >= 1. */
  durationsFrames: number[];
}

export interface VocodeOptions {
  /** Engine clock (ms) by which the audio is needed: where calls queue, the earliest goes first. */
  deadlineMs?: number;
}

/** What a VocoderStream needs: the runtime, or a fake in tests. */
export interface UnitVocoder {
  readonly hopSamples: number;
  vocode(units: readonly number[], opts?: VocodeOptions): Promise<VocodeResult>;
  /** Learned: how long until a call of `units` submitted now would be done, ms (queueing included). Fakes may omit it. */
  readyInMs?(units: number, deadlineMs?: number): number;
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
    /** This machine's cost per call, learned (one model per session: every runtime on it shares it). */
    readonly cost: VocoderCostModel,
  ) {
    this.hopSamples = opts.hopSamples;
    this.unitCount = opts.unitCount;
  }

  /** Vocodes merged units in one call. An empty input gives empty audio without running the graph. */
  async vocode(units: readonly number[]): Promise<VocodeResult> {
    if (units.length === 0) return { audio: new Float32Array(0), durationsFrames: [] };
    const ids = unitIds(units, this.unitCount);
    const t0 = performance.now();
    const out = await this.session.run({ units: new ort.Tensor('int64', ids, [1, units.length]) });
    this.cost.observe(units.length, performance.now() - t0);
    return checkVocoderOutput(units.length, out['audio']?.data, out['durations']?.data, this.hopSamples);
  }

  /** Inline calls run on the caller's turn of the event loop: no queue of their own. */
  readyInMs(units: number): number {
    return this.cost.runMs(units);
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

interface LoadedSession {
  session: ort.InferenceSession;
  cost: VocoderCostModel;
}

const sessions = new Map<string, Promise<LoadedSession>>();

/** Sizes of the start-up calls that seed the cost model (inline and in the worker): about a first chunk's and a regular chunk's. */
export const SEED_SMALL_UNITS = 16;
export const SEED_LARGE_UNITS = 48;

async function timedRun(s: ort.InferenceSession, units: number, unitCount: number): Promise<number> {
  const ids = BigInt64Array.from({ length: units }, (_, i) => BigInt((i * 37) % unitCount));
  const t0 = performance.now();
  await s.run({ units: new ort.Tensor('int64', ids, [1, units]) });
  return performance.now() - t0;
}

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
      // than in the first caller's time to first audio. Then two timed runs seed the cost model.
      await timedRun(s, SEED_SMALL_UNITS, opts.unitCount).catch(() => undefined);
      const smallMs = await timedRun(s, SEED_SMALL_UNITS, opts.unitCount).catch(() => 10);
      const largeMs = await timedRun(s, SEED_LARGE_UNITS, opts.unitCount).catch(() => 30);
      return { session: s, cost: new VocoderCostModel({ smallUnits: SEED_SMALL_UNITS, smallMs, largeUnits: SEED_LARGE_UNITS, largeMs }) };
    });
    sessions.set(path, session);
    session.catch(() => sessions.delete(path));
  }
  try {
    const loaded = await session;
    return new VocoderRuntime(loaded.session, opts, loaded.cost);
  } catch (err) {
    throw new GatewayError('MODEL_INVALID', `vocoder: cannot load ${path}: ${(err as Error).message}`, { cause: err });
  }
}
