// TTFA by dialect, from one run on one engine: the same recorded questions over voxgate's WebSocket protocol,
// WebRTC, a Twilio media stream (μ-law 8 kHz) and the OpenAI Realtime-compatible endpoint (PCM16 24 kHz).
// Every question is streamed at real time. Caller TTFA = end of the caller's question → first answer audio
// received; the question is committed where the dialect can commit (voxgate ws, WebRTC, Realtime with
// turn_detection null); a phone caller cannot, so its figure includes the VAD's end-of-speech silence (printed).
// Engine TTFA = the engine's end of input → first audio chunk (the same measure for all four).
//   npx tsx bench/ttfa-dialects.ts [--rounds N] [--questions id,id,...]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect, type VoiceClient } from '../client-sdk/src/node/index.ts';
import { connectWebRtc } from '../client-sdk/src/transports/webrtc-node.ts';
import { callOverDialect } from '../server/src/cli/call-dialects.ts';
import { makeConfig } from '../server/src/config.ts';
import { createEngine } from '../server/src/engine/create-engine.ts';
import { startServer } from '../server/src/http/server.ts';
import { attachBrowserEndpoints } from '../server/src/http/webrtc-attach.ts';
import { judge } from '../server/src/loadtest/correctness.ts';
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
    // An error for the turn ends it too (a misheard question can make the model's output malformed).
    const done = new Promise<void>((resolve) => {
      client.on('turn.done', () => resolve());
      client.on('error', () => resolve());
      setTimeout(resolve, 30_000);
    });
    const t0 = performance.now();
    for (let at = 0, i = 1; at < u.pcm.length; at += 320, i++) {
      client.sendAudio(u.pcm.subarray(at, at + 320));
      await sleepUntil(t0 + i * 20);
    }
    client.commit();
    const committedAt = performance.now();
    await done;
    return firstAudioAt === 0 ? NaN : firstAudioAt - committedAt;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Twilio and Realtime turns as `voxgate call` holds them. */
async function dialectTurn(transport: 'twilio' | 'realtime', u: Utterance): Promise<number> {
  const url = transport === 'twilio' ? server.phoneUrl : server.realtimeUrl;
  const turn = await callOverDialect(transport, { url, token: undefined, speech: u.pcm, text: undefined, timeoutMs: 30_000 }).catch((err: unknown) => {
    console.error(`${transport} ${u.id}: ${(err as Error).message}`);
    return undefined;
  });
  return turn?.ttfaMs ?? NaN;
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
      const caller = dialect === 'twilio' || dialect === 'realtime' ? await dialectTurn(dialect, u) : await sdkTurn(dialect, u);
      await untilTurnDone(from);
      const turn = engineTurn(from);
      console.error(`${dialect} ${u.id}: caller ${Math.round(caller)} ms, engine ${turn.ttfaMs === undefined ? '-' : Math.round(turn.ttfaMs)} ms, "${turn.answer}"`);
      rows.push({ dialect, question: u.id, callerTtfaMs: Math.round(caller), engineTtfaMs: turn.ttfaMs === undefined ? undefined : Math.round(turn.ttfaMs), answerOk: judge(u, turn).answerOk });
    }
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const summary = DIALECTS.map((dialect) => {
  const rs = rows.filter((r) => r.dialect === dialect);
  const caller = rs.flatMap((r) => (Number.isFinite(r.callerTtfaMs) ? [r.callerTtfaMs] : []));
  const eng = rs.flatMap((r) => (r.engineTtfaMs === undefined ? [] : [r.engineTtfaMs]));
  return { dialect, turns: rs.length, unanswered: rs.length - caller.length, callerMedianMs: median(caller), callerMinMs: sorted(caller)[0], callerMaxMs: sorted(caller).at(-1), engineMedianMs: median(eng), answersRight: rs.filter((r) => r.answerOk).length };
});
console.log(`TTFA by dialect, ${ROUNDS} round(s) of ${QUESTION_IDS.join(', ')}, streamed at real time`);
for (const s of summary) {
  const note = s.dialect === 'twilio' ? ` (no commit on a phone: includes ${END_OF_SPEECH_SILENCE_MS} ms of end-of-speech silence)` : '';
  console.log(`  ${s.dialect.padEnd(9)} caller median ${s.callerMedianMs} ms [${s.callerMinMs}–${s.callerMaxMs}]${note}; engine median ${s.engineMedianMs} ms; answers right ${s.answersRight}/${s.turns}, no audio ${s.unanswered}`);
}
mkdirSync('test-output/bench', { recursive: true });
writeFileSync('test-output/bench/ttfa-dialects.json', `${JSON.stringify({ rounds: ROUNDS, questions: QUESTION_IDS, summary, rows }, null, 1)}\n`);
console.log(JSON.stringify({ summary }));
await server.close(0);
await engine.close();
process.exit(0);
