// The language model runtime: a GGUF in node-llama-cpp on the CPU, its tokenizer, a pool of
// sequences (one per conversation) and greedy generation. Streaming and batching live in the engine.
// The pool may span several lanes: llama.cpp contexts over the same weights, each decoding its own batches on its
// own thread, so two callers' steps can run on two cores at once (one context runs one batch at a time).
import {
  getLlama,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type ControlledEvaluateInputItem,
  type EvaluationPriority,
  type Token,
  TokenBias,
} from 'node-llama-cpp';
import { GatewayError } from '../errors.ts';
import { GreedySteps } from './lm-greedy-step.ts';
import { addBatchTotals, emptyBatchTotals, gateSampling, type LlmBatchTotals } from './lm-sample-gate.ts';
import { sequenceLookup } from './lm-batch-order.ts';
import { ensureRoom, LmVocabulary, type ForbiddenNext, type LanguageModel, type LmSlot } from './language-model.ts';
import { CALIBRATION_TOKENS, LmPace, PREFILL_CALIBRATION_TOKENS } from './lm-pace.ts';
import { deadlineFirst, dispatchAfterMicrotasks, NO_DEADLINE_PRIORITY, PREFILL_PIECE_TOKENS, priorityForDeadline, UrgencyBoard, type StepUrgency } from './lm-schedule.ts';
import { Tokenizer, type TokenizerOptions } from './tokenizer.ts';

/** Sample the next token greedily after this input token. */
const GREEDY_NEXT = { generateNext: { token: true, options: { temperature: 0 } } } as const;

/** The options half of an input item that samples after it. */
type StepOption = Extract<ControlledEvaluateInputItem, readonly unknown[]>[1];

export interface LmOpenOptions extends TokenizerOptions {
  /** Conversations that can hold a sequence at once. */
  sequences: number;
  /** Tokens each sequence can hold (manifest lm.contextTokens). */
  contextTokens: number;
  /** CPU threads for the context: 1 is fastest on small machines (2 threads on 2 vCPUs was 10-25x slower). */
  threads?: number;
  /**
   * Key/value cache precision. 'f32' (default) keeps generation equal to torch's token for token;
   * 'f16' halves the cache memory, and can flip near ties between the two best tokens.
   */
  kvCache?: 'f32' | 'f16';
  /** Share one llama.cpp instance between runtimes. */
  llama?: Llama;
  /** Contexts decoding in parallel, one thread each; sequences are spread over them (default 1). */
  lanes?: number;
}

/** One context and the callers generating in it: batches, their prefill bounds and load are per context. */
class LmLane {
  generating = 0;
  /** Its batches' samplings go through lm-sample-gate.ts (false where this node-llama-cpp lacks the handle). */
  readonly samplingGated: boolean;
  /** Its batches' figures, kept by the gate (null where there is none). */
  readonly batchTotals: LlmBatchTotals | null;
  constructor(
    readonly context: LlamaContext,
    /** The generating callers, whose playing audio bounds the prefill each of this lane's batches may carry. */
    readonly urgencies: UrgencyBoard,
  ) {
    this.batchTotals = gateSampling(context);
    this.samplingGated = this.batchTotals !== null;
  }
}

/** One conversation's slot in the context: its tokens stay cached between turns. */
export class LmSequence implements LmSlot {
  /** Its greedy steps without the library's per-call setup; null where this node-llama-cpp lacks their internals. */
  readonly steps: GreedySteps | null;

  constructor(
    readonly raw: LlamaContextSequence,
    /** The lane whose context holds it. */
    readonly lane: LmLane,
    model: LlamaModel,
  ) {
    this.steps = GreedySteps.of(model, raw);
  }

  /** Tokens evaluated into the sequence so far. */
  get tokenCount(): number {
    return this.raw.nextTokenIndex;
  }

  /** Tokens the sequence can hold. */
  get capacityTokens(): number {
    return this.raw.contextSize;
  }

  async clear(): Promise<void> {
    await this.raw.clearHistory();
  }

  /** node-llama-cpp shifts the later tokens' positions down (RoPE re-rotation in the KV cache). */
  async erase(start: number, end: number): Promise<void> {
    await this.raw.eraseContextTokenRanges([{ start, end }]);
  }

