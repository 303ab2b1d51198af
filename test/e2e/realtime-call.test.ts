// The official `openai` client against `voxgate serve --tls-cert --tls-key` (a child process, as a user runs it)
// on the real model: a spoken turn (PCM16 24 kHz appended in chunks at real time, server VAD) and a text turn,
// each with the right transcript and answer.
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { Resampler, float32ToPcm16Bytes } from '../../server/src/codec/audio.ts';
import { judge } from '../../server/src/loadtest/correctness.ts';
import { startServeChild, type ServeChild } from '../../server/src/loadtest/serve-child.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances } from '../../server/src/loadtest/utterances.ts';
import { selfSignedCert, type TestCert } from '../helpers/tls.ts';
import { MODEL_DIR, MODEL_READY } from '../integration/engine-model.ts';

type Ev = { type: string; [k: string]: any };
const TOKEN = 'e2e-realtime-token-16+';
const CHUNK_MS = 100;

let serve: ServeChild | undefined;
let baseURL: string;
let tls: TestCert;

/** Starts `voxgate serve` on a free port and resolves with its https base URL once the model is ready. */
async function startServe(): Promise<string> {
  tls = selfSignedCert();
  const args = ['--model', MODEL_DIR, '--tls-cert', tls.certPath, '--tls-key', tls.keyPath, '--max-sessions', '2'];
  serve = await startServeChild(args, { ...process.env, VOXGATE_AUTH_TOKEN: TOKEN });
  return serve.httpUrl;
}

async function session(): Promise<{ rt: OpenAIRealtimeWS; events: Ev[]; next: (type: string, timeoutMs?: number) => Promise<Ev> }> {
  const rt = new OpenAIRealtimeWS({ model: 'voxgate-tiny-en', options: { ca: tls.cert } }, new OpenAI({ apiKey: TOKEN, baseURL }));
  const events: Ev[] = [];
  rt.on('event', (e) => events.push(e as Ev));
  rt.on('error', (err) => events.push({ type: 'client.error', message: String(err.message) }));
  await new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('error', reject);
  });
  const next = async (type: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.find((e) => e.type === type);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { rt, events, next };
}

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('official openai client against voxgate serve over wss (real model)', () => {
  beforeAll(async () => {
    baseURL = `${await startServe()}/v1`;
  }, 120_000);
  afterAll(() => {
    serve?.process.kill('SIGTERM');
  });

  it('a spoken turn: PCM16 24 kHz appended at real time, server VAD, the right transcript and answer', async () => {
    const [u] = await loadUtterances(DEFAULT_UTTERANCES_DIR, ['19-name']);
    if (u === undefined) throw new Error('no utterance');
    const { rt, events, next } = await session();
    await next('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad', silence_duration_ms: 500 } }, output: { format: { type: 'audio/pcm', rate: 24000 } } } } });
    await next('session.updated');
    const question = Buffer.from(float32ToPcm16Bytes(new Resampler(16000, 24000).push(u.pcm)));
    const bytes = (CHUNK_MS * 48000) / 1000;
    const silence = Buffer.alloc(bytes);
    const t0 = performance.now();
    let sent = 0;
    const pace = async () => {
      sent++;
      const wait = t0 + sent * CHUNK_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    for (let at = 0; at < question.length; at += bytes) {
      rt.send({ type: 'input_audio_buffer.append', audio: question.subarray(at, at + bytes).toString('base64') });
      await pace();
    }
    const endOfQuestion = performance.now();
    // A microphone keeps sending: silence until the answer starts.
    while (!events.some((e) => e.type === 'response.output_audio.delta') && performance.now() - endOfQuestion < 30_000) {
      rt.send({ type: 'input_audio_buffer.append', audio: silence.toString('base64') });
      await pace();
    }
    const firstAudioAt = performance.now();
    const done = await next('response.done');
    const transcript = events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')?.transcript ?? '';
    const answer = events.find((e) => e.type === 'response.output_audio_transcript.done')?.transcript ?? '';
    const audioBytes = events.filter((e) => e.type === 'response.output_audio.delta').reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
    console.info(`realtime spoken: heard "${transcript}", answered "${answer}", ${Math.round(audioBytes / 48)} ms of 24 kHz audio; end of question → first audio delta ≈ ${Math.round(firstAudioAt - endOfQuestion)} ms (includes the 500 ms of VAD silence, ±${CHUNK_MS} ms)`);
    expect(done.response.status).toBe('completed');
    expect(judge(u, { transcript, answer })).toEqual({ transcriptOk: true, answerOk: true });
    expect(audioBytes / 48).toBeGreaterThan(500);
    expect(events.filter((e) => e.type === 'error' || e.type === 'client.error')).toEqual([]);
    rt.close();
  }, 120_000);

  it('a text turn: conversation.item.create and response.create, the answer as text', async () => {
    const { rt, events, next } = await session();
    await next('session.created');
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what is your name' }] } });
    rt.send({ type: 'response.create' });
    const done = await next('response.done');
    const answer = events.find((e) => e.type === 'response.output_text.done')?.text ?? '';
    console.info(`realtime text: answered "${answer}"`);
    expect(done.response.status).toBe('completed');
    expect(judge({ transcript: '', answer: 'my name is voxgate' }, { transcript: '', answer }).answerOk).toBe(true);
    expect(events.filter((e) => e.type === 'error' || e.type === 'client.error')).toEqual([]);
    rt.close();
  }, 60_000);
});
