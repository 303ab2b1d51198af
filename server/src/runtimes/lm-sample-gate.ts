// One batch's samplings must not all start at once when llama.cpp may have put the batch's outputs out of order.
// After such a decode, llama.cpp puts the logits rows back in order lazily: the first read of any logits swaps rows
// in place and clears the list of swaps (`llama_context::output_reorder`). node-llama-cpp samples every sequence of
// a batch at once, each in its own thread-pool task, so two tasks could run those swaps together and a caller
// sampled another caller's logits: under load, answers that a caller alone never gets, in every mode (eight
// sequences decoding together diverged from their solo output in 19 of 24 runs, several within five tokens).
// Outputs come out of order only where llama.cpp's split of the batch by sequence (per-sequence KV streams) does not
// follow the batch: items not in ascending sequence order, or an item of several tokens asking for logits (its
// output can come after a later sequence's). lm-batch-order.ts hands llama.cpp decode steps in ascending order, so
// most batches are neither: their samplings all start at once, one hop through the thread pool instead of two.
// In the others the first sampling runs alone (it does the reordering) and the rest start once it is done.
// It replaces methods on the context's native handle (`LlamaContext._ctx`, node-llama-cpp 3.21, pinned in
// package-lock.json), through which every batch, decode and sampling of the library and of lm-greedy-step.ts
// passes; the handle stays the native object (the library passes it on).
// test/integration/lm-batch-invariance.test.ts holds batched greedy output to a sequence's solo output, both kinds.
// Being where every batch passes, the gate also times each batch's two phases (LlmBatchTotals): what an operator
// reads to tell a slow LLM (decode) from an LLM waiting on the process (the hops around it).
import { performance } from 'node:perf_hooks';
import type { LlamaContext } from 'node-llama-cpp';

interface NativeContext {
  initBatch(...args: unknown[]): unknown;
  addToBatch(sequenceId: number, firstTokenIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array, ...rest: unknown[]): unknown;
  decodeBatch(...args: unknown[]): Promise<unknown>;
  sampleToken(...args: unknown[]): Promise<unknown>;
}

/** Whether a batch built so far keeps llama.cpp's outputs in batch order (see above); one per context. */
export class BatchOrderWatch {
  private lastSequenceId = Number.NEGATIVE_INFINITY;
  private mayReorder = false;

  reset(): void {
    this.lastSequenceId = Number.NEGATIVE_INFINITY;
    this.mayReorder = false;
  }

  add(sequenceId: number, tokenCount: number, logitCount: number): void {
    if (!(sequenceId > this.lastSequenceId) || (tokenCount > 1 && logitCount > 0)) this.mayReorder = true;
    this.lastSequenceId = sequenceId;
  }

  /** Whether the batch's samplings must wait for the first (it may have rows to swap back). */
  get reorders(): boolean {
    return this.mayReorder;
  }
}

/** Cumulative figures of a context's batches since it opened. */
export interface LlmBatchTotals {
  batches: number;
  /** Samplings started (tokens generated, one per generating sequence in a batch). */
  samplings: number;
  /** Summed over batches: the decode's call to its result on the event loop (queueing for a thread included), ms. */
  decodeMs: number;
  /** Summed over batches: the first sampling's call to the last one's result on the event loop, ms. */
  samplingMs: number;
}

export function emptyBatchTotals(): LlmBatchTotals {
  return { batches: 0, samplings: 0, decodeMs: 0, samplingMs: 0 };
}

/** Sums totals (a runtime's lanes). */
export function addBatchTotals(a: LlmBatchTotals, b: LlmBatchTotals): LlmBatchTotals {
  return { batches: a.batches + b.batches, samplings: a.samplings + b.samplings, decodeMs: a.decodeMs + b.decodeMs, samplingMs: a.samplingMs + b.samplingMs };
}

/**
 * Installs the gate on `context`: the context's batch totals, which the gate keeps from then on, or null where this
 * node-llama-cpp has no native handle in the expected place.
 */
export function gateSampling(context: LlamaContext): LlmBatchTotals | null {
  const holder = context as unknown as { _ctx?: NativeContext };
  const native = holder._ctx;
  if (native === undefined || !['initBatch', 'addToBatch', 'decodeBatch', 'sampleToken'].every((m) => typeof (native as unknown as Record<string, unknown>)[m] === 'function')) {
    return null;
  }
  const totals = emptyBatchTotals();
  // Samplings of the current batch not yet answered, and when its first started.
  let samplingOpen = 0;
  let samplingStartMs = 0;
  const initNative = native.initBatch.bind(native);
  const addNative = native.addToBatch.bind(native);
  const decodeNative = native.decodeBatch.bind(native);
  const sampleNative = native.sampleToken.bind(native);
  const order = new BatchOrderWatch();
  // Whether the last decoded batch may have rows to swap back, and its first sampling once that has ended (null
  // until one has started).
  let gated = true;
  let firstDone: Promise<unknown> | null = null;
  const initBatch = (...args: unknown[]): unknown => {
    order.reset();
    return initNative(...args);
  };
  const addToBatch = (sequenceId: number, firstTokenIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array, ...rest: unknown[]): unknown => {
    order.add(sequenceId, tokens?.length ?? 0, logitIndexes?.length ?? 0);
    return addNative(sequenceId, firstTokenIndex, tokens, logitIndexes, ...rest);
  };
  const decodeBatch = (...args: unknown[]): Promise<unknown> => {
    gated = order.reorders;
    firstDone = null;
    const startMs = performance.now();
    totals.batches++;
    const decoded = decodeNative(...args);
    const timed = () => {
      totals.decodeMs += performance.now() - startMs;
    };
    decoded.then(timed, timed);
    return decoded;
  };
  const sampleTimed = (...args: unknown[]): Promise<unknown> => {
    if (samplingOpen === 0) samplingStartMs = performance.now();
    samplingOpen++;
    totals.samplings++;
    const sampled = sampleGated(...args);
    const timed = () => {
      if (--samplingOpen === 0) totals.samplingMs += performance.now() - samplingStartMs;
    };
    sampled.then(timed, timed);
    return sampled;
  };
  // Which batch each sampling's caller goes in next is not the gate's concern: the greedy step's post-batch wait
  // (lm-greedy-step.ts) lets every caller of a batch queue again before the next one is chosen.
  const sampleGated = (...args: unknown[]): Promise<unknown> => {
    if (!gated) return sampleNative(...args);
    if (firstDone !== null) return firstDone.then(() => sampleNative(...args));
    const first = sampleNative(...args);
    firstDone = first.then(
      () => undefined,
      () => undefined,
    );
    return first;
  };
  // Own properties over the prototype's read-only methods (plain assignment is refused); `this` stays native.
  Object.defineProperty(native, 'initBatch', { value: initBatch, configurable: true, writable: true });
  Object.defineProperty(native, 'addToBatch', { value: addToBatch, configurable: true, writable: true });
  Object.defineProperty(native, 'decodeBatch', { value: decodeBatch, configurable: true, writable: true });
  Object.defineProperty(native, 'sampleToken', { value: sampleTimed, configurable: true, writable: true });
  return totals;
}
