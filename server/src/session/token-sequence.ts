// What a conversation needs from its LLM sequence. The engine adapts node-llama-cpp (engine/lm-sequence.ts);
// unit tests use a fake.
import type { ForbiddenNext } from '../runtimes/language-model.ts';
import type { StepUrgency } from '../runtimes/lm-schedule.ts';

export interface TokenSequence {
  /** Tokens evaluated into the sequence (its KV cache). */
  readonly tokenCount: number;
  readonly capacityTokens: number;
  /** Evaluates tokens without generating; without a deadline it waits behind callers whose audio is due. */
  prefill(tokens: readonly number[], deadlineMs?: number): Promise<void>;
  /**
   * Evaluates `tokens`, then yields greedy tokens until end of answer (yielded), `maxTokens`, or abort.
   * The last token yielded is not evaluated into the sequence. `urgency`: when the caller's audio is due now
   * (engine clock, asked at each step so the LLM serves the earliest first) and the prefill it tolerates per batch.
   * `forbidden`: tokens the next step must pass over (the answer grammar's at the parser's position).
   */
  generate(tokens: readonly number[], maxTokens: number, signal: AbortSignal, urgency?: StepUrgency, forbidden?: ForbiddenNext): AsyncGenerator<number, void, void>;
  /** Removes tokens [start, end); later tokens move down (their positions shift). */
  erase(start: number, end: number): Promise<void>;
  release(): Promise<void>;
}
