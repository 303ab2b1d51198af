// The LM runtime's greedy steps without node-llama-cpp's per-call setup (server/src/runtimes/lm-greedy-step.ts), on
// the real model (the shipped lm.gguf): the installed node-llama-cpp has the internals they need, so the runtime
// really takes them, and they give controlledEvaluate()'s tokens, step for step.
import { expect, it } from 'vitest';
import type { ControlledEvaluateInputItem, Token } from 'node-llama-cpp';
import { describeIf } from '../helpers/requires.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';
import { MODEL_DIR, MODEL_FILES } from './engine-model.ts';
import { lmUnderTest } from './lm-under-test.ts';

const manifest = MODEL_FILES ? loadManifest(MODEL_DIR) : undefined;
const GGUF = manifest?.lm.runtime === 'gguf';
const STEPS = 120;

describeIf(GGUF, 'a GGUF model folder (the shipped models/voxgate-tiny-en)')('greedy steps through node-llama-cpp internals', () => {
  const under = lmUnderTest(2);

  it('are there with the installed node-llama-cpp, so the runtime takes them', async () => {
    const seq = under.lm.acquireSequence();
    try {
      expect(seq.steps).not.toBeNull();
    } finally {
      await seq.release();
    }
  });

  it("give controlledEvaluate()'s greedy tokens, step for step", async () => {
    for (const text of ['what can you do', 'spell house', 'count from three to nine']) {
      const direct = under.lm.acquireSequence();
      const library = under.lm.acquireSequence();
      try {
        const fromSteps: number[] = [];
        for await (const t of under.lm.greedy(direct, under.prompt(text), STEPS)) fromSteps.push(t);
        // The same steps through the library's public call: the input, then one token at a time.
        const fromLibrary: number[] = [];
        let input = under.prompt(text) as Token[];
        while (fromLibrary.length < fromSteps.length) {
          const items = input.map((t, i): ControlledEvaluateInputItem => (i === input.length - 1 ? [t, { generateNext: { token: true, options: { temperature: 0 } } }] : t));
          const results = await library.raw.controlledEvaluate(items);
          const next = results[input.length - 1]?.next?.token;
          if (next === undefined || next === null) break;
          fromLibrary.push(next);
          input = [next];
        }
        expect(fromSteps.length, text).toBeGreaterThan(20);
        expect(fromLibrary, text).toEqual(fromSteps);
      } finally {
        await Promise.all([direct.release(), library.release()]);
      }
    }
  });
});
