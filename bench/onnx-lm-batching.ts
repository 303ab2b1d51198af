// Does batching callers into one onnxruntime run pay for the LLaSM path's LM? One decode step (one new token per
// sequence, every sequence `past` tokens deep) timed at several batch sizes on a graph with a dynamic batch axis
// (models/recipe/voxgate_recipe/onnx_lm_batch_probe.py writes it from the GGUF: same weights and operators as the
// served lm.onnx), one intra-op thread as the gateway runs it. Prints tokens/s per batch size over batch 1's.
//   /usr/bin/python3 -m voxgate_recipe.onnx_lm_batch_probe models/voxgate-tiny-en/lm.gguf /tmp/lm-batch.onnx  (in models/recipe)
//   npx tsx bench/onnx-lm-batching.ts --lm /tmp/lm-batch.onnx [--past 200] [--batches 1,2,4,8,16] [--steps 30]
// Last line: one JSON object.
import ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { percentile } from '../server/src/loadtest/stats.ts';

const { values } = parseArgs({
  options: { lm: { type: 'string' }, past: { type: 'string' }, batches: { type: 'string' }, steps: { type: 'string' } },
});
if (!values.lm) throw new Error('--lm PATH is required (onnx_lm_batch_probe.py writes it)');
const pastTokens = Number(values.past ?? 200);
const batches = (values.batches ?? '1,2,4,8,16').split(',').map(Number);
const steps = Number(values.steps ?? 30);

const session = await ort.InferenceSession.create(values.lm, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
const pastNames = session.inputNames.filter((n) => n.startsWith('past_'));
const embedsMeta = session.inputMetadata.find((m) => m.name === 'inputs_embeds');
const dim = embedsMeta?.isTensor ? embedsMeta.shape[2] : undefined;
if (typeof dim !== 'number') throw new Error(`${values.lm}: inputs_embeds has no fixed width (a graph from onnx_lm_batch_probe.py has one)`);

function randomTensor(dims: number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return new ort.Tensor('float32', data, dims);
}

interface Row {
  batch: number;
  stepMs: number;
  tokensPerS: number;
  overBatch1: number;
}

const rows: Row[] = [];
for (const batch of batches) {
  const feeds: Record<string, ort.Tensor> = { inputs_embeds: randomTensor([batch, 1, dim]) };
  for (const name of pastNames) feeds[name] = randomTensor([batch, pastTokens, dim]);
  await session.run(feeds); // warm-up
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  const stepMs = percentile(times, 50);
  const tokensPerS = (batch * 1000) / stepMs;
  rows.push({ batch, stepMs, tokensPerS, overBatch1: tokensPerS / (rows[0]?.tokensPerS ?? tokensPerS) });
}
console.log(`ONNX LM decode step, ${pastTokens} tokens of past, one intra-op thread (median of ${steps}):`);
for (const r of rows) {
  console.log(`  batch ${String(r.batch).padStart(2)}: ${r.stepMs.toFixed(2)} ms/step, ${r.tokensPerS.toFixed(0)} tokens/s, ${r.overBatch1.toFixed(2)}× batch 1`);
}
console.log(JSON.stringify({ pastTokens, steps, dim, rows }));
