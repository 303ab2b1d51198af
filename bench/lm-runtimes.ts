// The same LM in its two runtimes, one sequence at a time: node-llama-cpp on the GGUF and onnxruntime on lm.onnx
// (the LLaSM path's LM runtime). Per runtime: greedy decode ms per generated token, prefill µs per token (400 unit
// tokens, what the engine prefills while a caller speaks), and the longest single decode step (onnxruntime's run()
// holds the event loop that long). Three runs each, alternating, so both see the same machine load.
//   npx tsx bench/lm-runtimes.ts --gguf models/voxgate-tiny-en --onnx DIR [--runs 3] [--tokens 64]
// DIR: a folder written by models/recipe/voxgate_recipe/onnx_lm_folder.py from the GGUF folder. Last line: JSON.
import { parseArgs } from 'node:util';
import type { LanguageModel } from '../server/src/runtimes/language-model.ts';
import { loadManifest } from '../server/src/runtimes/manifest.ts';
import { openLanguageModel } from '../server/src/runtimes/open-lm.ts';
import { percentile } from '../server/src/loadtest/stats.ts';

interface RunFigures {
  decodeMsPerToken: number;
  prefillUsPerToken: number;
  longestStepMs: number;
}

const PROMPT_TEXT = 'count from one to twenty';
const PREFILL_TOKENS = 400;

async function once(lm: LanguageModel, unitCount: number, maxTokens: number): Promise<RunFigures> {
  const seq = lm.acquireSequence();
  try {
    const units = Array.from({ length: PREFILL_TOKENS }, (_, i) => lm.unitTokenId((i * 7) % unitCount));
    const t0 = performance.now();
    await lm.prefill(seq, units);
    const prefillUsPerToken = ((performance.now() - t0) * 1000) / units.length;
    await seq.clear();
    const prompt = [...lm.tokenizeTemplate('[Human]:'), ...lm.tokenizeText(PROMPT_TEXT), ...lm.tokenizeTemplate('<2t><eoh>[Assistant]:')];
    const steps: number[] = [];
    let last = performance.now();
    for await (const _token of lm.greedy(seq, prompt, maxTokens)) {
      const now = performance.now();
      steps.push(now - last);
      last = now;
    }
    const decode = steps.slice(1); // the first step carries the prompt
    return {
      decodeMsPerToken: decode.reduce((a, b) => a + b, 0) / Math.max(1, decode.length),
      prefillUsPerToken,
      longestStepMs: Math.max(...decode),
    };
  } finally {
    await seq.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gguf: { type: 'string', default: 'models/voxgate-tiny-en' },
      onnx: { type: 'string' },
      runs: { type: 'string', default: '3' },
      tokens: { type: 'string', default: '64' },
    },
  });
  if (!values.onnx) throw new Error('--onnx DIR is required (python3 -m voxgate_recipe.onnx_lm_folder --from GGUF_DIR --out DIR)');
  const runs = Number(values.runs);
  const maxTokens = Number(values.tokens);
  const folders = { gguf: values.gguf, onnx: values.onnx };
  const lms: Record<string, { lm: LanguageModel; unitCount: number }> = {};
  for (const [name, dir] of Object.entries(folders)) {
    const m = loadManifest(dir);
    lms[name] = { lm: await openLanguageModel(m, 1), unitCount: m.units.count + m.units.tokenOffset };
  }
  const results: Record<string, RunFigures[]> = { gguf: [], onnx: [] };
  for (let r = 0; r < runs; r++) {
    for (const name of Object.keys(folders)) {
      const { lm, unitCount } = lms[name]!;
      const figures = await once(lm, unitCount, maxTokens);
      results[name]!.push(figures);
      console.log(`${name} run ${r + 1}: decode ${figures.decodeMsPerToken.toFixed(2)} ms/token, prefill ${figures.prefillUsPerToken.toFixed(0)} µs/token, longest step ${figures.longestStepMs.toFixed(2)} ms`);
    }
  }
  await Promise.all(Object.values(lms).map(({ lm }) => lm.close()));
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, rs]) => {
      const field = (k: keyof RunFigures) => rs.map((x) => Number(x[k].toFixed(3)));
      return [name, { decodeMsPerToken: field('decodeMsPerToken'), prefillUsPerToken: field('prefillUsPerToken'), longestStepMs: field('longestStepMs'),
        medianDecodeMsPerToken: percentile(field('decodeMsPerToken'), 50) }];
    }),
  );
  console.log(JSON.stringify({ folders, tokens: maxTokens, prefillTokens: PREFILL_TOKENS, runs: summary }));
}

await main();
