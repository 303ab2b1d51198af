// The order a batch's items go to llama.cpp in: by sequence id, ascending. With a KV cache per sequence (as
// node-llama-cpp creates contexts), llama.cpp splits a batch into sub-batches of sequences whose ids rise by one
// (`llama_batch_allocr::split_equal`, sequential): decode steps of sequences 0 to 7 in that order are one pass over
// the weights, the same steps in deadline order (3, 0, 5, ...) up to eight passes. This model's decode is
// compute-bound, so one pass for many sequences is where batching pays. Sub-batches in batch order also leave the
// outputs in order, so llama.cpp has no logits rows to swap back (the race lm-sample-gate.ts closes).
// Which items go in, and how much of each, stays the deadline's choice (lm-schedule.ts); only their order changes.
import type { BatchItem, LlamaContext } from 'node-llama-cpp';

/** The sequence id a batch item belongs to, or undefined where it cannot be told. */
export type SequenceOf = (item: BatchItem) => number | undefined;

/**
 * Looks an item's sequence up in the context's queue. node-llama-cpp 3.21 (pinned in package-lock.json) builds each
 * batch item around the queued decode's own token array and keeps the queue in `LlamaContext._queuedDecodes`; where
 * that is not so, every item is undefined and the deadline order stands.
 */
export function sequenceLookup(context: () => LlamaContext | undefined): SequenceOf {
  return (item) => {
    const queue = (context() as unknown as { _queuedDecodes?: readonly { tokens: unknown; sequenceId: unknown }[] } | undefined)?._queuedDecodes;
    if (!Array.isArray(queue)) return undefined;
    for (const queued of queue) if (queued.tokens === item.tokens) return typeof queued.sequenceId === 'number' ? queued.sequenceId : undefined;
    return undefined;
  };
}

/** `chosen` ordered by sequence id, ascending (stable; items whose sequence is unknown keep their place at the end). */
export function inSequenceOrder<T extends { item: BatchItem }>(chosen: T[], sequenceOf: SequenceOf): T[] {
  if (chosen.length < 2) return chosen;
  const keyed = chosen.map((c, i) => ({ c, i, seq: sequenceOf(c.item) ?? Number.POSITIVE_INFINITY }));
  keyed.sort((a, b) => a.seq - b.seq || a.i - b.i);
  return keyed.map((k) => k.c);
}
