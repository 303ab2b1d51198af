// Real-time factor of vocoder.onnx in onnxruntime-node (one intra-op thread, as the gateway runs it).
//   npx tsx bench/vocoder-rtf.ts [path/to/vocoder.onnx] [units=200] [runs=5]
// Prints the median time per call over `units` pseudo-random units divided by the audio's duration,
// for a whole utterance and for the gateway's chunk size (40 new units after 8 of context).
import { openVocoder } from '../server/src/runtimes/vocoder.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';

const path = process.argv[2] ?? `${DEFAULT_MODEL_DIR}/vocoder.onnx`;
const unitCount = Number(process.argv[3] ?? 200);
const runs = Number(process.argv[4] ?? 5);
const sampleRateHz = 16000;

const vocoder = await openVocoder(path, { hopSamples: 160, unitCount: 128 });
let state = 12345;
const units: number[] = [];
while (units.length < unitCount) {
  state = (state * 1103515245 + 12345) % 2147483648;
  const unit = Math.floor((state / 2147483648) * 128);
  if (unit !== units[units.length - 1]) units.push(unit);
}

async function medianRtf(input: number[]): Promise<{ rtf: number; ms: number; seconds: number }> {
  const results: { ms: number; seconds: number }[] = [];
  await vocoder.vocode(input); // warm-up
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { audio } = await vocoder.vocode(input);
    results.push({ ms: performance.now() - started, seconds: audio.length / sampleRateHz });
  }
  results.sort((a, b) => a.ms - b.ms);
  const mid = results[Math.floor(results.length / 2)] ?? { ms: NaN, seconds: NaN };
  return { rtf: mid.ms / 1000 / mid.seconds, ...mid };
}

const whole = await medianRtf(units);
const chunk = await medianRtf(units.slice(0, 48));
console.log(`vocoder ${path}`);
console.log(`whole: ${units.length} units → ${whole.seconds.toFixed(2)} s audio in ${whole.ms.toFixed(0)} ms, RTF ${whole.rtf.toFixed(3)}`);
console.log(`chunk: 48 units → ${chunk.seconds.toFixed(2)} s audio in ${chunk.ms.toFixed(0)} ms, RTF ${chunk.rtf.toFixed(3)} (incl. context)`);
