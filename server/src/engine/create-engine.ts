// The one way to build an engine: load the model folder, then serve up to maxSessions callers at once.
import { DEFAULT_MODEL_DIR } from '../runtimes/manifest.ts';
import type { VadKind } from '../runtimes/vad.ts';
import type { SessionLimits } from '../session/session.ts';
import { VoxEngine } from './engine.ts';
import { EngineModel, type ThreadKind } from './model.ts';
import type { Engine } from './types.ts';

export interface CreateEngineOptions {
  /** Model folder with a manifest.json (default: the shipped model). */
  modelDir?: string;
  /** Callers served at once: one LLM sequence each. */
  maxSessions: number;
  /** Voice activity detector for sessions that use VAD; 'off' leaves endpointing to clients. Default 'silero'. */
  vad?: VadKind | 'off';
  /** How often, in ms of new audio, the unit encoder runs while a caller speaks. */
  encoderRunEveryMs?: number;
  sessionLimits?: Partial<SessionLimits>;
  /** Streamed answers vocoded in a worker thread (default) or inline on the event loop. */
  vocoderThread?: ThreadKind;
  /** The unit encoder's windows run inline on the event loop (default) or in a worker thread. */
  encoderThread?: ThreadKind;
  /** Silero's frames batched in a worker thread (default) or scored inline on the event loop. */
  vadThread?: ThreadKind;
  /** LLM contexts decoding in parallel, one thread each (default 1). */
  lmLanes?: number;
}

export async function createEngine(opts: CreateEngineOptions): Promise<Engine> {
  if (!Number.isInteger(opts.maxSessions) || opts.maxSessions < 1) throw new RangeError('maxSessions must be an integer >= 1');
  const model = await EngineModel.load(opts.modelDir ?? DEFAULT_MODEL_DIR, {
    sequences: opts.maxSessions,
    ...(opts.vad !== undefined ? { vad: opts.vad } : {}),
    ...(opts.encoderRunEveryMs !== undefined ? { encoderRunEveryMs: opts.encoderRunEveryMs } : {}),
    ...(opts.vocoderThread !== undefined ? { vocoderThread: opts.vocoderThread } : {}),
    ...(opts.encoderThread !== undefined ? { encoderThread: opts.encoderThread } : {}),
    ...(opts.vadThread !== undefined ? { vadThread: opts.vadThread } : {}),
    ...(opts.lmLanes !== undefined ? { lmLanes: opts.lmLanes } : {}),
  });
  return new VoxEngine(model, opts.maxSessions, opts.sessionLimits);
}
