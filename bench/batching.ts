// LLM batching: aggregate tokens/s of 16 sequences generating at once against one, on the shipped model's LM in
// node-llama-cpp through server/src/runtimes/lm.ts, in two ways of stepping the sequences:
// - loops: one `LmRuntime.greedy()` (node-llama-cpp `evaluate()`) loop per sequence, as the engine runs them;
// - lockstep: one loop steps every generating sequence together, each step one `controlledEvaluate()` call per
//   sequence issued in the same tick, so node-llama-cpp's dispatcher sees them all before it decodes.
// Every sequence answers the same long question, so all generate the same tokens (checked equal across modes).
// With --lanes N the sequences spread over N contexts decoding in parallel (server/src/runtimes/lm.ts; default one,
// so the figures are batching's alone), as `voxgate serve --lm-lanes` does.
//   npx tsx bench/batching.ts [--model DIR] [--sequences 16] [--tokens 96] [--lanes N]     (last line: one JSON object)
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { Token } from 'node-llama-cpp';
import { EngineModel } from '../server/src/engine/model.ts';
import { LmRuntime, type LmSequence } from '../server/src/runtimes/lm.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';

export interface BatchingFigures {
  sequences: number;
  /** LLM contexts the sequences were spread over. */
  lanes: number;
  tokensPerSequence: number;
  /** Aggregate generated tokens per second. */
  loops1TokensPerS: number;
  loopsNTokensPerS: number;
  lockstep1TokensPerS: number;
  lockstepNTokensPerS: number;
  /** The engine's way: N parallel evaluate() loops over one. */
  batch16OverBatch1: number;
  /** Lockstep N over the engine's single-sequence loop. */
  lockstepOverBatch1: number;
  /** Share of wall time the JS thread was busy while N loops ran (1 = the thread, not the CPU core, is the limit). */
  loopsNEventLoopUtilization: number;
  lockstepNEventLoopUtilization: number;
  /** Tokens per llama.cpp decode call while N sequences generated: N means every step was one full batch. */
  loopsNMeanBatchTokens: number;
  lockstepNMeanBatchTokens: number;
  /** Per-token cost of a 1-sequence prefill (batched by nature): the floor batching could approach. */
  prefillUsPerToken: number;
  sameTokens: boolean;
}

const QUESTION = 'what can you do';
const MODE = 'text-to-speech';

interface Run {
  tokens: number[][];
  wallMs: number;
  elu: number;
  /** Tokens in each llama.cpp batch decoded during the run. */
  batches: number[];
}

/** Counts the tokens of every batch the contexts decode: wraps each lane's native context in a proxy that sees its
 *  initBatch(size) calls (native methods are bound to the real object, so they run unchanged). */
