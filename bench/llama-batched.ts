// Where a batched decode's time goes: llama.cpp alone against llama.cpp through node-llama-cpp, on the same GGUF.
// Builds llama.cpp's own `llama-batched-bench` from the source node-llama-cpp ships (its git bundle; cmake and a C++
// compiler needed; -j1 by default to leave a core to others), runs it with one thread and without flash attention as
// voxgate's context is set up, with the per-sequence KV cache node-llama-cpp uses and with llama.cpp's unified one, and
// sets its decode tokens/s beside the binding's: its native calls driven directly (bench/binding-native-steps.ts) and
// the engine's path (bench/batching.ts).
//   npx tsx bench/llama-batched.ts [--model DIR] [--build-dir test-output/llama.cpp] [--jobs 1] [--parallel 1,2,4,8,16]
//                                  [--prompt-tokens 64] [--generated-tokens 128] [--rounds 3] [--skip-binding]
// Last stdout line: one JSON object. The build takes ~15 min at -j1 on two cores; later runs reuse it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR, loadManifest } from '../server/src/runtimes/manifest.ts';
import { measureBatching } from './batching.ts';
import { measureNativeSteps } from './binding-native-steps.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BUNDLE = join(REPO, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');
/** Context per sequence, as the shipped manifest gives it (lm.contextTokens). */
const SEQUENCE_CONTEXT_TOKENS = 1024;

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'build-dir': { type: 'string' },
    jobs: { type: 'string' },
    parallel: { type: 'string' },
    'prompt-tokens': { type: 'string' },
    'generated-tokens': { type: 'string' },
    'skip-binding': { type: 'boolean' },
    rounds: { type: 'string' },
  },
});
const modelDir = values.model ?? DEFAULT_MODEL_DIR;
const gguf = loadManifest(modelDir).paths.lm;
const buildDir = resolve(values['build-dir'] ?? join(REPO, 'test-output/llama.cpp'));
const parallel = (values.parallel ?? '1,2,4,8,16').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const promptTokens = Number(values['prompt-tokens'] ?? 64);
const generatedTokens = Number(values['generated-tokens'] ?? 128);
/** Each configuration is run this many times and the fastest kept: a busy neighbour only ever slows a run down. */
const rounds = Number(values.rounds ?? 3);
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The llama-batched-bench binary, built from node-llama-cpp's bundled source when not built yet. */
function benchBinary(): string {
  const bin = join(buildDir, 'build/bin/llama-batched-bench');
  if (existsSync(bin)) return bin;
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is absent: node-llama-cpp ships llama.cpp's source there`);
  if (!existsSync(join(buildDir, 'CMakeLists.txt'))) {
    mkdirSync(dirname(buildDir), { recursive: true });
    execFileSync('git', ['clone', '--quiet', BUNDLE, buildDir], { stdio: 'inherit' });
  }
  say(`building llama-batched-bench in ${buildDir} (-j${values.jobs ?? 1}) …`);
  const flags = ['-DCMAKE_BUILD_TYPE=Release', '-DLLAMA_CURL=OFF', '-DGGML_OPENMP=OFF', '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_SERVER=OFF'];
  execFileSync('cmake', ['-S', buildDir, '-B', join(buildDir, 'build'), ...flags], { stdio: 'inherit' });
  execFileSync('cmake', ['--build', join(buildDir, 'build'), '--target', 'llama-batched-bench', `-j${values.jobs ?? 1}`], { stdio: 'inherit' });
  return bin;
}

interface Row {
  pl: number;
  speed_tg: number;
  speed_pp: number;
}

