// Vocoder cost in onnxruntime-node (one intra-op thread, as the gateway runs it): CPU ms per second of answer
// audio, for a whole utterance and for the gateway's chunk (40 new units after 8 of context), for one or several
// vocoder.onnx files measured in the same run, their calls interleaved so they share the machine's load.
//   npm run bench:vocoder -- [--file PATH]... [--units 200] [--runs 7]
// A file given as git:REV:PATH is read from git history (e.g. today's vocoder against an earlier commit's).
// Prints one line per file and, last, one JSON object; the first file is the baseline of the ratios.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../server/src/loadtest/stats.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';
import { openVocoder, type VocoderRuntime } from '../server/src/runtimes/vocoder.ts';
import { pseudoAnswerUnits } from './answer-units.ts';

const { values } = parseArgs({
  options: { file: { type: 'string', multiple: true }, units: { type: 'string' }, runs: { type: 'string' } },
});
const files = values.file ?? [`${DEFAULT_MODEL_DIR}/vocoder.onnx`];
const unitCount = Number(values.units ?? 200);
const runs = Number(values.runs ?? 7);
const sampleRateHz = 16000;
const chunkUnits = 48;

function localPath(spec: string): string {
  if (!spec.startsWith('git:')) return spec;
  const [, rev, path] = spec.split(':');
  if (!rev || !path) throw new Error(`${spec}: expected git:REV:PATH`);
  const out = join(mkdtempSync(join(tmpdir(), 'vocoder-')), 'vocoder.onnx');
  writeFileSync(out, execFileSync('git', ['show', `${rev}:${path}`], { maxBuffer: 1 << 28 }));
  return out;
}

const units = pseudoAnswerUnits(unitCount, 128);

interface Sample {
  cpuMs: number;
  wallMs: number;
  audioS: number;
}

async function measure(vocoder: VocoderRuntime, input: number[]): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const { audio } = await vocoder.vocode(input);
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0, audioS: audio.length / sampleRateHz };
}

const opened: { spec: string; vocoder: VocoderRuntime; whole: Sample[]; chunk: Sample[] }[] = [];
for (const spec of files) {
  const vocoder = await openVocoder(localPath(spec), { hopSamples: 160, unitCount: 128 });
  await vocoder.vocode(units); // warm-up
  opened.push({ spec, vocoder, whole: [], chunk: [] });
}
for (let r = 0; r < runs; r++) {
  for (const o of opened) {
    o.whole.push(await measure(o.vocoder, units));
    o.chunk.push(await measure(o.vocoder, units.slice(0, chunkUnits)));
  }
}

const perSecond = (xs: Sample[], key: 'cpuMs' | 'wallMs'): number => percentile(xs.map((s) => s[key] / s.audioS), 50);
const rows = opened.map((o) => ({
  file: o.spec,
  wholeCpuMsPerAudioS: perSecond(o.whole, 'cpuMs'),
  wholeWallMsPerAudioS: perSecond(o.whole, 'wallMs'),
  chunkCpuMsPerAudioS: perSecond(o.chunk, 'cpuMs'),
  chunkWallMsPerAudioS: perSecond(o.chunk, 'wallMs'),
}));
const base = rows[0]!;
for (const r of rows) {
  console.log(`${r.file}: whole ${r.wholeCpuMsPerAudioS.toFixed(1)} CPU ms per s of audio (wall ${r.wholeWallMsPerAudioS.toFixed(1)}), ` +
    `chunk ${r.chunkCpuMsPerAudioS.toFixed(1)} (wall ${r.chunkWallMsPerAudioS.toFixed(1)}), ` +
    `chunk CPU ${(r.chunkCpuMsPerAudioS / base.chunkCpuMsPerAudioS).toFixed(3)}× the first file's`);
}
console.log(JSON.stringify({
  units: unitCount, chunkUnits, runs,
  files: rows.map((r) => ({ ...r, chunkCpuOverFirst: r.chunkCpuMsPerAudioS / base.chunkCpuMsPerAudioS,
    wholeCpuOverFirst: r.wholeCpuMsPerAudioS / base.wholeCpuMsPerAudioS })),
}));
process.exit(0);
