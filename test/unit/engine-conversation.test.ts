import { describe, expect, it } from 'vitest';
import { Conversation, type Settlement } from '../../server/src/session/conversation.ts';
import { EOA, FakeTokenSequence, tokenize } from './engine-fakes.ts';

const prompt = (text: string) => tokenize(`[Human]:${text}<2t><eoh>[Assistant]:`);

function conversation(seq = new FakeTokenSequence(), reserve = 64, earlierTurns?: number) {
  return { seq, conv: new Conversation(seq, { endOfAnswerId: EOA, answerReserveTokens: reserve, ...(earlierTurns === undefined ? {} : { earlierTurns }) }) };
}

async function answer(conv: Conversation, turnId: string, tail: number[], settle: (generated: number) => Settlement = (g) => ({ kind: 'keep', keep: g - 1, carry: [EOA] })) {
  const out: number[] = [];
  await conv.generate({
    turnId,
    tail,
    startsTurn: true,
    maxTokens: 100,
    signal: new AbortController().signal,
    onToken: (t) => (out.push(t), t !== EOA),
    settle: (end) => settle(end.generated),
  });
  return out;
}

describe('Conversation', () => {
  it('coalesces queued prefills and hands the unstarted one to the generation', async () => {
    const { seq, conv } = conversation();
    const a = conv.append(tokenize('[Human]:<sosp>'), 't1');
    conv.append(tokenize('<1><2>'));
    conv.append(tokenize('<3>'));
    await a;
    // Tokens queued before the prefill started joined it: one evaluation.
    expect(seq.prefills.map((p) => p.length)).toEqual([5]);
    conv.append(tokenize('<4><5>'));
    const gen = conv.generate({
      turnId: 't1',
      tail: tokenize('<eosp><2t><eoh>[Assistant]:'),
      maxTokens: 50,
      signal: new AbortController().signal,
      onToken: (t) => t !== EOA,
      settle: (end) => ({ kind: 'keep', keep: end.generated - 1, carry: [EOA] }),
    });
    await gen;
    // <4><5> never had a prefill of their own: they went in with the tail.
    expect(seq.prefills).toHaveLength(1);
    expect(seq.generateInputs[0]?.length).toBe(2 + 4);
    expect(conv.turnIds).toEqual(['t1']);
  });

  it('puts the end of answer before the next turn, as in training', async () => {
    const { seq, conv } = conversation();
    await answer(conv, 'a', prompt('one'));
    await answer(conv, 'b', prompt('two'));
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] you said one<eoa>[Human]:two<2t><eoh>[Assistant]:[ta] you said two');
  });

  it('erases a dropped turn entirely and keeps the earlier ones', async () => {
    const { seq, conv } = conversation();
    await answer(conv, 'a', prompt('one'));
    await answer(conv, 'b', prompt('two'), () => ({ kind: 'drop' }));
    expect(conv.turnIds).toEqual(['a']);
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] you said one<eoa>');
    await answer(conv, 'c', prompt('three'));
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] you said one<eoa>[Human]:three<2t><eoh>[Assistant]:[ta] you said three');
  });

  it('truncates an answer to what was heard only while nothing follows it', async () => {
    const { seq, conv } = conversation();
    await answer(conv, 'a', prompt('one'));
    await conv.truncateAnswer('a', 3);
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] y');
    await answer(conv, 'b', prompt('two'));
    await conv.truncateAnswer('a', 1);
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] y<eoa>[Human]:two<2t><eoh>[Assistant]:[ta] you said two');
  });

  it('erases the oldest turns to make room, never the one in progress', async () => {
    const { seq, conv } = conversation(new FakeTokenSequence({ capacityTokens: 80 }), 30);
    for (const t of ['aaaa', 'bbbb', 'cccc', 'dddd']) await answer(conv, t, prompt(t));
    expect(seq.tokenCount).toBeLessThanOrEqual(80);
    expect(conv.turnIds.at(-1)).toBe('dddd');
    expect(conv.turnIds).not.toContain('aaaa');
    expect(seq.text.startsWith('[Human]:')).toBe(true);
  });

  it('keeps only as many earlier turns as the model reads, with room to spare', async () => {
    const { seq, conv } = conversation(new FakeTokenSequence(), 64, 1);
    for (const t of ['one', 'two', 'three']) await answer(conv, t, prompt(t));
    await conv.append([]);
    expect(conv.turnIds).toEqual(['three']);
    // The question after 'three' reads exactly one earlier turn, opened as in training.
    await answer(conv, 'four', prompt('four'));
    expect(seq.text).toBe('[Human]:three<2t><eoh>[Assistant]:[ta] you said three<eoa>[Human]:four<2t><eoh>[Assistant]:[ta] you said four');
  });

  it('with no earlier turns read, each question starts the sequence afresh', async () => {
    const { seq, conv } = conversation(new FakeTokenSequence(), 64, 0);
    await answer(conv, 'one', prompt('one'));
    await answer(conv, 'two', prompt('two'));
    // No end of answer is left in front of the next prompt: a first turn has none.
    expect(seq.text).toBe('[Human]:two<2t><eoh>[Assistant]:[ta] you said two');
    await conv.append([]);
    expect(seq.tokenCount).toBe(0);
    expect(conv.turnIds).toEqual([]);
  });

  it('forgets a turn that never reached the model', async () => {
    const { seq, conv } = conversation();
    await answer(conv, 'a', prompt('one'));
    const blocker = conv.append(tokenize('x'));
    conv.append(tokenize('[Human]:<sosp><1>'), 'b');
    await conv.dropTurn('b');
    await blocker;
    expect(conv.turnIds).toEqual(['a']);
    expect(seq.text).toBe('[Human]:one<2t><eoh>[Assistant]:[ta] you said one<eoa>x');
  });

  it('reports CONTEXT_FULL when a turn alone does not fit, and drops it', async () => {
    const { conv } = conversation(new FakeTokenSequence({ capacityTokens: 20 }), 4);
    await expect(conv.append(tokenize('[Human]:this prompt is far too long to fit'), 't')).rejects.toMatchObject({ code: 'CONTEXT_FULL' });
    expect(conv.turnIds).toEqual([]);
  });
});
