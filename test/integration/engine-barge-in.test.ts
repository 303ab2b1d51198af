import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import { MODEL_DIR, MODEL_READY, record, stream } from './engine-model.ts';
import { concat, silence } from '../helpers/pcm.ts';
import { speak } from './engine-speech.ts';

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('engine on the real model: VAD turns, barge-in, turns in a row', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ modelDir: MODEL_DIR, maxSessions: 2 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('Silero finds the turn in streamed audio and the answer follows speech.stopped', async () => {
    const session = await engine.openSession({ mode: 'speech-to-speech', endOfSpeechSilenceMs: 400 });
    const r = record(session);
    await stream(session, concat(silence(300), speak('what is two plus three', 'en-gb', 150), silence(700)), 4);
    const done = await r.next((e) => e.type === 'turn.done');
    if (done.type !== 'turn.done') throw new Error();
    const types = r.events.map((e) => e.type);
    expect(types.indexOf('speech.started')).toBeLessThan(types.indexOf('speech.stopped'));
    expect(types.indexOf('speech.stopped')).toBeLessThan(types.indexOf('transcript.delta'));
    expect(r.finalText('transcript.final', done.turnId)).toMatch(/plus/);
    expect(r.audioSamples(done.turnId)).toBeGreaterThan(0);
    await session.close();
  });

  it('speech over a playing answer interrupts it at once and the new question is answered', async () => {
    const session = await engine.openSession({ mode: 'speech-to-speech', endOfSpeechSilenceMs: 400 });
    const r = record(session);
    // A spoken greeting lasts seconds: long enough to talk over.
    session.pushText('hello', 'text-to-speech');
    const first = await r.next((e) => e.type === 'audio.chunk');
    const firstTurn = first.type === 'audio.chunk' ? first.turnId : '';
    await stream(session, concat(speak('what is two plus three', 'en-gb', 150), silence(700)), 4);
    const interrupted = await r.next((e) => e.type === 'interrupted');
    expect(interrupted).toMatchObject({ turnId: firstTurn });
    const started = r.events.find((e) => e.type === 'speech.started');
    // Cancelled on the frame that confirmed speech, before the new turn was even announced.
    expect(r.events.indexOf(interrupted)).toBeLessThan(r.events.indexOf(started!));
    const after = r.events.slice(r.events.indexOf(interrupted) + 1);
    expect(after.some((e) => 'turnId' in e && e.turnId === firstTurn)).toBe(false);
    const secondTurn = started?.type === 'speech.started' ? started.turnId : '';
    await r.next((e) => (e.type === 'turn.done' || e.type === 'error') && e.turnId === secondTurn);
    expect(r.finalText('transcript.final', secondTurn)).toMatch(/plus/);
    await session.close();
  });

  it('a second turn in the same session is answered (the shipped model reads no earlier turn: lm.earlierTurns 0)', async () => {
    const session = await engine.openSession({ mode: 'text-to-text' });
    const r = record(session);
    session.pushText('hello');
    const one = await r.next((e) => e.type === 'turn.done' || e.type === 'error');
    session.pushText('what is two plus three');
    const two = await r.next((e) => (e.type === 'turn.done' || e.type === 'error') && e !== one);
    expect([one.type, two.type]).toEqual(['turn.done', 'turn.done']);
    if (one.type !== 'turn.done' || two.type !== 'turn.done') throw new Error();
    expect(r.finalText('answer.final', one.turnId)).toMatch(/voxgate/);
    expect(r.finalText('answer.final', two.turnId)?.length).toBeGreaterThan(0);
    await session.close();
  });
});
