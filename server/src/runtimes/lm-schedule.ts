// Which queued LLM work goes into the next llama.cpp batch: earliest playout deadline first, prefill in pieces.
//
// node-llama-cpp queues every sequence's pending evaluation and, each time it dispatches a batch, asks a
// prioritization strategy which items go in and how many of each one's tokens. voxgate carries each item's deadline
// (engine clock, ms: when that caller's audio is due) in the item's evaluation priority, as its negation, so a larger
// value is more urgent, as node-llama-cpp's own strategies read it. The rules:
// - generation steps (an item that asks for logits) of every caller go in, earliest deadline first;
// - prefill pieces: an item longer than `pieceTokens` contributes at most that many tokens per batch and the rest
//   waits for the next one, so a long prompt is interleaved with everyone's decode steps instead of stalling them;
// - callers still speaking (prefill without a deadline) wait behind those with audio deadlines: while any
//   generation step is queued they share one piece per batch; when none is, each takes a piece per batch.
import type { BatchItem, EvaluationPriority, PrioritizedBatchItem } from 'node-llama-cpp';

/** Tokens one prefill piece holds: ~10 ms of prefill on one core, a decode step's order of magnitude. */
export const PREFILL_PIECE_TOKENS = 48;

/** The evaluation priority that carries a deadline (a later deadline is a lower priority). */
export function priorityForDeadline(deadlineMs: number): EvaluationPriority {
  // node-llama-cpp types priorities as 1-5 but passes the number through to the strategy below untouched.
  return (Number.isFinite(deadlineMs) ? -deadlineMs : -Number.MAX_VALUE) as EvaluationPriority;
}

/** Speech being prefilled while the caller still speaks: no audio is due for it. */
export const NO_DEADLINE_PRIORITY = priorityForDeadline(Number.POSITIVE_INFINITY);

function generates(item: BatchItem): boolean {
  return item.logits.some((l) => l === true);
}

export function deadlineFirst(pieceTokens: number = PREFILL_PIECE_TOKENS): (opts: { items: readonly BatchItem[]; size: number }) => PrioritizedBatchItem[] {
  return ({ items, size }) => {
    const ordered = [...items].sort((a, b) => b.evaluationPriority - a.evaluationPriority);
    const anyGenerating = ordered.some(generates);
    let left = size;
    let backgroundLeft = anyGenerating ? pieceTokens : size;
    const out: PrioritizedBatchItem[] = [];
    for (const item of ordered) {
      if (left <= 0) break;
      const background = !generates(item) && item.evaluationPriority === NO_DEADLINE_PRIORITY;
      let amount = Math.min(item.tokens.length, left, item.tokens.length > pieceTokens ? pieceTokens : item.tokens.length);
      if (background) amount = Math.min(amount, backgroundLeft);
      if (amount <= 0) continue;
      out.push({ item, processAmount: amount });
      left -= amount;
      if (background) backgroundLeft -= amount;
    }
    return out;
  };
}
