// The two reference paths TTFA is compared with, run on the same runtimes one step at a time (speech as the model
// hears it: units, or an embedding-input model's adapted rows):
// - the compute floor: what must happen after end of speech however well the rest is streamed (evaluate
//   the prompt suffix, generate up to the first chunk's units, vocode that chunk);
// - the offline path: wait for the end, encode the utterance, prefill the whole prompt, generate the whole
//   answer, vocode it all, and only then play.
import type { EngineModel } from '../server/src/engine/model.ts';
import type { Mode } from '../server/src/runtimes/manifest.ts';
import { SpeechTrimmer } from '../server/src/pipeline/speech-trim.ts';
import { UnitMerger } from '../server/src/pipeline/unit-merger.ts';

export interface PathTimes {
  floorMs: number;
  offlineTtfaMs: number;
}

function trimmedUnits(model: EngineModel, raw: number[], pcm: Float32Array): number[] {
  const trimmer = new SpeechTrimmer({ hopSamples: model.hopSamples });
  trimmer.pushAudio(pcm);
  return new UnitMerger(model.mergeRepeats).push([...trimmer.pushUnits(raw), ...trimmer.end()]);
}

/** Generates after `prompt`, stopping once `stopAfterUnits` units came out (or at the end of answer). */
async function generateUntil(model: EngineModel, mode: Mode, prefix: number[], tail: number[], stopAfterUnits: number): Promise<{ ms: number; units: number[] }> {
  const seq = model.lm.acquireSequence();
  try {
    await model.lm.prefill(seq, prefix);
    const parser = model.newParser(mode);
    const units: number[] = [];
    const t0 = performance.now();
    // Under the answer grammar, as the engine decodes.
    for await (const token of model.lm.greedy(seq, tail, model.maxAnswerTokens(mode), undefined, undefined, () => parser.forbiddenNext())) {
      for (const e of parser.push({ id: token, text: model.tokenText(token) })) if (e.type === 'units') units.push(...e.units);
      if (parser.done || units.length >= stopAfterUnits) break;
    }
    return { ms: performance.now() - t0, units };
  } finally {
    await seq.release();
  }
}

/** Both paths once, the floor after the offline path (so its sequence and the vocoder are warm). */
export async function measurePaths(model: EngineModel, mode: Mode, pcm: Float32Array): Promise<PathTimes> {
  const prompt = model.prompt(mode);
  const firstChunk = model.manifest.vocoder.firstChunkUnits;

  // Offline: everything after end of speech, in sequence.
  const t0 = performance.now();
  const units = trimmedUnits(model, await model.encodeUtterance(pcm), pcm);
  const whole = [...prompt.before, ...model.unitTokens(units), ...prompt.after];
  const gen = await generateUntil(model, mode, [], whole, Infinity);
  await model.vocoder.vocodeAll(gen.units);
  const offlineTtfaMs = performance.now() - t0;

  // Floor: the suffix and the first chunk only, the units already in the cache. Encoded again (not timed): an
  // embedding-input model's rows are spent once evaluated.
  const floorUnits = trimmedUnits(model, await model.encodeUtterance(pcm), pcm);
  const floorGen = await generateUntil(model, mode, [...prompt.before, ...model.unitTokens(floorUnits)], prompt.after, firstChunk);
  const t1 = performance.now();
  await model.vocoder.vocode(floorGen.units.slice(0, firstChunk));
  const floorMs = floorGen.ms + (performance.now() - t1);
  return { floorMs, offlineTtfaMs };
}