/** Decode and prompt tokens/s by sequences in parallel, from llama-batched-bench's JSON lines. */
function runBench(bin: string, unifiedKv: boolean): Map<number, Row> {
  const maxParallel = Math.max(...parallel);
  const args = ['-m', gguf, '-c', String(SEQUENCE_CONTEXT_TOKENS * maxParallel), '-b', '2048', '-ub', '512', '-t', '1', '-fa', 'off', '-npp', String(promptTokens),
    '-ntg', String(generatedTokens), '-npl', parallel.join(','), unifiedKv ? '-kvu' : '-no-kvu', '--output-format', 'jsonl'];
  const run = spawnSync(bin, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`llama-batched-bench failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const rows = new Map<number, Row>();
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as Row;
    rows.set(row.pl, row);
  }
  return rows;
}

/** The fastest of `rounds` runs, per parallel count. */
function bestOf(bin: string, unifiedKv: boolean): Map<number, Row> {
  const best = new Map<number, Row>();
  for (let r = 0; r < rounds; r++) {
    for (const [pl, row] of runBench(bin, unifiedKv)) if (row.speed_tg > (best.get(pl)?.speed_tg ?? 0)) best.set(pl, row);
  }
  return best;
}

const bin = benchBinary();
const r0 = (x: number) => Math.round(x);
const r2 = (x: number) => Math.round(x * 100) / 100;
const figures = (rows: Map<number, Row>) => {
  const one = rows.get(1)?.speed_tg ?? NaN;
  return Object.fromEntries([...rows.values()].map((r) => [r.pl, { decodeTokensPerS: r0(r.speed_tg), overOne: r2(r.speed_tg / one), promptTokensPerS: r0(r.speed_pp) }]));
};
const perSequenceKv = figures(bestOf(bin, false));
const unifiedKv = figures(bestOf(bin, true));
const top = Math.max(...parallel);
say(`llama.cpp alone, 1 thread, ${promptTokens}-token prompts, ${generatedTokens} generated (best of ${rounds}):`);
for (const [name, f] of [['per-sequence KV (as node-llama-cpp)', perSequenceKv], ['unified KV', unifiedKv]] as const) {
  say(`  ${name}: ${Object.entries(f).map(([pl, x]) => `${pl} seq ${x.decodeTokensPerS} tok/s (${x.overOne}×)`).join(', ')}`);
}
const nativeSteps = values['skip-binding'] ? null : await measureNativeSteps(gguf, { sequences: top, steps: generatedTokens, rounds });
if (nativeSteps) {
  say(
    `node-llama-cpp's native calls alone (bench/binding-native-steps.ts): 1 seq ${nativeSteps.oneTokensPerS} tok/s, ` +
      `${top} seqs ${nativeSteps.manyTokensPerS} (${nativeSteps.manyOverOne}×)`,
  );
}
const binding = values['skip-binding'] ? null : await measureBatching({ modelDir, sequences: top, tokens: 96, rounds: 2 });
if (binding) {
  say(
    `through node-llama-cpp (bench/batching.ts): 1 seq ${binding.loops1TokensPerS} tok/s, ${top} seqs ${binding.loopsNTokensPerS} (loops, ${binding.batch16OverBatch1}×) / ` +
      `${binding.lockstepNTokensPerS} (lockstep, ${binding.lockstepOverBatch1}×)`,
  );
}
const llamaTop = perSequenceKv[top]?.decodeTokensPerS ?? NaN;
process.stdout.write(
  `${JSON.stringify({
    model: gguf,
    threads: 1,
    promptTokens,
    generatedTokens,
    llamaCppPerSequenceKv: perSequenceKv,
    llamaCppUnifiedKv: unifiedKv,
    nativeSteps,
    binding,
    /** Through the binding at `top` sequences over llama.cpp alone (same KV layout): what the binding keeps of it. */
    bindingOverLlamaCppAtTop: binding ? r2(Math.max(binding.loopsNTokensPerS, binding.lockstepNTokensPerS) / llamaTop) : null,
    /** ms per batched step at `top` sequences, added by the binding over llama.cpp's own decode. */
    bindingMsPerStepAtTop: binding ? r2((top * 1000) / Math.max(binding.loopsNTokensPerS, binding.lockstepNTokensPerS) - (top * 1000) / llamaTop) : null,
  })}\n`,
);
