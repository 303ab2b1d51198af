// TTFA by dialect, from one run on one engine: the same recorded questions over voxgate's WebSocket protocol,
// WebRTC, a Twilio media stream (μ-law 8 kHz) and the OpenAI Realtime-compatible endpoint (PCM16 24 kHz).
// Every question is streamed at real time. Caller TTFA = end of the caller's question → first answer audio
// received; the question is committed where the dialect can commit (voxgate ws, WebRTC, Realtime with
// turn_detection null); a phone caller cannot, so its figure includes the VAD's end-of-speech silence (printed).
// Engine TTFA = the engine's end of input → first audio chunk (the same measure for all four).
//   npx tsx bench/ttfa-dialects.ts [--rounds N] [--questions id,id,...]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { connect, type VoiceClient } from '../client-sdk/src/node/index.ts';
import { connectWebRtc } from '../client-sdk/src/transports/webrtc-node.ts';
import { makeConfig } from '../server/src/config.ts';
import { Resampler, float32ToPcm16Bytes } from '../server/src/codec/audio.ts';
import { createEngine } from '../server/src/engine/create-engine.ts';
import { startServer } from '../server/src/http/server.ts';
import { attachBrowserEndpoints } from '../server/src/http/webrtc-attach.ts';
import { judge } from '../server/src/loadtest/correctness.ts';
import { PhoneClient } from '../server/src/loadtest/phone-client.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances, type Utterance } from '../server/src/loadtest/utterances.ts';
import { tapEngine } from '../test/helpers/engine-tap.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, questions: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 3);
// Questions the shipped model answers over a phone's narrow band too (docs/telephony.md, Limits), so every dialect
// times the same answers.
const QUESTION_IDS = (values.questions ?? '17-greeting,18-greeting,19-name').split(',');
const END_OF_SPEECH_SILENCE_MS = 500;
const DIALECTS = ['websocket', 'webrtc', 'twilio', 'realtime'] as const;
type Dialect = (typeof DIALECTS)[number];

interface Row {
  dialect: Dialect;
  question: string;
  callerTtfaMs: number;
  engineTtfaMs: number | undefined;
  answerOk: boolean;
}

const engine = tapEngine(await createEngine({ maxSessions: 2 }));
const server = await startServer({ config: makeConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', maxSessions: 2, endOfSpeechSilenceMs: END_OF_SPEECH_SILENCE_MS }), engine });
const browser = attachBrowserEndpoints(server, { demo: false });
const questions = await loadUtterances(DEFAULT_UTTERANCES_DIR, QUESTION_IDS);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/** The engine's last finished turn since `from` events: its TTFA and texts. */
function engineTurn(from: number): { ttfaMs: number | undefined; transcript: string; answer: string } {
  const done = engine.events.slice(from).flatMap(({ event }) => (event.type === 'turn.done' ? [event] : [])).at(-1);
  if (done === undefined) return { ttfaMs: undefined, transcript: '', answer: '' };
  return { ttfaMs: done.timings.ttfaMs, transcript: engine.finalText('transcript.final', done.turnId) ?? '', answer: engine.finalText('answer.final', done.turnId) ?? '' };
}

async function untilTurnDone(from: number, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!engine.events.slice(from).some(({ event }) => event.type === 'turn.done' || event.type === 'error') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function sdkTurn(dialect: 'websocket' | 'webrtc', u: Utterance): Promise<number> {
  const opts = { mode: 'speech-to-speech' as const, vad: false, input: { codec: 'opus' as const, sampleRateHz: 16000 as const }, output: { codec: 'opus' as const, sampleRateHz: 16000 as const } };
  const client: VoiceClient = dialect === 'webrtc' ? await connectWebRtc({ ...opts, url: browser.webrtcUrl }) : await connect({ ...opts, url: server.voiceUrl });
  try {
    let firstAudioAt = 0;
    client.on('audio', () => (firstAudioAt ||= performance.now()));
    const done = new Promise<void>((resolve) => client.on('turn.done', () => resolve()));
    const t0 = performance.now();
    for (let at = 0, i = 1; at < u.pcm.length; at += 320, i++) {
      client.sendAudio(u.pcm.subarray(at, at + 320));
      await sleepUntil(t0 + i * 20);
    }
    client.commit();
    const committedAt = performance.now();
    await done;
    return firstAudioAt - committedAt;
  } finally {
    await client.end();
  }
}

async function phoneTurn(u: Utterance): Promise<number> {
  const phone = await PhoneClient.open(server.phoneUrl);
  try {
    phone.start();
    await phone.speak(u.pcm);
    const endAt = performance.now();
    // A phone line keeps streaming: silence until the answer arrives.
    while (phone.events('media').length === 0 && performance.now() - endAt < 30_000) await phone.speak(new Float32Array(320));
    return performance.now() - endAt;
  } finally {
    phone.stop();
    await phone.closed;
  }
}

async function realtimeTurn(u: Utterance): Promise<number> {
  const ws = new WebSocket(`${server.realtimeUrl}?model=voxgate`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  try {
    let firstAudioAt = 0;
    let doneResolve: () => void = () => {};
    const done = new Promise<void>((r) => (doneResolve = r));
    ws.on('message', (d) => {
      const e = JSON.parse(String(d)) as { type: string };
      if (e.type === 'response.output_audio.delta') firstAudioAt ||= performance.now();
      if (e.type === 'response.done') doneResolve();
    });
    ws.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } } } }));
    const pcm = Buffer.from(float32ToPcm16Bytes(new Resampler(16000, 24000).push(u.pcm)));
    const t0 = performance.now();
    for (let at = 0, i = 1; at < pcm.length; at += 960, i++) {
      ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.subarray(at, at + 960).toString('base64') }));
      await sleepUntil(t0 + i * 20);
    }
    ws.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
    const committedAt = performance.now();
    await done;
    return firstAudioAt - committedAt;
  } finally {
    ws.close();
  }
}

