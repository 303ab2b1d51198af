// The floor through node-llama-cpp: greedy decode steps driven on its native context directly (initBatch,
// addToBatch, decodeBatch, then one sampleToken per sequence, each sequence with its own greedy sampler kept for the
// whole run: a native sampler has one candidates buffer, so two samplings at once must not share it),
// without the library's JS layer (its per-step sampler, locks, batch queue and prioritization). Between llama.cpp
// alone (bench/llama-batched.ts) and the engine's path (bench/batching.ts), it tells what the native hops cost and
// what the JS layer adds. The native calls are node-llama-cpp 3.21's internals (a probe, never the gateway's path).
import { performance } from 'node:perf_hooks';
import { getLlama, LlamaLogLevel, type LlamaContextSequence, type Token } from 'node-llama-cpp';
import { greedySampler, type NativeSampler } from '../server/src/runtimes/lm-greedy-step.ts';

interface NativeContext {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, firstTokenSequenceIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(batchLogitIndex: number, sampler: unknown): Promise<number>;
  removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
}

/** The library's own objects behind its public ones. */
interface Internals {
  context: { _ctx: NativeContext };
  sequence: { _sequenceId: number };
}

export interface NativeStepFigures {
  /** Tokens/s of one sequence stepping alone, best of the rounds. */
  oneTokensPerS: number;
  /** Tokens/s of `sequences` stepping together (adjacent ids: one llama.cpp micro-batch), best of the rounds. */
  manyTokensPerS: number;
  manyOverOne: number;
}

/** Steps `sequences` sequences together `steps` times from the end of a short prompt, and one alone, `rounds` times. */
export async function measureNativeSteps(gguf: string, opts: { sequences?: number; steps?: number; rounds?: number } = {}): Promise<NativeStepFigures> {
  const n = opts.sequences ?? 16;
  const steps = opts.steps ?? 128;
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: gguf });
  const context = await model.createContext({ sequences: n, contextSize: n * 1024, threads: 1, flashAttention: false });
  const c = context as unknown as Internals['context'];
  const native = c._ctx;
  const inner = (s: LlamaContextSequence) => s as unknown as Internals['sequence'];
  const idOf = (s: LlamaContextSequence) => inner(s)._sequenceId;
  const samplers: NativeSampler[] = [];
  try {
    const prompt = model.tokenize('[Human]:what can you do<2s><eoh>[Assistant]:', true);
    const last = prompt[prompt.length - 1]!;
    const sequences = Array.from({ length: n }, () => context.getSequence());
    // Greedy samplers as the gateway's runtime makes them, kept for every step.
    for (const s of sequences) samplers.push(greedySampler(model, s));
    for (const s of sequences) await s.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
    const run = async (k: number): Promise<number> => {
      const start = sequences.slice(0, k).map((s) => s.nextTokenIndex);
      let tokens: number[] = Array.from({ length: k }, () => last);
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        native.initBatch(k);
        const logitAt = tokens.map((t, j) => native.addToBatch(idOf(sequences[j]!), start[j]! + i, Uint32Array.of(t), Uint32Array.of(0))[0]!);
        await native.decodeBatch();
        tokens = await Promise.all(logitAt.map((at, j) => native.sampleToken(at, samplers[j])));
      }
      const tokensPerS = (k * steps) / ((performance.now() - t0) / 1000);
      for (let j = 0; j < k; j++) native.removeTokenCellsFromSequence(idOf(sequences[j]!), start[j]!, start[j]! + steps);
      return tokensPerS;
    };
    await run(1); // warm-up
    let one = 0;
    let many = 0;
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      one = Math.max(one, await run(1));
      many = Math.max(many, await run(n));
    }
    return { oneTokensPerS: Math.round(one), manyTokensPerS: Math.round(many), manyOverOne: Math.round((many / one) * 100) / 100 };
  } finally {
    for (const sampler of samplers) sampler.dispose();
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}