  /** Gives the slot back to the runtime's pool. */
  async release(): Promise<void> {
    this.steps?.dispose();
    if (!this.raw.disposed) await this.raw.dispose();
  }
}

export class LmRuntime extends LmVocabulary implements LanguageModel<LmSequence> {
  /** This machine's ms per token by load, learned (seeded by open()'s calibration). */
  readonly pace = new LmPace(1);
  /** One greedy-step option per forbidden set (the grammar hands out one set object per position). */
  private readonly stepOptions = new WeakMap<ReadonlySet<number>, StepOption>();

  private constructor(
    readonly model: LlamaModel,
    private readonly lanes: readonly LmLane[],
    tokenizer: Tokenizer,
    private readonly ownsLlama: Llama | null,
  ) {
    super(tokenizer);
  }

  /**
   * Sequences generating at once in the busiest lane: the load a token's pace is learned and predicted at (a
   * caller's steps share batches with its own lane only; the busiest is the prudent figure for a forecast).
   */
  get generating(): number {
    return Math.max(0, ...this.lanes.map((l) => l.generating));
  }

  /** Contexts decoding in parallel. */
  get laneCount(): number {
    return this.lanes.length;
  }

  /** Every lane's samplings are gated, so a caller's greedy output under load is its output alone (lm-sample-gate.ts). */
  get samplingGated(): boolean {
    return this.lanes.every((l) => l.samplingGated);
  }

  /** Every lane's batches since they opened, summed (lm-sample-gate.ts); null where no lane is gated. */
  batchTotals(): LlmBatchTotals | null {
    const each = this.lanes.flatMap((l) => (l.batchTotals === null ? [] : [l.batchTotals]));
    return each.length === 0 ? null : each.reduce(addBatchTotals, emptyBatchTotals());
  }

