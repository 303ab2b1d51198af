// One greedy step through node-llama-cpp without its per-call setup. `controlledEvaluate()` makes, configures and
// disposes of a native sampler on every call and takes two locks around it: for a lone caller about a third of a
// token's time (bench/llama-batched.ts, bench/binding-native-steps.ts). A step here is queued on the context's own
// batch dispatcher as controlledEvaluate queues it (same deadline priority, same batches), and samples with a greedy
// sampler the sequence keeps for its life. It reaches node-llama-cpp 3.21's internals (the version is pinned in
// package-lock.json): `GreedySteps.of()` checks each one is there and returns null where not, so the runtime falls
// back to controlledEvaluate; test/integration/lm-greedy-step.test.ts holds the two to the same tokens.
import type { EvaluationPriority, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { afterPromiseJobs } from './lm-schedule.ts';

/** node-llama-cpp's native sampler: one candidates buffer, so one sampling at a time. */
export interface NativeSampler {
  applyConfig(config: object): void;
  dispose(): void;
}

/** The library's objects behind its public ones, as far as a step needs them. */
interface ModelInternals {
  _llama: { _bindings: { AddonSampler: new (model: unknown) => NativeSampler } };
  _model: unknown;
}
interface SequenceInternals {
  _context: { _ctx: { sampleToken(batchLogitIndex: number, sampler: NativeSampler): Promise<number> } };
  _tokenMeter: unknown;
  _contextShift: { size: unknown; strategy: unknown };
  _resolveSamplerConfig(options: { temperature: number }): object;
  _takeIntervalCheckpointIfNeededAfterBatch: (sequenceStateLength: number) => unknown;
  _decodeTokens(
    tokens: Token[],
    logits: boolean[],
    evaluationPriority: EvaluationPriority,
    tokenMeter: unknown,
    contextShift: { size: unknown; strategy: unknown },
    onLogits: (batchLogitIndex: number) => Promise<number>,
    afterBatch: (sequenceStateLength: number) => unknown,
  ): Promise<(number | undefined)[]>;
}

function internalsOf(sequence: LlamaContextSequence): SequenceInternals {
  return sequence as unknown as SequenceInternals;
}

/** A native greedy sampler for `sequence`, configured as the library configures one for temperature 0 (argmax). */
export function greedySampler(model: LlamaModel, sequence: LlamaContextSequence): NativeSampler {
  const m = model as unknown as ModelInternals;
  const sampler = new m._llama._bindings.AddonSampler(m._model);
  sampler.applyConfig(internalsOf(sequence)._resolveSamplerConfig({ temperature: 0 }));
  return sampler;
}

/**
 * What a step hands the library to await once its batch is sampled: the library's own checkpoint, then the promise
 * jobs now pending. node-llama-cpp chooses its next batch as soon as a batch's post-actions are done; the callers
 * of the batch just sampled queue their next steps in promise jobs that run later, so a batch chosen at once held
 * only what was queued already (another caller's step, a prompt piece) and those callers went in the batch after:
 * once two callers fell out of step they stayed so, each batch holding one of them. Waiting for those jobs puts
 * every caller whose step is ready in the next batch.
 */
function afterStepsRequeued(checkpoint: unknown): Promise<void> {
  return checkpoint instanceof Promise ? checkpoint.then(afterPromiseJobs) : afterPromiseJobs();
}

export class GreedySteps {
  private sampler: NativeSampler | null = null;

  private constructor(
    private readonly model: LlamaModel,
    private readonly raw: LlamaContextSequence,
  ) {}

  /** The stepper for `sequence`, or null where this node-llama-cpp lacks an internal it needs. */
  static of(model: LlamaModel, sequence: LlamaContextSequence): GreedySteps | null {
    const m = model as unknown as Partial<ModelInternals>;
    const s = internalsOf(sequence) as Partial<SequenceInternals>;
    const ok =
      typeof m._llama?._bindings?.AddonSampler === 'function' &&
      typeof s._decodeTokens === 'function' &&
      typeof s._resolveSamplerConfig === 'function' &&
      typeof s._context?._ctx?.sampleToken === 'function' &&
      s._contextShift !== undefined;
    return ok ? new GreedySteps(model, sequence) : null;
  }

  /**
   * Evaluates `tokens` into the sequence and samples greedily after the last one: the token, or undefined where the
   * library gave none. One operation at a time per sequence, as session/conversation.ts's serial queue runs them:
   * the library's per-sequence lock is not taken, and the sampler's buffer is the sequence's own.
   */
  async step(tokens: readonly Token[], evaluationPriority: EvaluationPriority): Promise<Token | undefined> {
    this.sampler ??= greedySampler(this.model, this.raw);
    const sampler = this.sampler;
    const seq = internalsOf(this.raw);
    const logits = tokens.map((_, i) => i === tokens.length - 1);
    const results = await seq._decodeTokens(
      tokens.slice(),
      logits,
      evaluationPriority,
      seq._tokenMeter,
      { size: seq._contextShift.size, strategy: seq._contextShift.strategy },
      (batchLogitIndex) => seq._context._ctx.sampleToken(batchLogitIndex, sampler),
      (sequenceStateLength) => afterStepsRequeued(seq._takeIntervalCheckpointIfNeededAfterBatch(sequenceStateLength)),
    );
    const token = results[tokens.length - 1];
    // The native sampler answers -1 where it found no token, as controlledEvaluate reads it.
    return token === undefined || token === -1 ? undefined : (token as Token);
  }

  dispose(): void {
    this.sampler?.dispose();
    this.sampler = null;
  }

}
