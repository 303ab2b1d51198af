// A whole call through the real ws server and the SDK, on the fake engine: events, paced audio, interruption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AudioReceived, type VoiceClient } from '../../client-sdk/src/node/index.ts';
import { startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeServer({ outputLeadMs: 100 }, { answerAudioMs: 400, audioChunkMs: 100 });
});
afterAll(async () => {
  await fake.close();
});

function record(client: VoiceClient): { types: string[]; audio: AudioReceived[] } {
  const types: string[] = [];
  const audio: AudioReceived[] = [];
  for (const t of ['speech.started', 'speech.stopped', 'transcript.delta', 'transcript.final', 'answer.delta', 'answer.final', 'audio.start', 'audio.end', 'turn.done', 'interrupted', 'error'] as const) {
    client.on(t, () => types.push(t));
  }
  client.on('audio', (a) => {
    types.push('audio');
    audio.push(a);
  });
  return { types, audio };
}

describe('ws round trip (fake engine)', () => {
  it('answers a text turn with ordered events and real-time paced Opus audio', async () => {
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech', output: { codec: 'opus', sampleRateHz: 48000 } });
    expect(client.session.model).toBe('fake-engine');
    expect(client.session.output).toEqual({ codec: 'opus', sampleRateHz: 48000, frameMs: 20 });
    const { types, audio } = record(client);
    const done = new Promise((resolve) => client.on('turn.done', resolve));
    const t0 = performance.now();
    client.sendText('hello there');
    const turn = (await done) as { timings: { audioMs: number } };
    const elapsedMs = performance.now() - t0;

    // Text first, then audio bracketed by its marks, then turn.done after the last frame.
    expect(types.indexOf('transcript.final')).toBeLessThan(types.indexOf('audio.start'));
    expect(types.indexOf('audio.start')).toBeLessThan(types.indexOf('audio'));
    expect(types.lastIndexOf('audio')).toBeLessThan(types.indexOf('audio.end'));
    expect(types.at(-1)).toBe('turn.done');
    expect(turn.timings.audioMs).toBe(400);
    const samples = audio.reduce((n, a) => n + a.pcm.length, 0);
    // 400 ms at 48 kHz in whole 20 ms frames; the resampler's ~1 ms tail may fill one more frame.
    expect(samples % 960).toBe(0);
    expect(samples).toBeGreaterThanOrEqual(20 * 960);
    expect(samples).toBeLessThanOrEqual(21 * 960);
    // Paced: 400 ms of audio with a 100 ms lead cannot all arrive in much less than 300 ms.
    expect(elapsedMs).toBeGreaterThan(250);
    const rms = Math.sqrt(audio.flatMap((a) => [...a.pcm]).reduce((s, x) => s + x * x, 0) / samples);
    expect(rms).toBeGreaterThan(0.1); // the 0.3-amplitude tone survived resampling and Opus

    const info = await client.end();
    expect(info.code).toBe(1000);
    const closed = await fake.callClosed((c) => c.sessionId === client.session.sessionId);
    expect(closed.errorCode).toBeUndefined();
    expect(fake.engine.activeSessions).toBe(0);
  });

  it('streams speech with explicit commit (pcm16 in and out)', async () => {
    const client = await connect({ url: fake.server.voiceUrl, mode: 'speech-to-speech', vad: false });
    const { audio } = record(client);
    const transcript = new Promise<string>((resolve) => client.on('transcript.final', (e) => resolve(e.text)));
    const done = new Promise((resolve) => client.on('turn.done', resolve));
    const tone = new Float32Array(16000 / 2).map((_, i) => 0.5 * Math.sin(i / 3));
    client.sendAudio(tone);
    client.commit();
    expect(await transcript).toBe('heard 500 ms');
    await done;
    expect(audio.reduce((n, a) => n + a.pcm.length, 0)).toBe(400 * 16); // 400 ms at 16 kHz: no resampling, exact
    const session = fake.engine.sessions.find((s) => s.id === client.session.sessionId);
    expect(session?.commits).toBe(1);
    await client.end();
  });

  it('response.cancel stops the audio and reports interrupted once', async () => {
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    const { types } = record(client);
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    client.sendText('a long answer please');
    await firstAudio;
    client.interrupt();
    const interrupted = await new Promise<{ turnId: string }>((resolve) => client.on('interrupted', resolve));
    const audioAtInterrupt = types.filter((t) => t === 'audio').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(types.filter((t) => t === 'interrupted')).toHaveLength(1);
    expect(types.filter((t) => t === 'audio').length).toBe(audioAtInterrupt);
    expect(interrupted.turnId).toMatch(/^fake-/);
    await client.end();
  });

  it('barge-in: caller speech over an answer still playing cuts it, even when the engine finished generating', async () => {
    const client = await connect({ url: fake.server.voiceUrl, mode: 'speech-to-speech', vad: true });
    const { types } = record(client);
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    const interrupted = new Promise<{ turnId: string }>((resolve) => client.on('interrupted', resolve));
    client.sendText('answer me at length', 'text-to-speech');
    await firstAudio;
    client.sendAudio(new Float32Array(1600).map((_, i) => 0.5 * Math.sin(i / 2))); // 100 ms of "speech"
    const cut = await interrupted;
    expect(types.indexOf('speech.started')).toBeGreaterThan(types.indexOf('audio'));
    expect(types).not.toContain('audio.end'); // the rest of the answer was dropped, marks included
    expect(cut.turnId).toMatch(/^fake-/);
    await client.end();
  });

  it('a new text turn cuts the answer still playing', async () => {
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    const done: string[] = [];
    const interrupted: string[] = [];
    client.on('interrupted', (e) => interrupted.push(e.turnId));
    const second = new Promise<void>((resolve) =>
      client.on('turn.done', (e) => {
        done.push(e.turnId);
        if (done.length === 1 && interrupted.length === 1) resolve();
      }),
    );
    client.sendText('first question');
    await firstAudio;
    client.sendText('second question');
    await second;
    expect(interrupted).toHaveLength(1);
    expect(done).toHaveLength(1);
    expect(done[0]).not.toBe(interrupted[0]);
    await client.end();
  });
});
