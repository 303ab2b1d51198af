// /v1/realtime with the official `openai` package's OpenAIRealtimeWS as the outside client, over wss with a
// self-signed certificate, on the fake engine: the session handshake, a spoken turn with server VAD, a text
// turn, barge-in, and every bad event answered with its error while another client goes on.
import OpenAI from 'openai';
import { OpenAIRealtimeWS as BetaRealtimeWS } from 'openai/beta/realtime/ws';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeG711 } from '../../server/src/codec/g711.ts';
import { startTestServer, FakeEngine, type FakeServer } from '../helpers/fake-engine.ts';
import { selfSignedCert, type TestCert } from '../helpers/tls.ts';

type Ev = { type: string; [k: string]: any };
const TOKEN = 'realtime-token-of-16-chars';
let tls: TestCert;
let fake: FakeServer;

beforeAll(async () => {
  tls = selfSignedCert();
  fake = await startTestServer(new FakeEngine({ answerAudioMs: 600, audioChunkMs: 100 }), { authToken: TOKEN, tlsCert: tls.certPath, tlsKey: tls.keyPath, endOfSpeechSilenceMs: 300 });
});
afterAll(async () => {
  await fake.close();
});

/** 24 kHz PCM16 of a tone (the fake engine hears energy as speech), or silence. */
function pcm24(ms: number, amp: number): Buffer {
  const n = (ms * 24000) / 1000;
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(amp * 32767 * Math.sin((2 * Math.PI * 300 * i) / 24000)), i * 2);
  return out;
}