const rows: Row[] = [];
// Warm-up turn: first runs pay for allocation and thread start-up.
await sdkTurn('websocket', questions[0] as Utterance);
for (let round = 0; round < ROUNDS; round++) {
  for (const u of questions) {
    // Rotate which dialect goes first, so none always follows another's warm-up.
    const order = DIALECTS.map((_, i) => DIALECTS[(i + round) % DIALECTS.length] as Dialect);
    for (const dialect of order) {
      const from = engine.events.length;
      const caller = dialect === 'twilio' ? await phoneTurn(u) : dialect === 'realtime' ? await realtimeTurn(u) : await sdkTurn(dialect, u);
      await untilTurnDone(from);
      const turn = engineTurn(from);
      rows.push({ dialect, question: u.id, callerTtfaMs: Math.round(caller), engineTtfaMs: turn.ttfaMs === undefined ? undefined : Math.round(turn.ttfaMs), answerOk: judge(u, turn).answerOk });
    }
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const summary = DIALECTS.map((dialect) => {
  const rs = rows.filter((r) => r.dialect === dialect);
  const caller = rs.map((r) => r.callerTtfaMs);
  const eng = rs.flatMap((r) => (r.engineTtfaMs === undefined ? [] : [r.engineTtfaMs]));
  return { dialect, turns: rs.length, callerMedianMs: median(caller), callerMinMs: sorted(caller)[0], callerMaxMs: sorted(caller).at(-1), engineMedianMs: median(eng), answersRight: rs.filter((r) => r.answerOk).length };
});
console.log(`TTFA by dialect, ${ROUNDS} round(s) of ${QUESTION_IDS.join(', ')}, streamed at real time`);
for (const s of summary) {
  const note = s.dialect === 'twilio' ? ` (no commit on a phone: includes ${END_OF_SPEECH_SILENCE_MS} ms of end-of-speech silence)` : '';
  console.log(`  ${s.dialect.padEnd(9)} caller median ${s.callerMedianMs} ms [${s.callerMinMs}–${s.callerMaxMs}]${note}; engine median ${s.engineMedianMs} ms; answers right ${s.answersRight}/${s.turns}`);
}
mkdirSync('test-output/bench', { recursive: true });
writeFileSync('test-output/bench/ttfa-dialects.json', `${JSON.stringify({ rounds: ROUNDS, questions: QUESTION_IDS, summary, rows }, null, 1)}\n`);
console.log(JSON.stringify({ summary }));
await server.close(0);
await engine.close();
process.exit(0);
