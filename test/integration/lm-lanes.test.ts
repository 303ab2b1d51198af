// LLM lanes on the real model (node-llama-cpp on the shipped lm.gguf): sequences spread over contexts that decode in
// parallel, the pool's limit holds across them, and a caller's greedy answer is the same on any lane, also while the
// other lane generates, as on a one-lane runtime.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { EngineModel } from '../../server/src/engine/model.ts';
import { LmRuntime, type LmSequence } from '../../server/src/runtimes/lm.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';
import { GatewayError } from '../../server/src/errors.ts';
import { MODEL_DIR, MODEL_FILES } from './engine-model.ts';

const manifest = MODEL_FILES ? loadManifest(MODEL_DIR) : undefined;
const GGUF = manifest?.lm.runtime === 'gguf';

describeIf(GGUF, 'a GGUF model folder (the shipped models/voxgate-tiny-en)')('LLM lanes on the real LM', () => {
  let laned: EngineModel;
  let one: EngineModel;
  let lanes: LmRuntime;
  let single: LmRuntime;
  beforeAll(async () => {
    const opts = { vad: 'off', vocoderThread: 'inline' } as const;
    laned = await EngineModel.load(MODEL_DIR, { ...opts, sequences: 3, lmLanes: 2 });
    one = await EngineModel.load(MODEL_DIR, { ...opts, sequences: 1 });
    lanes = laned.lm as LmRuntime;
    single = one.lm as LmRuntime;
  });
  afterAll(async () => {
    await Promise.all([laned?.close(), one?.close()]);
  });

  async function answer(lm: LmRuntime, seq: LmSequence, text: string): Promise<number[]> {
    const p = one.prompt('text-to-text');
    const prompt = [...p.before, ...one.textTokens(text), ...p.after];
    const out: number[] = [];
    for await (const t of lm.greedy(seq, prompt, 200)) out.push(t);
    return out;
  }

  it('spreads sequences over the lanes and refuses past the pool with SERVER_FULL', async () => {
    expect(lanes.laneCount).toBe(2);
    const held = [lanes.acquireSequence(), lanes.acquireSequence(), lanes.acquireSequence()];
    try {
      expect(held[0]!.lane).not.toBe(held[1]!.lane);
      expect(lanes.freeSequences).toBe(0);
      let err: unknown;
      try {
        lanes.acquireSequence();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('SERVER_FULL');
    } finally {
      await Promise.all(held.map((s) => s.release()));
    }
    expect(lanes.freeSequences).toBe(3);
  });

  it('answers the same on either lane, both generating at once, as on one lane', async () => {
    // An answer of several tokens in characters or in word pieces, so a lane that diverged would show.
    const question = 'count from one to five';
    const ref = single.acquireSequence();
    const a = lanes.acquireSequence();
    const b = lanes.acquireSequence();
    try {
      expect(a.lane).not.toBe(b.lane);
      const expected = await answer(single, ref, question);
      expect(expected.length).toBeGreaterThan(3);
      const [onA, onB] = await Promise.all([answer(lanes, a, question), answer(lanes, b, question)]);
      expect(onA).toEqual(expected);
      expect(onB).toEqual(expected);
      expect(onA.map((t) => lanes.tokenText(t)).join('')).toContain('one two three four five');
    } finally {
      await Promise.all([ref.release(), a.release(), b.release()]);
    }
  });
});
