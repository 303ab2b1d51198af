// Adapts a node-llama-cpp sequence (through the LM runtime) to the TokenSequence a conversation uses.
import type { LmRuntime, LmSequence } from '../runtimes/lm.ts';
import type { TokenSequence } from '../session/token-sequence.ts';

export function lmTokenSequence(lm: LmRuntime, seq: LmSequence): TokenSequence {
  return {
    get tokenCount() {
      return seq.tokenCount;
    },
    get capacityTokens() {
      return seq.capacityTokens;
    },
    prefill: (tokens, deadlineMs) => lm.prefill(seq, tokens, deadlineMs),
    generate: (tokens, maxTokens, signal, deadlineMs) => lm.greedy(seq, tokens, maxTokens, signal, deadlineMs),
    // node-llama-cpp shifts the later tokens' positions down (RoPE re-rotation in the KV cache).
    erase: (start, end) => seq.raw.eraseContextTokenRanges([{ start, end }]),
    release: () => seq.release(),
  };
}
