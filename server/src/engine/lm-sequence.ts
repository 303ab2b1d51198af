// Adapts an LM runtime's sequence (GGUF or ONNX, runtimes/language-model.ts) to the TokenSequence a conversation uses.
import type { LanguageModel, LmSlot } from '../runtimes/language-model.ts';
import type { TokenSequence } from '../session/token-sequence.ts';

export function lmTokenSequence(lm: LanguageModel, seq: LmSlot): TokenSequence {
  return {
    get tokenCount() {
      return seq.tokenCount;
    },
    get capacityTokens() {
      return seq.capacityTokens;
    },
    prefill: (tokens, deadlineMs) => lm.prefill(seq, tokens, deadlineMs),
    generate: (tokens, maxTokens, signal, urgency, forbidden) => lm.greedy(seq, tokens, maxTokens, signal, urgency, forbidden),
    erase: (start, end) => seq.erase(start, end),
    release: () => seq.release(),
  };
}
