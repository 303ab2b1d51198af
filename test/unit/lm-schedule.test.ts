// The LLM batch strategy: generation steps by playout deadline, long prompts in pieces, speaking callers behind.
import { describe, expect, it } from 'vitest';
import type { BatchItem, Token } from 'node-llama-cpp';
import { deadlineFirst, NO_DEADLINE_PRIORITY, priorityForDeadline, UrgencyBoard } from '../../server/src/runtimes/lm-schedule.ts';

/** A queued evaluation of `n` tokens; `generate`: logits after its last token (a generation step). */
function item(n: number, generate: boolean, deadlineMs?: number): BatchItem {
  const tokens = Array.from({ length: n }, (_, i) => i as Token);
  const logits = tokens.map((_, i) => (generate && i === n - 1 ? true : undefined));
  return { tokens, logits, evaluationPriority: deadlineMs === undefined ? NO_DEADLINE_PRIORITY : priorityForDeadline(deadlineMs) };
}

const strategy = deadlineFirst(48);

describe('deadlineFirst', () => {
  it('puts every decode step in, earliest deadline first', () => {
    const late = item(1, true, 900);
    const soon = item(1, true, 100);
    const mid = item(1, true, 400);
    const out = strategy({ items: [late, soon, mid], size: 512 });
    expect(out.map((p) => p.item)).toEqual([soon, mid, late]);
    expect(out.every((p) => p.processAmount === 1)).toBe(true);
  });

  it('splits a long prompt into pieces that share batches with the decode steps of others', () => {
    const prompt = item(300, true, 50);
    const step = item(1, true, 500);
    const out = strategy({ items: [step, prompt], size: 512 });
    expect(out).toEqual([
      { item: prompt, processAmount: 48 },
      { item: step, processAmount: 1 },
    ]);
  });

  it('lets a speaking caller\'s prefill take one piece per batch while others generate, the whole batch when none does', () => {
    const speech1 = item(100, false);
    const speech2 = item(100, false);
    const step = item(1, true, 500);
    const busy = strategy({ items: [speech1, step, speech2], size: 512 });
    expect(busy[0]).toEqual({ item: step, processAmount: 1 });
    expect(busy.slice(1).reduce((n, p) => n + p.processAmount, 0)).toBe(48);
    const idle = strategy({ items: [speech1, speech2], size: 512 });
    expect(idle.reduce((n, p) => n + p.processAmount, 0)).toBe(96); // a piece each, no one waiting
  });

  it('never exceeds the batch size', () => {
    const items = Array.from({ length: 40 }, (_, i) => item(20, true, i));
    const out = strategy({ items, size: 100 });
    expect(out.reduce((n, p) => n + p.processAmount, 0)).toBe(100);
    expect(out[0]?.item).toBe(items[0]);
  });

  it('holds prefill to the budget the playing callers leave: decode steps always go, prompts and speech wait', () => {
    let budget = 20;
    const bounded = deadlineFirst(48, () => budget);
    const playing = item(1, true, 300);
    const newAnswer = item(60, true, 100); // a new answer's prompt tail: earliest deadline, but prefill
    const speech = item(100, false);
    const out = bounded({ items: [speech, playing, newAnswer], size: 512 });
    expect(out).toEqual([
      { item: newAnswer, processAmount: 20 },
      { item: playing, processAmount: 1 },
    ]);
    budget = 0;
    expect(bounded({ items: [speech, playing, newAnswer], size: 512 })).toEqual([{ item: playing, processAmount: 1 }]);
    budget = Number.POSITIVE_INFINITY;
    const free = bounded({ items: [speech, playing, newAnswer], size: 512 });
    expect(free.reduce((n, p) => n + p.processAmount, 0)).toBe(48 + 1 + 48);
  });

  it('never leaves a batch empty while work is queued (node-llama-cpp would spin): a small piece goes', () => {
    const bounded = deadlineFirst(48, () => 0);
    const speech = item(100, false);
    const prompt = item(30, true, 50);
    expect(bounded({ items: [speech, prompt], size: 512 })).toEqual([{ item: prompt, processAmount: 8 }]);
    expect(bounded({ items: [], size: 512 })).toEqual([]);
  });
});

describe('UrgencyBoard', () => {
  it('bounds each batch by the least tolerant generating caller, and forgets a caller when it stops', () => {
    const board = new UrgencyBoard();
    expect(board.prefillBudget()).toBe(Number.POSITIVE_INFINITY);
    const removeA = board.add({ deadlineMs: () => 100, prefillTokensPerBatch: () => 30 });
    const removeB = board.add({ deadlineMs: () => 200, prefillTokensPerBatch: () => 12 });
    expect(board.prefillBudget()).toBe(12);
    removeB();
    expect(board.prefillBudget()).toBe(30);
    removeA();
    expect(board.prefillBudget()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('deadlineFirst with sequence ids', () => {
  it('chooses by deadline and hands the chosen items over in ascending sequence order', () => {
    const a = item(1, true, 900);
    const b = item(1, true, 100);
    const c = item(1, true, 400);
    const prompt = item(300, false, 50);
    const ids = new Map<BatchItem, number>([
      [a, 2],
      [b, 7],
      [c, 0],
      [prompt, 5],
    ]);
    const ordered = deadlineFirst(48, () => Number.POSITIVE_INFINITY, (it) => ids.get(it));
    const out = ordered({ items: [a, b, c, prompt], size: 512 });
    expect(out.map((p) => ids.get(p.item))).toEqual([0, 2, 5, 7]);
    // The amounts are the deadline's choice, as without ids.
    expect(out.find((p) => p.item === prompt)?.processAmount).toBe(48);
  });

  it('keeps the deadline order where a sequence cannot be told, those items last', () => {
    const a = item(1, true, 900);
    const b = item(1, true, 100);
    const c = item(1, true, 400);
    const ordered = deadlineFirst(48, () => Number.POSITIVE_INFINITY, (it) => (it === a ? 1 : undefined));
    const out = ordered({ items: [a, b, c], size: 512 });
    expect(out.map((p) => p.item)).toEqual([a, b, c]);
  });
});
