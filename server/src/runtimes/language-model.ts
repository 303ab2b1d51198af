// What the engine needs from an LM runtime, whichever runs the LM: node-llama-cpp on a GGUF (lm.ts) or
// onnxruntime on an ONNX graph with embeddings input (onnx-lm.ts). Runtimes hold no caller state beyond
// their pool of sequences: one sequence per conversation, its key/value cache kept across turns.
import { GatewayError } from '../errors.ts';
import type { LmPace } from './lm-pace.ts';
import type { LlmBatchTotals } from './lm-sample-gate.ts';
import type { StepUrgency } from './lm-schedule.ts';
import type { Tokenizer } from './tokenizer.ts';

/** Asked before each step: the token ids greedy decoding passes over (the answer grammar's), or none. */
export type ForbiddenNext = () => ReadonlySet<number> | undefined;

/** One conversation's slot in a runtime: tokens stay cached between turns. */
export interface LmSlot {
  /** Positions evaluated into the sequence so far. */
  readonly tokenCount: number;
  /** Positions the sequence can hold. */
  readonly capacityTokens: number;
  /** Removes positions [start, end); later ones move down (their positions shift). */
  erase(start: number, end: number): Promise<void>;
  clear(): Promise<void>;
  /** Gives the slot back to the runtime's pool. */
  release(): Promise<void>;
}

export interface LanguageModel<S extends LmSlot = LmSlot> {
  readonly tokenizer: Tokenizer;
  /** This machine's ms per token by load, learned (seeded at start-up). */
  readonly pace: LmPace;
  /** Sequences generating at this moment. */
  readonly generating: number;
  readonly eosId: number;
  /** Sequences not held by anyone. */
  readonly freeSequences: number;
  /** Its batches' figures since it opened, where the runtime batches through llama.cpp (lm-sample-gate.ts). */
  batchTotals?(): LlmBatchTotals | null;
  tokenizeTemplate(s: string): number[];
  tokenizeText(s: string): number[];
  unitTokenId(unit: number): number;
  unitOfToken(id: number): number;
  tokenText(id: number): string;
  /** Takes a free sequence; SERVER_FULL when all are held. */
  acquireSequence(): S;
  /**
   * Evaluates tokens into the sequence without generating; CONTEXT_FULL when they do not fit. `deadlineMs`: when
   * the caller's audio is due (engine clock); without one the work waits behind callers whose audio is due.
   */
  prefill(sequence: S, tokens: readonly number[], deadlineMs?: number): Promise<void>;
  /**
   * Evaluates `tokens`, then yields greedy tokens until EOS (yielded) or `maxTokens`. The last token yielded is
   * not yet evaluated into the sequence. CONTEXT_FULL when the sequence cannot hold the next token.
   * `urgency`: the caller's playout deadline (asked at each step) and the prefill it tolerates per batch.
   * `forbidden`: asked after each token is consumed; the next step picks the best token outside it.
   */
  greedy(
    sequence: S,
    tokens: readonly number[],
    maxTokens: number,
    signal?: AbortSignal,
    urgency?: StepUrgency,
    forbidden?: ForbiddenNext,
  ): AsyncGenerator<number, void, void>;
  close(): Promise<void>;
}

/** The token-level half of an LM runtime, the same for every runtime: its vocabulary's tokenizer. */
export abstract class LmVocabulary {
  constructor(readonly tokenizer: Tokenizer) {}

  get eosId(): number {
    return this.tokenizer.eosId;
  }

  tokenizeTemplate(s: string): number[] {
    return this.tokenizer.tokenizeTemplate(s);
  }

  tokenizeText(s: string): number[] {
    return this.tokenizer.tokenizeText(s);
  }

  unitTokenId(unit: number): number {
    return this.tokenizer.unitTokenId(unit);
  }

  unitOfToken(id: number): number {
    return this.tokenizer.unitOfToken(id);
  }

  tokenText(id: number): string {
    return this.tokenizer.tokenText(id);
  }
}

/** CONTEXT_FULL unless `tokens` more positions fit in the sequence. */
export function ensureRoom(sequence: Pick<LmSlot, 'tokenCount' | 'capacityTokens'>, tokens: number): void {
  if (sequence.tokenCount + tokens > sequence.capacityTokens) {
    throw new GatewayError(
      'CONTEXT_FULL',
      `the conversation holds ${sequence.tokenCount} of ${sequence.capacityTokens} tokens; ${tokens} more do not fit`,
    );
  }
}
