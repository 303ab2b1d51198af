// The real GGUF LM of the model folder under test, loaded once for a describe block: the engine model (one lane, no
// VAD, the vocoder inline), its LM runtime, and text-to-speech prompts for it.
import { afterAll, beforeAll } from 'vitest';
import { EngineModel } from '../../server/src/engine/model.ts';
import type { LmRuntime } from '../../server/src/runtimes/lm.ts';
import { MODEL_DIR } from './engine-model.ts';

export interface LmUnderTest {
  readonly model: EngineModel;
  readonly lm: LmRuntime;
  /** The text-to-speech prompt around `text`, as token ids. */
  prompt(text: string): number[];
}

/** Call inside a describe block: loads before its tests with room for `sequences` callers, closes after them. */
export function lmUnderTest(sequences: number): LmUnderTest {
  let model: EngineModel | undefined;
  beforeAll(async () => {
    model = await EngineModel.load(MODEL_DIR, { vad: 'off', vocoderThread: 'inline', sequences, lmLanes: 1 });
  });
  afterAll(async () => {
    await model?.close();
  });
  const loaded = (): EngineModel => {
    if (model === undefined) throw new Error('the model loads in beforeAll');
    return model;
  };
  return {
    get model() {
      return loaded();
    },
    get lm() {
      return loaded().lm as LmRuntime;
    },
    prompt(text) {
      const m = loaded();
      const p = m.prompt('text-to-speech');
      return [...p.before, ...m.textTokens(text), ...p.after];
    },
  };
}
