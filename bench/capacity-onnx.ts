// What the ONNX models cost one caller, timed on the loaded model. onnxruntime-node runs a session's `run()`
// on the JavaScript thread (it defers it with setImmediate, then runs it synchronously), so every millisecond
// here is a millisecond the gateway's event loop (every caller's pacing, I/O and turn logic) is blocked.
import { readWav } from '../client-sdk/src/node/wav.ts';
import type { EngineModel } from '../server/src/engine/model.ts';
import { DEFAULT_UTTERANCES_DIR } from '../server/src/loadtest/utterances.ts';
import { percentile } from '../server/src/loadtest/stats.ts';
import { runEveryMsFor, withLeftContext } from '../server/src/runtimes/unit-encoder.ts';
import { pseudoAnswerUnits } from './answer-units.ts';

export interface OnnxCosts {
  /** One unit-encoder window (left context + runEveryMs of new audio), and per second of caller speech. */
  unitWindowMs: number;
  unitMsPerSpeechSecond: number;
  /** One VAD frame, and per second of caller audio (when the session uses the server's VAD). */
  vadFrameMs: number | null;
  vadMsPerAudioSecond: number | null;
  /** The first answer chunk (firstChunkUnits), a later chunk (chunkUnits + left context), per second of answer. */
  vocoderFirstChunkMs: number;
  vocoderChunkMs: number;
  vocoderMsPerAnswerSecond: number;
  /** Longest single blocking run seen: what one caller can hold every other caller up by. */
  longestRunMs: number;
}

const RUNS = 15;

async function median(fn: () => Promise<unknown>): Promise<{ p50: number; max: number }> {
  await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), max: Math.max(...ms) };
}

export async function measureOnnxCosts(model: EngineModel): Promise<OnnxCosts> {
  const speech = (await readWav(`${DEFAULT_UTTERANCES_DIR}/21-abilities-what-can-you-do.wav`, model.sampleRateHz)).pcm;
  // As a caller's stream runs it: the new audio the engine waits for per window (runEveryMsFor).
  const runEveryMs = runEveryMsFor(model.units.leftContextSamples, model.sampleRateHz);
  const newSamples = Math.round((runEveryMs * model.sampleRateHz) / 1000 / model.hopSamples) * model.hopSamples;
  // A stream's first window: left context of zeros, then new speech (a recording can be shorter than a long left context).
  const window = withLeftContext(speech.subarray(0, newSamples), model.units.leftContextSamples);
  const unit = await median(() => model.units.encodeWindow(window));

  let vad: { p50: number; max: number } | null = null;
  let vadFrameSamples = 512;
  if (model.vad) {
    const stream = model.vad.openStream();
    vadFrameSamples = model.vad.frameSamples;
    const frame = speech.subarray(0, vadFrameSamples);
    vad = await median(() => stream.score(frame));
  }

  const v = model.manifest.vocoder;
  const units = pseudoAnswerUnits(v.leftContextUnits + v.chunkUnits + v.firstChunkUnits, v.unitCount);
  const first = await median(() => model.vocoder.vocode(units.slice(0, v.firstChunkUnits)));
  const later = units.slice(0, v.leftContextUnits + v.chunkUnits);
  const chunk = await median(() => model.vocoder.vocode(later));
  const laterAudioS = (await model.vocoder.vocode(units.slice(v.leftContextUnits, v.leftContextUnits + v.chunkUnits))).audio.length / model.vocoderSampleRateHz;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    unitWindowMs: r2(unit.p50),
    unitMsPerSpeechSecond: r2((unit.p50 * 1000) / runEveryMs),
    vadFrameMs: vad ? r2(vad.p50) : null,
    vadMsPerAudioSecond: vad ? r2((vad.p50 * model.sampleRateHz) / vadFrameSamples) : null,
    vocoderFirstChunkMs: r2(first.p50),
    vocoderChunkMs: r2(chunk.p50),
    vocoderMsPerAnswerSecond: r2(chunk.p50 / Math.max(0.05, laterAudioS)),
    longestRunMs: r2(Math.max(unit.max, vad?.max ?? 0, first.max, chunk.max)),
  };
}
