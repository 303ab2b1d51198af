// The manifest's lm.earlierTurns on the real LM (node-llama-cpp on the shipped lm.gguf): after each answer the
// conversation erases the oldest whole turns past that many, so the next question reads only those. With none
// (the shipped model's setting: docs/models.md), each question is answered exactly as in a fresh conversation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { EngineModel } from '../../server/src/engine/model.ts';
import { lmTokenSequence } from '../../server/src/engine/lm-sequence.ts';
import { Conversation } from '../../server/src/session/conversation.ts';
import { MODEL_DIR, MODEL_READY } from './engine-model.ts';

const QUESTIONS = ['hello', 'what is two plus three', 'spell cat'];

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('earlier turns kept in the real LM sequence', () => {
  let model: EngineModel;
  beforeAll(async () => {
    model = await EngineModel.load(MODEL_DIR, { sequences: 1, vad: 'off', vocoderThread: 'inline' });
  });
  afterAll(async () => {
    await model?.close();
  });

  function promptTokens(text: string): number {
    const p = model.prompt('text-to-text');
    return p.before.length + model.textTokens(text).length + p.after.length;
  }

  /** Asks the questions in one conversation; returns each answer's tokens and what the sequence then holds. */
  async function converse(earlierTurns: number | undefined, questions: string[]) {
    const seq = model.lm.acquireSequence();
    const conv = new Conversation(lmTokenSequence(model.lm, seq), {
      endOfAnswerId: model.endOfAnswerId,
      answerReserveTokens: model.answerReserveTokens,
      ...(earlierTurns === undefined ? {} : { earlierTurns }),
    });
    const answers: number[][] = [];
    try {
      for (const [i, text] of questions.entries()) {
        const p = model.prompt('text-to-text');
        const out: number[] = [];
        const end = await conv.generate({
          turnId: `t${i + 1}`,
          tail: [...p.before, ...model.textTokens(text), ...p.after],
          startsTurn: true,
          maxTokens: 100,
          signal: new AbortController().signal,
          onToken: (t) => (out.push(t), t !== model.endOfAnswerId),
          // As an answer settles: all of it kept, its end of answer evaluated before the next prompt.
          settle: (e) => ({ kind: 'keep', keep: e.generated - 1, carry: [model.endOfAnswerId] }),
        });
        expect(end.error).toBeUndefined();
        answers.push(out);
      }
      // Waits for the erasure queued after the last answer (it runs while a caller would listen).
      await conv.dropTurn('none');
      return { answers, turnIds: conv.turnIds, tokenCount: seq.tokenCount };
    } finally {
      await conv.close();
      await seq.release();
    }
  }

  it('the shipped manifest reads no earlier turn', () => {
    expect(model.earlierTurns).toBe(0);
  });

  it('with none, every question is answered as in a fresh conversation and nothing stays in the sequence', async () => {
    const fresh = await converse(0, QUESTIONS.slice(2));
    const inARow = await converse(0, QUESTIONS);
    expect(inARow.answers[2]).toEqual(fresh.answers[0]);
    expect(inARow.answers[1]!.map((t) => model.tokenText(t)).join('')).toMatch(/\bfive\b/);
    expect(inARow.turnIds).toEqual([]);
    expect(inARow.tokenCount).toBe(0);
  });

  it('with one, the sequence holds the last turn alone; with no limit, every turn', async () => {
    const one = await converse(1, QUESTIONS);
    expect(one.turnIds).toEqual(['t3']);
    // The third turn's prompt and answer, but its end of answer (evaluated before the next prompt).
    expect(one.tokenCount).toBe(promptTokens(QUESTIONS[2]!) + one.answers[2]!.length - 1);
    const all = await converse(undefined, QUESTIONS);
    expect(all.turnIds).toEqual(['t1', 't2', 't3']);
    expect(all.tokenCount).toBeGreaterThan(one.tokenCount);
  });
});
