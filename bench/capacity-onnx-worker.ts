// Does moving vocoding off the JavaScript thread keep the gateway's event loop free? `callers` simulated answers
// each vocode one chunk (leftContextUnits + chunkUnits units) per chunk of audio at real time, either inline
// (onnxruntime-node runs `run()` on the calling thread: server/src/runtimes/vocoder.ts) or through
// server/src/runtimes/vocoder-thread.ts, the gateway's default worker thread with its own session.
// A 5 ms interval timer measures how late the event loop runs callbacks.
//   npx tsx bench/capacity-onnx-worker.ts [--model DIR] [--callers 4] [--seconds 8]   (last line: one JSON object)
import { parseArgs } from 'node:util';
import { EngineModel } from '../server/src/engine/model.ts';
import { percentile } from '../server/src/loadtest/stats.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';
import { VocoderThread } from '../server/src/runtimes/vocoder-thread.ts';
import { pseudoAnswerUnits } from './answer-units.ts';
import { startLagProbe } from './loop-lag.ts';

export interface LoopLag {
  chunks: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

const TICK_MS = 5;

type Vocode = (units: number[]) => Promise<number>;

/** `callers` answers at once, each needing one chunk per chunkAudioMs of audio, for `seconds`; the loop's lateness meanwhile. */
async function lagUnder(vocode: Vocode, units: number[], chunkAudioMs: number, callers: number, seconds: number): Promise<LoopLag> {
  const probe = startLagProbe(TICK_MS);
  const end = performance.now() + seconds * 1000;
  let chunks = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      await new Promise((r) => setTimeout(r, (c * chunkAudioMs) / callers)); // answers start spread out
      for (let due = performance.now(); performance.now() < end; due += chunkAudioMs) {
        await vocode(units);
        chunks++;
        const wait = due + chunkAudioMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }),
  );
  const lags = probe.stop();
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { chunks, lagP50Ms: r1(percentile(lags, 50)), lagP99Ms: r1(percentile(lags, 99)), lagMaxMs: r1(Math.max(...lags)) };
}

export async function measureWorkerVocoding(opts: { modelDir?: string; callers?: number; seconds?: number } = {}): Promise<{ inline: LoopLag; worker: LoopLag; chunkAudioMs: number }> {
  const modelDir = opts.modelDir ?? DEFAULT_MODEL_DIR;
  const model = await EngineModel.load(modelDir, { sequences: 1, vad: 'off', vocoderThread: 'inline' });
  try {
    const v = model.manifest.vocoder;
    const units = pseudoAnswerUnits(v.leftContextUnits + v.chunkUnits, v.unitCount);
    const chunkAudioMs = ((await model.vocoder.vocode(units.slice(0, v.chunkUnits))).audio.length * 1000) / model.vocoderSampleRateHz;
    const callers = opts.callers ?? 4;
    const seconds = opts.seconds ?? 8;
    const inline = await lagUnder(async (u) => (await model.vocoder.vocode(u)).audio.length, units, chunkAudioMs, callers, seconds);
    const thread = await VocoderThread.open(model.manifest.paths.vocoder, model.vocoder);
    try {
      const worker = await lagUnder(async (u) => (await thread.vocode(u)).audio.length, units, chunkAudioMs, callers, seconds);
      return { inline, worker, chunkAudioMs: Math.round(chunkAudioMs) };
    } finally {
      await thread.close();
    }
  } finally {
    await model.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { model: { type: 'string' }, callers: { type: 'string' }, seconds: { type: 'string' } } });
  const r = await measureWorkerVocoding({
    ...(values.model ? { modelDir: values.model } : {}),
    ...(values.callers ? { callers: Number(values.callers) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
  });
  for (const [name, l] of [['inline', r.inline], ['worker thread', r.worker]] as const) {
    process.stderr.write(`${name.padEnd(15)} ${l.chunks} chunks of ${r.chunkAudioMs} ms audio: event-loop lag p50 ${l.lagP50Ms} ms, p99 ${l.lagP99Ms} ms, max ${l.lagMaxMs} ms\n`);
  }
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