async function openClient(apiKey = TOKEN): Promise<{ rt: OpenAIRealtimeWS; events: Ev[]; next: (type: string, timeoutMs?: number, from?: number) => Promise<Ev> }> {
  const client = new OpenAI({ apiKey, baseURL: `${fake.server.httpUrl}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'voxgate-tiny', options: { ca: tls.cert } }, client);
  const events: Ev[] = [];
  const waiters: (() => void)[] = [];
  rt.on('event', (e) => {
    events.push(e as Ev);
    for (const w of waiters.splice(0)) w();
  });
  rt.on('error', (err) => events.push({ type: 'client.error', message: String(err.message ?? err) }));
  const next = async (type: string, timeoutMs = 10_000, from = 0): Promise<Ev> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.slice(from).find((e) => e.type === type);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${events.map((e) => e.type).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        waiters.push(() => (clearTimeout(t), r()));
      });
    }
  };
  await new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('error', reject);
  });
  return { rt, events, next };
}

async function appendRealTime(rt: OpenAIRealtimeWS, pcm: Buffer, chunkMs = 100): Promise<void> {
  const bytes = (chunkMs * 24000 * 2) / 1000;
  for (let at = 0; at < pcm.length; at += bytes) {
    rt.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(at, at + bytes).toString('base64') });
    await new Promise((r) => setTimeout(r, chunkMs / 4)); // 4× real time: the fake engine does not care
  }
}

describe('OpenAI Realtime-compatible endpoint, official openai client (fake engine)', () => {
  it('holds a spoken turn with server VAD: the GA events in order, audio back at 24 kHz', async () => {
    const { rt, events, next } = await openClient();
    const created = await next('session.created');
    expect(created.session).toMatchObject({ type: 'realtime', model: 'voxgate-tiny', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } });
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad', silence_duration_ms: 300 } }, output: { format: { type: 'audio/pcm', rate: 24000 } } } } });
    await next('session.updated');
    await appendRealTime(rt, Buffer.concat([pcm24(400, 0.4), pcm24(600, 0)]));
    const done = await next('response.done');
    expect(done.response.status).toBe('completed');
    const order = events.map((e) => e.type);
    const at = (t: string) => order.indexOf(t);
    expect(at('input_audio_buffer.speech_started')).toBeGreaterThan(at('session.updated'));
    expect(at('input_audio_buffer.speech_stopped')).toBeGreaterThan(at('input_audio_buffer.speech_started'));
    expect(at('input_audio_buffer.committed')).toBeGreaterThan(at('input_audio_buffer.speech_stopped'));
    expect(at('response.created')).toBeGreaterThan(at('input_audio_buffer.committed'));
    expect(at('conversation.item.input_audio_transcription.completed')).toBeGreaterThan(at('response.created'));
    expect(at('response.output_audio_transcript.done')).toBeGreaterThan(at('response.output_audio_transcript.delta'));
    expect(at('response.output_audio.done')).toBeGreaterThan(at('response.output_audio.delta'));
    expect(order.at(-1)).toBe('response.done');
    const transcript = events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')?.transcript;
    expect(transcript).toMatch(/^heard \d+ ms$/);
    expect(events.find((e) => e.type === 'response.output_audio_transcript.done')?.transcript).toBe(`you said: ${transcript}`);
    // 600 ms of answer as PCM16 at 24 kHz, base64 deltas of the response's item.
    const deltas = events.filter((e) => e.type === 'response.output_audio.delta');
    expect(deltas.every((d) => d.response_id === done.response.id && d.item_id === done.response.output[0].id)).toBe(true);
    const bytes = deltas.reduce((n, d) => n + Buffer.from(d.delta, 'base64').length, 0);
    expect(bytes / 48).toBeGreaterThanOrEqual(600);
    expect(bytes / 48).toBeLessThanOrEqual(620);
    expect(events.filter((e) => e.type === 'error' || e.type === 'client.error')).toEqual([]);
    rt.close();
  });

  it('holds a text turn: conversation.item.create, then response.create, text modality', async () => {
    const { rt, events, next } = await openClient();
    await next('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    await next('session.updated');
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what is your name' }] } });
    await next('conversation.item.added');
    rt.send({ type: 'response.create' });
    const done = await next('response.done');
    expect(done.response).toMatchObject({ status: 'completed', output_modalities: ['text'] });
    expect(events.find((e) => e.type === 'response.output_text.done')?.text).toBe('you said: what is your name');
    expect(events.some((e) => e.type === 'response.output_audio.delta')).toBe(false);
    expect(fake.engine.sessions.at(-1)?.mode).toBe('speech-to-text');
    rt.close();
  });

  it('barge-in: speech over the answer cancels the response', async () => {
    const long = new FakeEngine({ answerAudioMs: 5000, audioChunkMs: 200 });
    const server = await startTestServer(long, { tlsCert: tls.certPath, tlsKey: tls.keyPath, endOfSpeechSilenceMs: 300 });
    try {
      const client = new OpenAI({ apiKey: 'unused', baseURL: `${server.server.httpUrl}/v1` });
      const rt = new OpenAIRealtimeWS({ model: 'voxgate', options: { ca: tls.cert } }, client);
      const events: Ev[] = [];
      rt.on('event', (e) => events.push(e as Ev));
      rt.on('error', () => {});
      await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
      await appendRealTime(rt, Buffer.concat([pcm24(300, 0.4), pcm24(500, 0)]));
      const until = async (pred: () => boolean) => {
        for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      };
      await until(() => events.filter((e) => e.type === 'response.output_audio.delta').length > 10);
      await appendRealTime(rt, pcm24(300, 0.4));
      await until(() => events.some((e) => e.type === 'response.done'));
      const done = events.find((e) => e.type === 'response.done');
      expect(done?.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled' } });
      expect(long.sessions[0]?.cuts).toHaveLength(1);
      rt.close();
    } finally {
      await server.close();
    }
  });

  it('answers every bad event with an error naming it; another client is untouched', async () => {
    const good = await openClient();
    const bad = await openClient();
    await bad.next('session.created');
    const badSocket = bad.rt.socket;
    badSocket.send('not json');
    bad.rt.send({ type: 'no.such.event', event_id: 'evt_1' } as never);
    bad.rt.send({ type: 'input_audio_buffer.append', audio: '%%%' });
    bad.rt.send({ type: 'session.update', session: { type: 'realtime', tools: [{ type: 'function', name: 'f' }], audio: { output: { voice: 'alloy' } } } });
    bad.rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'x', output: '{}' } } as never);
    bad.rt.send({ type: 'response.create' });
    bad.rt.send({ type: 'conversation.item.retrieve', item_id: 'x' });
    good.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    good.rt.send({ type: 'response.create' });
    const errors = async () => {
      for (let i = 0; i < 60 && bad.events.filter((e) => e.type === 'error').length < 7; i++) await new Promise((r) => setTimeout(r, 50));
      return bad.events.filter((e) => e.type === 'error').map((e) => e.error);
    };
    const got = await errors();
    expect(got.map((e) => e.code)).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'INVALID_AUDIO', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(got[1]).toMatchObject({ type: 'invalid_request_error', param: 'type', event_id: 'evt_1' });
    expect(got[2]).toMatchObject({ param: 'audio' });
    expect(got[3]).toMatchObject({ param: 'session.tools' });
    expect(got[3].message).toMatch(/session\.tools, session\.audio\.output\.voice/);
    expect(got[4]).toMatchObject({ param: 'item.type' });
    expect(got[4].message).toMatch(/function_call_output/);
    expect(got[5].message).toMatch(/nothing to answer/);
    expect(got[6].message).toMatch(/conversation\.item\.retrieve/);
    expect(bad.rt.socket.readyState).toBe(1); // still open
    const done = await good.next('response.done');
    expect(done.response.status).toBe('completed');
    expect(good.events.filter((e) => e.type === 'error')).toEqual([]);
    good.rt.close();
    bad.rt.close();
  });

  it('refuses a wrong key before the upgrade, and takes the key as a browser subprotocol', async () => {
    const wrong = new OpenAIRealtimeWS({ model: 'voxgate', options: { ca: tls.cert } }, new OpenAI({ apiKey: 'wrong-key', baseURL: `${fake.server.httpUrl}/v1` }));
    const failure = await new Promise<string>((resolve) => {
      wrong.on('error', (err) => resolve(String(err.message)));
      wrong.socket.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    });
    expect(failure).toMatch(/401/);
    const { WebSocket } = await import('ws');
    const browserLike = new WebSocket(`${fake.server.realtimeUrl}?model=voxgate`, ['realtime', `openai-insecure-api-key.${TOKEN}`], { ca: tls.cert });
    const first = await new Promise<Ev>((resolve, reject) => {
      browserLike.once('message', (d) => resolve(JSON.parse(String(d)) as Ev));
      browserLike.once('error', reject);
    });
    expect(browserLike.protocol).toBe('realtime');
    expect(first.type).toBe('session.created');
    browserLike.close();
  });

  it('speaks G.711 when the session asks: audio/pcmu in and out', async () => {
    const { rt, events, next } = await openClient();
    await next('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', silence_duration_ms: 300 } }, output: { format: { type: 'audio/pcmu' } } } } });
    expect((await next('session.updated')).session.audio).toMatchObject({ input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } });
    const tone8k = Float32Array.from({ length: 8 * 400 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 300 * i) / 8000));
    const mulaw = Buffer.concat([Buffer.from(encodeG711('pcmu', tone8k)), Buffer.from(encodeG711('pcmu', new Float32Array(8 * 600)))]);
    for (let at = 0; at < mulaw.length; at += 800) {
      rt.send({ type: 'input_audio_buffer.append', audio: mulaw.subarray(at, at + 800).toString('base64') });
      await new Promise((r) => setTimeout(r, 25));
    }
    await next('response.done');
    // 600 ms of answer at 8 kHz, one byte a sample (the resampler's tail may add a frame).
    const bytes = events.filter((e) => e.type === 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
    expect(bytes).toBeGreaterThanOrEqual(4800);
    expect(bytes).toBeLessThanOrEqual(4960);
    // The fake engine names the speech it got: the 400 ms tone reached it through μ-law 8 kHz.
    const heard = Number(/^heard (\d+) ms$/.exec(events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')?.transcript ?? '')?.[1]);
    expect(heard).toBeGreaterThanOrEqual(400);
    rt.close();
  });

  it('speaks the beta event names to the official beta client (OpenAI-Beta: realtime=v1)', async () => {
    const client = new OpenAI({ apiKey: TOKEN, baseURL: `${fake.server.httpUrl}/v1` });
    const rt = new BetaRealtimeWS({ model: 'voxgate', options: { ca: tls.cert } }, client);
    const events: Ev[] = [];
    rt.on('event', (e) => events.push(e as Ev));
    rt.on('error', (err) => events.push({ type: 'client.error', message: String(err.message) }));
    await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    rt.send({ type: 'session.update', session: { modalities: ['text', 'audio'], input_audio_format: 'pcm16', output_audio_format: 'pcm16' } });
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    rt.send({ type: 'response.create' });
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'response.done'); i++) await new Promise((r) => setTimeout(r, 50));
    const types = new Set(events.map((e) => e.type));
    expect(events.find((e) => e.type === 'session.created')?.session).toMatchObject({ input_audio_format: 'pcm16', turn_detection: expect.anything() });
    for (const t of ['conversation.item.created', 'response.audio_transcript.delta', 'response.audio_transcript.done', 'response.audio.delta', 'response.audio.done', 'response.done']) expect(types.has(t), t).toBe(true);
    for (const t of ['conversation.item.added', 'conversation.item.done', 'response.output_audio.delta']) expect(types.has(t), t).toBe(false);
    expect(events.find((e) => e.type === 'response.audio_transcript.done')?.transcript).toBe('you said: hello');
    expect(events.filter((e) => e.type === 'error' || e.type === 'client.error')).toEqual([]);
    rt.close();
  });
});