  static async open(path: string, opts: LmOpenOptions): Promise<LmRuntime> {
    // Warnings off: llama.cpp warns that `</s>` is an end-of-generation token besides our EOS, which is expected.
    const owned = opts.llama ? null : await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const llama = opts.llama ?? owned!;
    try {
      const model = await llama.loadModel({ modelPath: path });
      const tokenizer = new Tokenizer(tokenTexts(model), opts);
      const kvType = opts.kvCache === 'f16' ? 'F16' : 'F32';
      const laneCount = Math.max(1, Math.min(opts.lanes ?? 1, opts.sequences));
      const lanes: LmLane[] = [];
      try {
        for (let i = 0; i < laneCount; i++) {
          const urgencies = new UrgencyBoard();
          // The strategy is made before its context exists; it looks items up in the context once there is one.
          let made: LlamaContext | undefined;
          const sequenceOf = sequenceLookup(() => made);
          const context = await model.createContext({
            // Spread as evenly as the count allows: the first lanes take one more when it does not divide.
            sequences: Math.ceil((opts.sequences - i) / laneCount),
            contextSize: opts.contextTokens,
            threads: opts.threads ?? 1,
            // llama.cpp's CPU flash attention rounds through f16: off, so greedy output equals torch's.
            flashAttention: false,
            // Every batch: generation steps by playout deadline, long prompts in pieces between them (lm-schedule.ts).
            batching: {
              itemPrioritizationStrategy: deadlineFirst(PREFILL_PIECE_TOKENS, () => urgencies.prefillBudget(), sequenceOf),
              dispatchSchedule: dispatchAfterMicrotasks,
            },
            experimentalKvCacheKeyType: kvType,
            experimentalKvCacheValueType: kvType,
          });
          made = context;
          lanes.push(new LmLane(context, urgencies));
        }
      } catch (err) {
        await Promise.all(lanes.map((l) => l.context.dispose()));
        await model.dispose();
        throw err;
      }
      const runtime = new LmRuntime(model, lanes, tokenizer, owned);
      await runtime.calibrate();
      return runtime;
    } catch (err) {
      await owned?.dispose();
      throw new GatewayError('MODEL_INVALID', `${path}: cannot load the LM: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Sequences not held by anyone. */
  get freeSequences(): number {
    return this.lanes.reduce((n, l) => n + l.context.sequencesLeft, 0);
  }

  /**
   * Takes a free sequence from the lane holding the fewest (callers hold one per session, so held counts stand for
   * load); SERVER_FULL when all are held. Release it with `sequence.release()`.
   */
  acquireSequence(): LmSequence {
    const held = (l: LmLane) => l.context.totalSequences - l.context.sequencesLeft;
    const open = this.lanes.filter((l) => l.context.sequencesLeft > 0);
    const lane = open.reduce<LmLane | undefined>((best, l) => (best === undefined || held(l) < held(best) ? l : best), undefined);
    if (lane === undefined) {
      const total = this.lanes.reduce((n, l) => n + l.context.totalSequences, 0);
      throw new GatewayError('SERVER_FULL', `all ${total} LM sequences are in use`, { retryable: true });
    }
    return new LmSequence(lane.context.getSequence(), lane, this.model);
  }

  /**
   * Evaluates tokens into the sequence without generating (prefill). Without a deadline (a caller still speaking)
   * it waits behind every generation step that has one, a piece per batch.
   */
  async prefill(sequence: LmSequence, tokens: readonly number[], deadlineMs?: number): Promise<void> {
    if (tokens.length === 0) return;
    ensureRoom(sequence, tokens.length);
    const evaluationPriority = deadlineMs === undefined ? NO_DEADLINE_PRIORITY : priorityForDeadline(deadlineMs);
    await sequence.raw.evaluateWithoutGeneratingNewTokens(asTokens(tokens), { evaluationPriority });
  }

  /**
   * Evaluates `tokens`, then yields greedy tokens until EOS (yielded) or `maxTokens`.
   * The last token yielded is not yet evaluated into the sequence: pass it first in the next
   * prefill or greedy call (e.g. `<eoa>` before the next turn's prompt).
   * Each step is queued with the caller's playout deadline as it stands then (`urgency.deadlineMs()`, engine clock; now when
   * absent), so the batch scheduler can serve the caller whose audio is due first; while it generates, the prefill it
   * tolerates bounds every batch's.
   * CONTEXT_FULL when the sequence cannot hold the next token.
   */
  async *greedy(
    sequence: LmSequence,
    tokens: readonly number[],
    maxTokens: number,
    signal?: AbortSignal,
    urgency?: StepUrgency,
    forbidden?: ForbiddenNext,
  ): AsyncGenerator<number, void, void> {
    if (tokens.length === 0 || maxTokens <= 0 || signal?.aborted) return;
    ensureRoom(sequence, tokens.length);
    let input = asTokens(tokens);
    let count = 0;
    let lastAtMs: number | undefined;
    const lane = sequence.lane;
    lane.generating++;
    const unregister = urgency === undefined ? undefined : lane.urgencies.add(urgency);
    try {
      for (;;) {
        const evaluationPriority = priorityForDeadline(urgency?.deadlineMs() ?? performance.now());
        // One step: the input, and greedy sampling after its last token (temperature 0: argmax, as evaluate() does).
        // Plain, then checked against the grammar: node-llama-cpp rebuilds a token bias from scratch on every call
        // (a few hundred entries: a third of the bytes the gateway allocated under load, docs/loadtest.md).
        let token = await this.greedyStep(sequence, input, evaluationPriority);
        if (token === undefined || signal?.aborted) return;
        const banned = forbidden?.();
        if (banned !== undefined && banned.has(token)) {
          // Rare (the model derailing into a token the parser would refuse): the step's last input token is taken
          // back and evaluated again, its sampling under the grammar's bias.
          token = await this.resampleConstrained(sequence, input[input.length - 1]!, banned, evaluationPriority);
          if (token === undefined || signal?.aborted) return;
        }
        // The first token carries the prompt's prefill; later intervals are the decode pace at this load.
        const now = performance.now();
        if (lastAtMs !== undefined) this.pace.observe(lane.generating, now - lastAtMs);
        yield token;
        lastAtMs = performance.now();
        count++;
        if (token === this.eosId || count >= maxTokens || signal?.aborted) return;
        ensureRoom(sequence, 1);
        input = [token];
      }
    } finally {
      lane.generating--;
      unregister?.();
    }
  }

  /** Evaluates `input` and samples greedily after its last token: the sequence's own steps where it has them. */
  private async greedyStep(sequence: LmSequence, input: Token[], evaluationPriority: EvaluationPriority): Promise<Token | undefined> {
    if (sequence.steps !== null) return sequence.steps.step(input, evaluationPriority);
    const items = input.map((t, i): ControlledEvaluateInputItem => (i === input.length - 1 ? [t, GREEDY_NEXT] : t));
    const results = await sequence.raw.controlledEvaluate(items, { evaluationPriority });
    return results[input.length - 1]?.next?.token ?? undefined;
  }

  /** Evaluates the sequence's last token again (it was just evaluated) and samples greedily, `forbidden` excluded. */
  private async resampleConstrained(sequence: LmSequence, lastToken: Token, forbidden: ReadonlySet<number>, evaluationPriority: EvaluationPriority): Promise<Token | undefined> {
    const end = sequence.raw.nextTokenIndex;
    await sequence.raw.eraseContextTokenRanges([{ start: end - 1, end }]);
    const results = await sequence.raw.controlledEvaluate([[lastToken, this.greedyNext(forbidden)]], { evaluationPriority });
    return results[0]?.next?.token ?? undefined;
  }

  /** The step's sampling option: greedy with the forbidden tokens' logits at -∞. */
  private greedyNext(forbidden: ReadonlySet<number>): StepOption {
    let option = this.stepOptions.get(forbidden);
    if (!option) {
      option = { generateNext: { token: true, options: { temperature: 0, tokenBias: neverBias(this.model, forbidden) } } };
      this.stepOptions.set(forbidden, option);
    }
    return option;
  }

  /** Seeds the pace model: a short timed generation on a free sequence (tokens generated alone, the start-up load). */
  private async calibrate(): Promise<void> {
    const seq = this.acquireSequence();
    try {
      const prompt = this.tokenizeText('hello');
      // Prefill first: one batch of a fixed number of tokens, timed (what a piece of others' prompts costs a batch).
      const filler = Array.from({ length: PREFILL_CALIBRATION_TOKENS }, (_, i) => prompt[i % Math.max(1, prompt.length)] ?? this.eosId);
      const prefillStartMs = performance.now();
      await seq.raw.evaluateWithoutGeneratingNewTokens(asTokens(filler));
      this.pace.seedPrefill((performance.now() - prefillStartMs) / filler.length);
      const tokensOut = seq.raw.evaluate(asTokens(prompt.length > 0 ? prompt : [this.eosId]), { temperature: 0, yieldEogToken: true });
      const intervals: number[] = [];
      let last: number | undefined;
      for await (const _token of tokensOut) {
        const now = performance.now();
        if (last !== undefined) intervals.push(now - last);
        last = now;
        if (intervals.length >= CALIBRATION_TOKENS || seq.tokenCount + 1 >= seq.capacityTokens) break;
      }
      intervals.sort((a, b) => a - b);
      const median = intervals[Math.floor(intervals.length / 2)];
      // The seed stands for load 1 until real tokens refine it.
      if (median !== undefined) this.pace.seed(median);
    } finally {
      await seq.release();
    }
  }

  async close(): Promise<void> {
    for (const lane of this.lanes) await lane.context.dispose();
    await this.model.dispose();
    await this.ownsLlama?.dispose();
  }
}

/**
 * A bias of -∞ on each id. TokenBias.set() skips end-of-generation tokens (our `<eoa>` and `</s>` are), yet an
 * `<eoa>` before the answer's last part is what the grammar must rule out, so those go into its table directly;
 * the native sampler applies every entry alike (test/integration/lm-grammar.test.ts holds it to that).
 */
function neverBias(model: LlamaModel, ids: ReadonlySet<number>): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  const table = (bias as unknown as { _biases?: Map<Token, number> })._biases;
  if (!(table instanceof Map)) throw new GatewayError('MODEL_INVALID', 'node-llama-cpp TokenBias has no bias table: constrained decoding needs it');
  for (const id of ids) table.set(id as Token, -Infinity);
  return bias;
}

/** Each token's text as node-llama-cpp detokenises it, special tokens included (a space as " "). */
function tokenTexts(model: LlamaModel): string[] {
  const count = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  if (count === 0) throw new Error('the GGUF has no tokenizer.ggml.tokens');
  return Array.from({ length: count }, (_, id) => model.detokenize(asTokens([id]), true));
}

/** node-llama-cpp brands token ids; voxgate's are plain numbers from the same vocabulary. */
function asTokens(ids: readonly number[]): Token[] {
  return ids.slice() as Token[];
}
