// Answer-unit pieces on the shipped model (manifest lm.spokenPieces; node-llama-cpp on lm.gguf, the vocoder in
// onnxruntime): a spoken answer takes fewer decode steps than it has units, and the engine hands the vocoder
// exactly the units the manifest says the LM's tokens stand for, read here from the raw greedy tokens and the
// manifest's own table, apart from the parser.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import type { EngineModel } from '../../server/src/engine/model.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import type { VoxEngine } from '../../server/src/engine/engine.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';
import { MODEL_DIR, MODEL_READY } from './engine-model.ts';

const QUESTIONS = ['hello', 'what is two plus three', 'spell cat', 'what day comes after monday'];

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('answer-unit pieces on the real model', () => {
  let engine: Engine;
  // The engine's own model: the raw decoding below takes its one sequence while no session holds it.
  let model: EngineModel;
  beforeAll(async () => {
    engine = await createEngine({ modelDir: MODEL_DIR, maxSessions: 1, vad: 'off' });
    model = (engine as VoxEngine).model;
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** The [ua] part's unit tokens of one text-to-speech turn, by plain greedy decoding under the answer grammar. */
  async function unitTokens(text: string): Promise<number[]> {
    const lm = model.lm;
    const seq = lm.acquireSequence();
    const parser = model.newParser('text-to-speech');
    try {
      const p = model.prompt('text-to-speech');
      const units: number[] = [];
      for await (const t of lm.greedy(seq, [...p.before, ...model.textTokens(text), ...p.after], model.maxAnswerTokens('text-to-speech'), undefined, undefined, () => parser.forbiddenNext())) {
        parser.push({ id: t, text: model.tokenText(t) });
        const m = /^<(\d+)>$/.exec(model.tokenText(t));
        if (m) units.push(Number(m[1]));
      }
      return units;
    } finally {
      await seq.release();
    }
  }

  it('speaks each answer in fewer tokens than units, and vocodes exactly the units its pieces stand for', async () => {
    const manifest = loadManifest(MODEL_DIR);
    const pieces = manifest.lm.spokenPieces;
    expect(pieces, 'the shipped manifest names its answer-unit pieces').toBeDefined();
    if (!pieces) return;
    const spokenUnitCount = manifest.vocoder.unitCount;
    let tokens = 0;
    let units = 0;
    for (const q of QUESTIONS) {
      const raw = await unitTokens(q);
      const expanded = raw.flatMap((u) => (u >= pieces.firstUnit ? pieces.units[u - pieces.firstUnit] ?? [-1] : [u]));
      expect(expanded.every((u) => u >= 0 && u < spokenUnitCount), q).toBe(true);
      const r = await runOneTurn(engine, { mode: 'text-to-speech', text: q });
      expect(r.timings.outputUnitTokens, q).toBe(raw.length);
      expect(r.timings.outputUnits, q).toBe(expanded.length);
      expect(r.audio.length, q).toBeGreaterThan(0);
      tokens += raw.length;
      units += expanded.length;
    }
    // 256 merges wrote held-out answers in 2.3 times fewer tokens in the recipe; well over 1.5 here.
    expect(units / tokens).toBeGreaterThan(1.5);
  });
});
