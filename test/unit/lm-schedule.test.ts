// The LLM batch strategy: generation steps by playout deadline, long prompts in pieces, speaking callers behind.
import { describe, expect, it } from 'vitest';
import type { BatchItem, Token } from 'node-llama-cpp';
import { deadlineFirst, NO_DEADLINE_PRIORITY, priorityForDeadline } from '../../server/src/runtimes/lm-schedule.ts';

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
});
