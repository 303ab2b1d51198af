// Where the engine integration tests find a real model: VOXGATE_MODEL_DIR (a GGUF or an ONNX LM folder), else the
// shipped one.
import { DEFAULT_MODEL_DIR, loadManifest } from '../../server/src/runtimes/manifest.ts';
import type { EngineEvent, EngineSession } from '../../server/src/engine/types.ts';
import { hasEspeak } from './engine-speech.ts';

export const MODEL_DIR = process.env['VOXGATE_MODEL_DIR'] ?? DEFAULT_MODEL_DIR;
/** The folder's manifest is valid and names files that exist (whichever LM runtime it uses). */
export const MODEL_FILES = modelFolderLoads(MODEL_DIR);
export const MODEL_READY = MODEL_FILES && hasEspeak();

function modelFolderLoads(dir: string): boolean {
  try {
    loadManifest(dir);
    return true;
  } catch {
    return false;
  }
}

export interface Recorder {
  events: EngineEvent[];
  next(pred: (e: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  finalText(type: 'transcript.final' | 'answer.final', turnId: string): string | undefined;
  audioSamples(turnId: string): number;
}

export function record(session: EngineSession): Recorder {
  const events: EngineEvent[] = [];
  const waiters: { pred: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  session.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve(e) : waiters.push(w));
  });
  return {
    events,
    next: (pred, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const seen = events.find(pred);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error(`timed out; saw ${events.map((e) => e.type).join(', ')}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      }),
    finalText: (type, turnId) => {
      const e = events.find((x) => x.type === type && x.turnId === turnId);
      return e && 'text' in e ? e.text : undefined;
    },
    audioSamples: (turnId) => events.reduce((n, e) => n + (e.type === 'audio.chunk' && e.turnId === turnId ? e.pcm.length : 0), 0),
  };
}

/** Pushes audio in 20 ms chunks, paced at `speed` × real time (Infinity: all at once). */
export async function stream(session: EngineSession, pcm: Float32Array, speed = Infinity): Promise<void> {
  const chunk = 320;
  const start = performance.now();
  for (let at = 0; at < pcm.length; at += chunk) {
    session.pushAudio(pcm.subarray(at, at + chunk));
    if (Number.isFinite(speed)) {
      const due = start + ((at + chunk) / 16) / speed;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
