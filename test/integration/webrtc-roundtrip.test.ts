// Whole calls over WebRTC (werift on both ends, loopback) through the real gateway, on the fake engine: the data
// channel carries the protocol, Opus RTP carries the audio both ways, paced at real time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioReceived, VoiceClient } from '../../client-sdk/src/node/index.ts';
import { connectWebRtc } from '../../client-sdk/src/transports/webrtc-node.ts';
import { attachBrowserEndpoints, type BrowserEndpoints } from '../../server/src/http/webrtc-attach.ts';
import { startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer;
let endpoints: BrowserEndpoints;

beforeAll(async () => {
  fake = await startFakeServer({ outputLeadMs: 100 }, { answerAudioMs: 400, audioChunkMs: 100 });
  endpoints = attachBrowserEndpoints(fake.server, { demo: false });
});
afterAll(async () => {
  await fake?.close();
});

function collect(client: VoiceClient): { types: string[]; audio: AudioReceived[] } {
  const types: string[] = [];
  const audio: AudioReceived[] = [];
  for (const t of ['speech.started', 'speech.stopped', 'transcript.final', 'answer.final', 'audio.start', 'audio.end', 'turn.done', 'interrupted', 'error'] as const) {
    client.on(t, () => types.push(t));
  }
  client.on('audio', (a) => audio.push(a));
  return { types, audio };
}

describe('webrtc round trip (werift client, fake engine)', () => {
  it('answers a text turn with events on the data channel and paced Opus RTP', async () => {
    const t0 = performance.now();
    const client = await connectWebRtc({ url: endpoints.webrtcUrl, mode: 'text-to-speech' });
    const connectMs = performance.now() - t0;
    expect(client.session.output).toEqual({ codec: 'opus', sampleRateHz: 16000, frameMs: 20 });
    expect(client.session.input.codec).toBe('opus');
    const { types, audio } = collect(client);
    const done = new Promise((resolve) => client.on('turn.done', resolve));
    const sent = performance.now();
    client.sendText('hello there');
    await done;
    const elapsedMs = performance.now() - sent;
    expect(types).toContain('transcript.final');
    expect(types.indexOf('audio.start')).toBeLessThan(types.indexOf('turn.done'));
    // RTP and the data channel are separate paths: wait for the last packets a moment.
    await new Promise((r) => setTimeout(r, 100));
    const samples = audio.reduce((n, a) => n + a.pcm.length, 0);
    expect(samples).toBeGreaterThanOrEqual(19 * 320);
    expect(samples).toBeLessThanOrEqual(21 * 320);
    expect(elapsedMs).toBeGreaterThan(250); // paced: 400 ms of audio with a 100 ms lead
    const all = new Float32Array(samples);
    let at = 0;
    for (const a of audio) {
      all.set(a.pcm, at);
      at += a.pcm.length;
    }
    const rms = Math.sqrt(all.reduce((s, x) => s + x * x, 0) / samples);
    expect(rms).toBeGreaterThan(0.1);
    const info = await client.end();
    expect(info.code).toBe(1000);
    const closed = await fake.callClosed((c) => c.sessionId === client.session.sessionId);
    expect(closed.errorCode).toBeUndefined();
    console.log(`webrtc connect ${Math.round(connectMs)} ms, text turn ${Math.round(elapsedMs)} ms`);
  });

  it('carries the caller audio over RTP into the engine (commit turn)', async () => {
    const client = await connectWebRtc({ url: endpoints.webrtcUrl, mode: 'speech-to-speech', vad: false });
    const transcript = new Promise<string>((resolve) => client.on('transcript.final', (e) => resolve(e.text)));
    const frame = 320;
    const tone = new Float32Array(16000 / 2).map((_, i) => 0.5 * Math.sin(i / 3));
    for (let at = 0; at < tone.length; at += frame) {
      client.sendAudio(tone.subarray(at, at + frame));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    client.commit();
    expect(await transcript).toMatch(/^heard (4[6-9]\d|5[0-2]\d) ms$/);
    await client.end();
  });
});
