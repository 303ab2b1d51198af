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
//   generation step is queued they share one piece per batch; when none is, each takes a piece per batch;
// - every prefill token in a batch delays every decode step in it, so a caller whose audio is playing bounds the
//   prefill each batch may carry (`StepUrgency.prefillTokensPerBatch`, the least over callers): past that bound
//   prompts and speech wait a batch, and a playing answer is never starved by others' prefill into a gap.
// The items chosen go to llama.cpp by sequence id (lm-batch-order.ts), so one batch is one pass over the weights.
import type { BatchItem, EvaluationPriority, PrioritizedBatchItem } from 'node-llama-cpp';
import { inSequenceOrder, type SequenceOf } from './lm-batch-order.ts';

/** Tokens one prefill piece holds: ~10 ms of prefill on one core, a decode step's order of magnitude. */
export const PREFILL_PIECE_TOKENS = 48;

/** Tokens a batch carries when the prefill bound would leave it empty: about 1.5 ms of prefill. */
const MIN_PROGRESS_TOKENS = 8;

/**
 * When node-llama-cpp dispatches a batch once a step is queued: after the promise jobs now pending, not at the next
 * turn of the event loop (its default). Callers whose tokens arrive together queue their next steps within the same
 * run of promise jobs; dispatching after them puts all those steps in one batch without waiting for the event loop,
 * which under load is busy with every caller's audio.
 * `bench:capacity`, three runs each alternating (docs/loadtest.md): 12 callers held on latency in every run, against
 * two of three at the next event-loop turn.
 */
export function dispatchAfterMicrotasks(dispatch: () => void): void {
  // A nextTick queued from a promise job runs once V8 has drained every promise job, the ones they queue included.
  process.nextTick(dispatch);
}

/** Resolves once every promise job pending now, and those they queue, has run (see dispatchAfterMicrotasks). */
export function afterPromiseJobs(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** The evaluation priority that carries a deadline (a later deadline is a lower priority). */
export function priorityForDeadline(deadlineMs: number): EvaluationPriority {
  // node-llama-cpp types priorities as 1-5 but passes the number through to the strategy below untouched.
  return (Number.isFinite(deadlineMs) ? -deadlineMs : -Number.MAX_VALUE) as EvaluationPriority;
}

/** Speech being prefilled while the caller still speaks: no audio is due for it. */
export const NO_DEADLINE_PRIORITY = priorityForDeadline(Number.POSITIVE_INFINITY);

/** What a generating caller tells the scheduler; each side asks only what it needs, when it needs it. */
export interface StepUrgency {
  /** When the caller's next audio is due, engine clock ms (now before its playout starts): each step's priority. */
  deadlineMs(): number;
  /** Prefill tokens a batch may carry before this caller's audio would run dry (Infinity: none at risk): per batch. */
  prefillTokensPerBatch(): number;
}

function generates(item: BatchItem): boolean {
  return item.logits.some((l) => l === true);
}

/**
 * The strategy. `prefillBudget()`: the prefill tokens this batch may carry (asked once per batch); a one-token
 * generation step is a decode, never counted against it. `sequenceOf`: each item's sequence, for the order the
 * chosen items go in.
 */
export function deadlineFirst(
  pieceTokens: number = PREFILL_PIECE_TOKENS,
  prefillBudget: () => number = () => Number.POSITIVE_INFINITY,
  sequenceOf: SequenceOf = () => undefined,
): (opts: { items: readonly BatchItem[]; size: number }) => PrioritizedBatchItem[] {
  return ({ items, size }) => {
    const ordered = [...items].sort((a, b) => b.evaluationPriority - a.evaluationPriority);
    const anyGenerating = ordered.some(generates);
    let left = size;
    let backgroundLeft = anyGenerating ? pieceTokens : size;
    let prefillLeft = Math.floor(Math.max(0, prefillBudget()));
    const out: PrioritizedBatchItem[] = [];
    for (const item of ordered) {
      if (left <= 0) break;
      const background = !generates(item) && item.evaluationPriority === NO_DEADLINE_PRIORITY;
      const decode = generates(item) && item.tokens.length === 1;
      let amount = Math.min(item.tokens.length, left, item.tokens.length > pieceTokens ? pieceTokens : item.tokens.length);
      if (background) amount = Math.min(amount, backgroundLeft);
      if (!decode) amount = Math.min(amount, prefillLeft);
      if (amount <= 0) continue;
      out.push({ item, processAmount: amount });
      left -= amount;
      if (background) backgroundLeft -= amount;
      if (!decode) prefillLeft -= amount;
    }
    // node-llama-cpp loops while anything is queued: an empty batch would spin. A small piece of the most urgent
    // item goes instead (the callers bounding prefill have no step queued at this instant).
    const first = ordered[0];
    if (out.length === 0 && first !== undefined && size > 0) out.push({ item: first, processAmount: Math.min(first.tokens.length, MIN_PROGRESS_TOKENS, size) });
    return inSequenceOrder(out, sequenceOf);
  };
}

/** The generating callers' urgencies: the batch strategy asks them, once per batch, for the prefill it may carry. */
export class UrgencyBoard {
  private readonly callers = new Set<StepUrgency>();

  /** Registers a caller for as long as it generates; returns its removal. */
  add(urgency: StepUrgency): () => void {
    this.callers.add(urgency);
    return () => this.callers.delete(urgency);
  }

  /** The least prefill any generating caller tolerates per batch (Infinity when none bounds it). */
  prefillBudget(): number {
    let budget = Number.POSITIVE_INFINITY;
    for (const urgency of this.callers) budget = Math.min(budget, urgency.prefillTokensPerBatch());
    return budget;
  }
}
