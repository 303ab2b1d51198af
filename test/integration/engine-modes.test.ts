import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import type { VoxEngine } from '../../server/src/engine/engine.ts';
import { MODEL_DIR, MODEL_READY } from './engine-model.ts';
import { speak } from './engine-speech.ts';

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('engine on the real model: the four modes', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ modelDir: MODEL_DIR, maxSessions: 2, vad: 'off' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('speech-to-speech: an espeak-ng question gives a transcript, an answer and audio', async () => {
    const r = await runOneTurn(engine, { mode: 'speech-to-speech', pcm: speak('what is two plus three', 'en-gb', 150) });
    expect(r.transcript).toMatch(/plus/);
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.audio.length).toBeGreaterThan(r.sampleRateHz / 4);
    expect(r.timings.ttfaMs).toBeGreaterThan(0);
    expect(r.timings.ttfaMs).toBeLessThan(r.timings.totalMs + 1);
    // The first chunk is vocoded (TTFA's floor), then held no longer than its playout needs to never run dry.
    expect(r.timings.firstAudioReadyMs).toBeGreaterThan(0);
    expect(r.timings.firstAudioReadyMs).toBeLessThanOrEqual(r.timings.ttfaMs ?? 0);
    // Spoken answers count their chunks cut early (at most one per few units: each cut carries 5 or more).
    expect(r.timings.earlyChunks).toBeGreaterThanOrEqual(0);
    expect(r.timings.earlyChunks).toBeLessThanOrEqual(r.timings.outputUnits / 5);
    expect(r.timings.inputUnits).toBeGreaterThan(10);
    expect(r.timings.outputUnits).toBeGreaterThan(10);
    const order = r.events.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i);
    expect(order.indexOf('transcript.final')).toBeLessThan(order.indexOf('answer.final'));
    expect(order.indexOf('answer.final')).toBeLessThan(order.indexOf('audio.end'));
    expect(order.at(-1)).toBe('turn.done');
  });

  it('learns this machine\'s production costs: ms per token at start-up, vocoder cost per call size', async () => {
    const model = (engine as VoxEngine).model;
    expect(model.tokenMsNow()).toBeGreaterThan(0);
    expect(model.tokenMsNow()).toBeLessThan(100);
    expect(model.vocoder.cost.runMs(48)).toBeGreaterThan(model.vocoder.cost.runMs(16));
  });

  it('speech-to-text: transcript and answer, no audio', async () => {
    const r = await runOneTurn(engine, { mode: 'speech-to-text', pcm: speak('what is two plus three', 'en-us', 170) });
    expect(r.transcript).toMatch(/plus/);
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.audio.length).toBe(0);
    expect(r.timings.ttfaMs).toBeUndefined();
    expect(r.timings.earlyChunks).toBeUndefined();
  });

  it('text-to-speech: answer and audio, no transcript', async () => {
    const r = await runOneTurn(engine, { mode: 'text-to-speech', text: 'hello' });
    expect(r.transcript).toBeNull();
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.audio.length).toBeGreaterThan(0);
  });

  it('text-to-text: the answer alone', async () => {
    const r = await runOneTurn(engine, { mode: 'text-to-text', text: 'hello' });
    expect(r.transcript).toBeNull();
    // The model's skill is its own business (see MODEL_CARD.md); the engine's is a clean lower-case answer.
    expect(r.answer).toMatch(/^[a-z0-9' ]+$/);
    expect(r.audio.length).toBe(0);
  });

  it('two sessions at once each get their own answer, as when asked alone', async () => {
    const alone = await Promise.all([
      runOneTurn(engine, { mode: 'text-to-text', text: 'hello' }),
    ]);
    const [a, b] = await Promise.all([
      runOneTurn(engine, { mode: 'speech-to-speech', pcm: speak('what is two plus three', 'en-gb', 150) }),
      runOneTurn(engine, { mode: 'text-to-text', text: 'hello' }),
    ]);
    expect(a.transcript).toMatch(/plus/);
    expect(a.audio.length).toBeGreaterThan(0);
    expect(b.answer).toBe(alone[0]?.answer);
    expect(engine.activeSessions).toBe(0);
  });
});
