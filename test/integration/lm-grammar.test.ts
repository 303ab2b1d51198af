// Constrained decoding on the real model (node-llama-cpp on lm.gguf): the grammar's forbidden tokens are passed
// over (the end of answer too, which node-llama-cpp's TokenBias.set() would skip), output that plain greedy decoding
// makes well-formed is left token for token as it was, and every bench question is answered (on the folder shipped
// before 92fc7d2, "spell cat" was malformed under plain decoding: a letter among the units).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { EngineModel } from '../../server/src/engine/model.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import type { Mode } from '../../server/src/runtimes/manifest.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances } from '../../server/src/loadtest/utterances.ts';
import type { ForbiddenNext } from '../../server/src/runtimes/language-model.ts';
import type { ComParser } from '../../server/src/pipeline/com-parser.ts';
import { MODEL_DIR, MODEL_READY } from './engine-model.ts';

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('constrained decoding on the real LM', () => {
  let model: EngineModel;
  let engine: Engine;
  beforeAll(async () => {
    model = await EngineModel.load(MODEL_DIR, { sequences: 1, vad: 'off', vocoderThread: 'inline' });
    engine = await createEngine({ modelDir: MODEL_DIR, maxSessions: 1, vad: 'off' });
  });
  afterAll(async () => {
    await Promise.all([model?.close(), engine?.close()]);
  });

  /** Greedy tokens of one typed turn on a fresh sequence; with a parser, under its grammar (fed each token). */
  async function typed(mode: Mode, text: string, forbidden?: ForbiddenNext, parser?: ComParser): Promise<number[]> {
    const lm = model.lm;
    const seq = lm.acquireSequence();
    try {
      const p = model.prompt(mode);
      const out: number[] = [];
      const rule = parser ? () => parser.forbiddenNext() : forbidden;
      for await (const t of lm.greedy(seq, [...p.before, ...model.textTokens(text), ...p.after], 400, undefined, undefined, rule)) {
        out.push(t);
        parser?.push({ id: t, text: model.tokenText(t) });
      }
      return out;
    } finally {
      await seq.release();
    }
  }

  it('passes over the forbidden tokens, the end of answer included', async () => {
    const plain = await typed('text-to-text', 'spell cat');
    const eosAt = plain.indexOf(model.endOfAnswerId);
    expect(eosAt).toBeGreaterThan(1);
    // Forbid the first token, and separately the end of answer where plain decoding put it.
    const first = new Set([plain[0]!]);
    const noFirst = await typed('text-to-text', 'spell cat', () => first);
    expect(noFirst[0]).not.toBe(plain[0]);
    let step = 0;
    const eos = new Set([model.endOfAnswerId]);
    const late = await typed('text-to-text', 'spell cat', () => (step++ === eosAt ? eos : undefined));
    expect(late.slice(0, eosAt)).toEqual(plain.slice(0, eosAt));
    expect(late[eosAt]).not.toBe(model.endOfAnswerId);
  });

  it('leaves well-formed answers token for token as plain greedy decoding gives them', async () => {
    const questions = ['spell dog', 'what is two plus three', 'count from one to five', 'what is your name', 'repeat after me the cat sat on the mat'];
    let compared = 0;
    for (const mode of ['text-to-text', 'text-to-speech'] as const) {
      for (const q of questions) {
        const plain = await typed(mode, q);
        const parser = model.newParser(mode);
        const errors = plain.flatMap((id) => parser.push({ id, text: model.tokenText(id) })).filter((e) => e.type === 'error');
        if (errors.length > 0) continue;
        expect(await typed(mode, q, undefined, model.newParser(mode))).toEqual(plain);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });

  it('answers every bench question spoken, without malformed output', async () => {
    const utterances = await loadUtterances(DEFAULT_UTTERANCES_DIR);
    expect(utterances.length).toBeGreaterThanOrEqual(20);
    for (const u of utterances) {
      // runOneTurn rejects on an error event.
      const r = await runOneTurn(engine, { mode: 'speech-to-speech', pcm: u.pcm });
      expect(r.answer, u.id).not.toBe('');
      expect(r.audio.length, u.id).toBeGreaterThan(r.sampleRateHz / 10);
      if (u.skill === 'spell') expect(r.answer, u.id).toMatch(/^[a-z]( [a-z])+$/);
    }
  });
});
