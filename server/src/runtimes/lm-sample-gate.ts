// One batch's samplings must not all start at once. After a decode whose outputs came out of batch order (llama.cpp
// splits a batch by sequence, so a batch whose sequences are not in ascending order, or that mixes a prompt piece
// with decode steps, does), llama.cpp puts the logits rows back in order lazily: the first read of any logits swaps
// rows in place and clears the list of swaps (`llama_context::output_reorder`). node-llama-cpp samples every
// sequence of a batch at once, each in its own thread-pool task, so two tasks could run those swaps together and a
// caller sampled another caller's logits: under load, answers that a caller alone never gets, in every mode (eight
// sequences decoding together diverged from their solo output in 19 of 24 runs, several within five tokens).
// The gate lets the first sampling after each decode run alone (it does the reordering); the others start once it
// is done. It replaces two methods on the context's native handle
// (`LlamaContext._ctx`, node-llama-cpp 3.21, pinned in package-lock.json), through which every decode and sampling
// of the library and of lm-greedy-step.ts passes; the handle stays the native object (the library passes it on).
// test/integration/lm-batch-invariance.test.ts holds batched greedy output to a sequence's solo output.
import type { LlamaContext } from 'node-llama-cpp';

interface NativeContext {
  decodeBatch(...args: unknown[]): Promise<unknown>;
  sampleToken(...args: unknown[]): Promise<unknown>;
}

/** Installs the gate on `context`; false where this node-llama-cpp has no native handle in the expected place. */
export function gateSampling(context: LlamaContext): boolean {
  const holder = context as unknown as { _ctx?: NativeContext };
  const native = holder._ctx;
  if (native === undefined || typeof native.decodeBatch !== 'function' || typeof native.sampleToken !== 'function') return false;
  const decodeNative = native.decodeBatch.bind(native);
  const sampleNative = native.sampleToken.bind(native);
  // The first sampling since the last decode, once it has ended; null until one has started.
  let firstDone: Promise<unknown> | null = null;
  const decodeBatch = (...args: unknown[]): Promise<unknown> => {
    firstDone = null;
    return decodeNative(...args);
  };
  // Which batch each sampling's caller goes in next is not the gate's concern: the greedy step's post-batch wait
  // (lm-greedy-step.ts) lets every caller of a batch queue again before the next one is chosen.
  const sampleToken = (...args: unknown[]): Promise<unknown> => {
    if (firstDone !== null) return firstDone.then(() => sampleNative(...args));
    const first = sampleNative(...args);
    firstDone = first.then(
      () => undefined,
      () => undefined,
    );
    return first;
  };
  // Own properties over the prototype's read-only methods (plain assignment is refused); `this` stays native.
  Object.defineProperty(native, 'decodeBatch', { value: decodeBatch, configurable: true, writable: true });
  Object.defineProperty(native, 'sampleToken', { value: sampleToken, configurable: true, writable: true });
  return true;
}