function watchBatches(model: EngineModel): { take(): number[] } {
  const lanes = (model.lm as unknown as { lanes: { context: { _ctx: object } }[] }).lanes;
  let sizes: number[] = [];
  for (const { context: holder } of lanes) {
    const native = holder._ctx as Record<string, unknown>;
    holder._ctx = new Proxy(native, {
      get(target, key) {
        const value = target[key as string];
        if (typeof value !== 'function') return value;
        if (key === 'initBatch') {
          return (size: number) => {
            sizes.push(size);
            return (value as (n: number) => unknown).call(target, size);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }
  return {
    take() {
      const out = sizes;
      sizes = [];
      return out;
    },
  };
}

let batchWatch: { take(): number[] } | undefined;

/** Acquires `n` sequences, each with the prompt prefilled but its last token, so timing covers generation only. */
async function prepared(model: EngineModel, n: number): Promise<{ seqs: LmSequence[]; last: number }> {
  const p = model.prompt(MODE);
  const prompt = [...p.before, ...model.textTokens(QUESTION), ...p.after];
  const last = prompt.at(-1)!;
  const lm = ggufLm(model);
  const seqs = Array.from({ length: n }, () => lm.acquireSequence());
  await Promise.all(seqs.map((s) => lm.prefill(s, prompt.slice(0, -1))));
  return { seqs, last };
}

/** This bench steps node-llama-cpp's sequences itself: a GGUF model only. */
function ggufLm(model: EngineModel): LmRuntime {
  if (!(model.lm instanceof LmRuntime)) throw new Error(`${model.manifest.paths.lm}: the batching bench measures node-llama-cpp (lm.runtime "gguf")`);
  return model.lm;
}

async function timed(fn: () => Promise<number[][]>): Promise<Run> {
  batchWatch?.take();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const tokens = await fn();
  const wallMs = performance.now() - t0;
  return { tokens, wallMs, elu: performance.eventLoopUtilization(elu0).utilization, batches: batchWatch?.take() ?? [] };
}

async function loops(model: EngineModel, n: number, maxTokens: number): Promise<Run> {
  const { seqs, last } = await prepared(model, n);
  try {
    return await timed(() =>
      Promise.all(
        seqs.map(async (s) => {
          const out: number[] = [];
          for await (const t of model.lm.greedy(s, [last], maxTokens)) out.push(t);
          return out;
        }),
      ),
    );
  } finally {
    await Promise.all(seqs.map((s) => s.release()));
  }
}

async function lockstep(model: EngineModel, n: number, maxTokens: number): Promise<Run> {
  const { seqs, last } = await prepared(model, n);
  const eos = model.lm.eosId;
  try {
    return await timed(async () => {
      const out: number[][] = seqs.map(() => []);
      let next = seqs.map(() => last);
      let active = seqs.map((_, i) => i);
      for (let step = 0; step < maxTokens && active.length > 0; step++) {
        // Issued together: each call queues its one token before node-llama-cpp's dispatcher runs.
        const results = await Promise.all(
          active.map((i) => seqs[i]!.raw.controlledEvaluate([[next[i] as Token, { generateNext: { token: true, options: { temperature: 0 } } }]])),
        );
        next = [...next];
        active.forEach((i, k) => {
          const token = results[k]?.[0]?.next?.token ?? eos;
          out[i]!.push(token);
          next[i] = token;
        });
        active = active.filter((i) => next[i] !== eos);
      }
      return out;
    });
  } finally {
    await Promise.all(seqs.map((s) => s.release()));
  }
}

async function prefillCost(model: EngineModel): Promise<number> {
  const seq = model.lm.acquireSequence();
  try {
    // Unit tokens stand in for a caller's speech: what the engine prefills while the caller talks.
    const tokens = model.unitTokens(Array.from({ length: 400 }, (_, i) => (i * 7) % model.manifest.units.count));
    const t0 = performance.now();
    await model.lm.prefill(seq, tokens);
    return ((performance.now() - t0) * 1000) / tokens.length;
  } finally {
    await seq.release();
  }
}

const count = (r: Run) => r.tokens.reduce((n, t) => n + t.length, 0);
const rate = (r: Run) => (count(r) * 1000) / r.wallMs;
const best = (runs: Run[]) => runs.reduce((a, b) => (rate(b) > rate(a) ? b : a));
const r2 = (x: number) => Math.round(x * 100) / 100;
const meanBatch = (r: Run) => r2(r.batches.reduce((a, b) => a + b, 0) / Math.max(1, r.batches.length));

/** Loads the model with room for `sequences`, measures each way (best of `rounds`), closes it. */
export async function measureBatching(opts: { modelDir?: string; sequences?: number; tokens?: number; rounds?: number; lanes?: number } = {}): Promise<BatchingFigures> {
  const n = opts.sequences ?? 16;
  const maxTokens = opts.tokens ?? 96;
  const rounds = opts.rounds ?? 2;
  const model = await EngineModel.load(opts.modelDir ?? DEFAULT_MODEL_DIR, { sequences: n, vad: 'off', ...(opts.lanes !== undefined ? { lmLanes: opts.lanes } : {}) });
  batchWatch = watchBatches(model);
  try {
    await loops(model, 1, 8); // warm-up: thread start, allocations
    const runs = { loops1: [] as Run[], loopsN: [] as Run[], lock1: [] as Run[], lockN: [] as Run[] };
    for (let r = 0; r < rounds; r++) {
      runs.loops1.push(await loops(model, 1, maxTokens));
      runs.loopsN.push(await loops(model, n, maxTokens));
      runs.lock1.push(await lockstep(model, 1, maxTokens));
      runs.lockN.push(await lockstep(model, n, maxTokens));
    }
    const [l1, lN, k1, kN] = [best(runs.loops1), best(runs.loopsN), best(runs.lock1), best(runs.lockN)];
    const reference = JSON.stringify(l1.tokens[0]);
    const sameTokens = [lN, k1, kN].every((r) => r.tokens.every((t) => JSON.stringify(t) === reference));
    return {
      sequences: n,
      lanes: ggufLm(model).laneCount,
      tokensPerSequence: l1.tokens[0]?.length ?? 0,
      loops1TokensPerS: Math.round(rate(l1)),
      loopsNTokensPerS: Math.round(rate(lN)),
      lockstep1TokensPerS: Math.round(rate(k1)),
      lockstepNTokensPerS: Math.round(rate(kN)),
      batch16OverBatch1: r2(rate(lN) / rate(l1)),
      lockstepOverBatch1: r2(rate(kN) / rate(l1)),
      loopsNEventLoopUtilization: r2(lN.elu),
      lockstepNEventLoopUtilization: r2(kN.elu),
      loopsNMeanBatchTokens: meanBatch(lN),
      lockstepNMeanBatchTokens: meanBatch(kN),
      prefillUsPerToken: Math.round(await prefillCost(model)),
      sameTokens,
    };
  } finally {
    await model.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { model: { type: 'string' }, sequences: { type: 'string' }, tokens: { type: 'string' }, rounds: { type: 'string' }, lanes: { type: 'string' } } });
  const f = await measureBatching({
    ...(values.model ? { modelDir: values.model } : {}),
    ...(values.sequences ? { sequences: Number(values.sequences) } : {}),
    ...(values.tokens ? { tokens: Number(values.tokens) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values.lanes ? { lanes: Number(values.lanes) } : {}),
  });
  process.stderr.write(
    `${f.sequences} sequences × ${f.tokensPerSequence} tokens (greedy, same prompt), ${f.lanes} LLM lane(s)\n` +
      `  evaluate() loops : 1 seq ${f.loops1TokensPerS} tok/s, ${f.sequences} seqs ${f.loopsNTokensPerS} tok/s  → ${f.batch16OverBatch1}×  (JS thread busy ${Math.round(f.loopsNEventLoopUtilization * 100)} %, ${f.loopsNMeanBatchTokens} tokens per decode)\n` +
      `  lockstep         : 1 seq ${f.lockstep1TokensPerS} tok/s, ${f.sequences} seqs ${f.lockstepNTokensPerS} tok/s  → ${f.lockstepOverBatch1}× over 1 loop  (JS thread busy ${Math.round(f.lockstepNEventLoopUtilization * 100)} %, ${f.lockstepNMeanBatchTokens} tokens per decode)\n` +
      `  prefill          : ${f.prefillUsPerToken} µs/token   same tokens in every mode: ${f.sameTokens}\n`,
  );
  process.stdout.write(`${JSON.stringify(f)}\n`);
}
