// voxgate call: one turn against a running gateway, through the client SDK. Speaks a WAV file at real time in
// 20 ms frames (or sends a text), collects the answer, saves its audio, and prints one JSON object with --json.
import { connect, readWav, writeWav, MODES, VOICE_PATH, type AudioReceived, type Mode, type TurnTimings, type VoiceClient } from '../../../client-sdk/src/node/index.ts';
import { intFlag, parseFlags, UsageError } from './args.ts';
import { callOverDialect, type DialectTransport } from './call-dialects.ts';
import { connectOverWebRtc, transportFor } from './call-webrtc.ts';

const FLAGS = {
  url: { type: 'string' },
  transport: { type: 'string' },
  wav: { type: 'string' },
  text: { type: 'string' },
  mode: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  codec: { type: 'string' },
  'out-rate': { type: 'string' },
  vad: { type: 'boolean' },
  token: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `usage: voxgate call (--wav FILE | --text TEXT) [flags]

  --url URL          gateway (default ws://127.0.0.1:8080${VOICE_PATH})
  --transport T      ws | webrtc | twilio | realtime (default: ws for ws:// URLs, webrtc for http:// URLs);
                     twilio: a phone media stream (μ-law 8 kHz, --wav only, no text comes back; URL .../v1/twilio);
                     realtime: the OpenAI Realtime-compatible endpoint (PCM16 24 kHz; URL .../v1/realtime)
  --wav FILE         16-bit PCM WAV, any rate (resampled to 16 kHz), streamed at real time in 20 ms frames
  --text TEXT        a text turn instead
  --mode MODE        ${MODES.join(' | ')} (default speech-to-speech with --wav, text-to-speech with --text)
  --out FILE         save the answer audio as a 16-bit WAV
  --json             print exactly one JSON object: {transcript, answer, audio, timings, ...}
  --codec C          opus | pcm16 for audio both ways (default opus)
  --out-rate HZ      16000 | 48000, the answer's sample rate (default 16000)
  --vad              let the server detect the end of speech (default: the file's end commits the turn)
  --token T          auth token (default: VOXGATE_AUTH_TOKEN)
  --timeout-ms N     give up after N ms (default 60000)

Timings: ttfaMs is measured here, from the end of input (commit sent, text sent, or speech.stopped
received with --vad) to the first answer audio frame received; timings.server is the gateway's view.
Over twilio the end of input is the end of the file: a phone cannot commit, so ttfaMs includes the server's
end-of-speech silence, and timings.server is null (a phone line carries no turn events).`;

const FRAME_MS = 20;
const INPUT_RATE_HZ = 16000;
/** With --vad, silence streamed after the file so the server's detector can end the turn. */
const MAX_TRAILING_SILENCE_MS = 5000;

interface CallResult {
  transcript: string;
  answer: string;
  audio: { path: string | null; durationMs: number; sampleRateHz: number } | null;
  timings: {
    ttfaMs: number | null;
    firstTranscriptMs: number | null;
    firstAnswerMs: number | null;
    totalMs: number | null;
    server: TurnTimings | null;
  };
  model: string;
  sessionId: string;
  turnId: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runCall(argv: string[]): Promise<number> {
  const { values: f } = parseFlags(argv, FLAGS);
  if (f.help) {
    console.log(HELP);
    return 0;
  }
  if ((f.wav === undefined) === (f.text === undefined)) throw new UsageError('give exactly one of --wav FILE or --text TEXT');
  const mode = (f.mode ?? (f.wav !== undefined ? 'speech-to-speech' : 'text-to-speech')) as Mode;
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
  const codec = f.codec ?? 'opus';
  if (codec !== 'opus' && codec !== 'pcm16') throw new UsageError('--codec must be opus or pcm16');
  const outRate = intFlag('out-rate', f['out-rate'], 16000);
  if (outRate !== 16000 && outRate !== 48000) throw new UsageError('--out-rate must be 16000 or 48000');
  const timeoutMs = intFlag('timeout-ms', f['timeout-ms'], 60_000, 1);
  const token = f.token ?? process.env['VOXGATE_AUTH_TOKEN'];
  const speech = f.wav !== undefined ? (await readWav(f.wav, INPUT_RATE_HZ)).pcm : undefined;

  const transport = transportFor(f.url, f.transport);
  if (transport === 'twilio' || transport === 'realtime') return dialectCall(transport, { url: f.url, token, speech, text: f.text, timeoutMs, out: f.out, json: f.json === true });
  const open = transport === 'webrtc' ? connectOverWebRtc : connect;
  const client = await open({
    url: f.url ?? `ws://127.0.0.1:8080${VOICE_PATH}`,
    ...(token ? { token } : {}),
    mode,
    input: { codec, sampleRateHz: INPUT_RATE_HZ },
    output: { codec, sampleRateHz: outRate },
    vad: f.vad === true,
  });
  const turn = watchTurn(client);
  const timer = setTimeout(() => turn.fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    if (speech !== undefined) {
      // A send failing because the call ended is reported by turn.done, with the server's reason.
      await speak(client, speech, f.vad === true, turn).catch((err: unknown) => {
        if (!turn.finished) throw err;
      });
    } else {
      client.sendText(f.text ?? '');
      turn.markEndOfInput();
    }
    const result = await turn.done;
    const audio = joinAudio(result.audio);
    if (f.out !== undefined) await writeWav(f.out, audio, client.session.output.sampleRateHz);
    const out: CallResult = {
      transcript: result.transcript,
      answer: result.answer,
      audio:
        result.audio.length === 0
          ? null
          : { path: f.out ?? null, durationMs: Math.round((audio.length * 1000) / client.session.output.sampleRateHz), sampleRateHz: client.session.output.sampleRateHz },
      timings: result.timings,
      model: client.session.model,
      sessionId: client.session.sessionId,
      turnId: result.turnId,
    };
    if (f.json) console.log(JSON.stringify(out));
    else printHuman(out);
    return 0;
  } finally {
    clearTimeout(timer);
    await Promise.race([client.end().catch(() => undefined), sleep(2000)]);
  }
}

/** One turn over a phone stream or the Realtime endpoint, printed as the other transports print theirs. */
async function dialectCall(
  transport: DialectTransport,
  o: { url: string | undefined; token: string | undefined; speech: Float32Array | undefined; text: string | undefined; timeoutMs: number; out: string | undefined; json: boolean },
): Promise<number> {
  const path = transport === 'twilio' ? '/v1/twilio' : '/v1/realtime';
  const r = await callOverDialect(transport, { url: o.url ?? `ws://127.0.0.1:8080${path}`, token: o.token, speech: o.speech, text: o.text, timeoutMs: o.timeoutMs });
  if (o.out !== undefined && r.audio.length > 0) await writeWav(o.out, r.audio, r.sampleRateHz);
  const out: CallResult = {
    transcript: r.transcript,
    answer: r.answer,
    audio: r.audio.length === 0 ? null : { path: o.out ?? null, durationMs: Math.round((r.audio.length * 1000) / r.sampleRateHz), sampleRateHz: r.sampleRateHz },
    timings: { ttfaMs: r.ttfaMs, firstTranscriptMs: null, firstAnswerMs: null, totalMs: r.totalMs, server: null },
    model: '',
    sessionId: '',
    turnId: null,
  };
  if (o.json) console.log(JSON.stringify(out));
  else printHuman(out);
  return 0;
}

/** Streams the utterance at real time, then ends the turn: commit, or silence until the server's VAD ends it. */
async function speak(client: VoiceClient, pcm: Float32Array, vad: boolean, turn: TurnWatch): Promise<void> {
  const frameSamples = (INPUT_RATE_HZ * FRAME_MS) / 1000;
  const t0 = performance.now();
  let frame = 0;
  const sendFrame = async (samples: Float32Array) => {
    // Scheduled against the start time, so timer jitter does not accumulate into drift.
    const dueMs = t0 + frame * FRAME_MS;
    frame++;
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    client.sendAudio(samples);
  };
  for (let at = 0; at < pcm.length && !turn.finished; at += frameSamples) await sendFrame(pcm.subarray(at, at + frameSamples));
  if (!vad) {
    client.commit();
    turn.markEndOfInput();
    return;
  }
  const silence = new Float32Array(frameSamples);
  for (let ms = 0; ms < MAX_TRAILING_SILENCE_MS && !turn.speechStopped && !turn.finished; ms += FRAME_MS) await sendFrame(silence);
  if (!turn.speechStopped && !turn.finished) {
    client.commit(); // the detector never fired: end the turn explicitly
    turn.markEndOfInput();
  }
}

interface TurnOutcome {
  transcript: string;
  answer: string;
  audio: AudioReceived[];
  timings: CallResult['timings'];
  turnId: string | null;
}

interface TurnWatch {
  done: Promise<TurnOutcome>;
  speechStopped: boolean;
  finished: boolean;
  markEndOfInput(): void;
  fail(err: Error): void;
}

/** Collects one turn's events; resolves on turn.done, rejects on an error for the turn or a closed connection. */
function watchTurn(client: VoiceClient): TurnWatch {
  let endOfInputMs: number | undefined;
  const since = () => (endOfInputMs === undefined ? null : Math.round(performance.now() - endOfInputMs));
  const audio: AudioReceived[] = [];
  const texts = { transcript: '', answer: '', transcriptFinal: undefined as string | undefined, answerFinal: undefined as string | undefined };
  const timings: CallResult['timings'] = { ttfaMs: null, firstTranscriptMs: null, firstAnswerMs: null, totalMs: null, server: null };
  let resolve!: (o: TurnOutcome) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<TurnOutcome>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marked handled now: a failure while the file is still streaming is awaited (and reported) afterwards.
  done.catch(() => {});
  const watch: TurnWatch = {
    done,
    speechStopped: false,
    finished: false,
    markEndOfInput: () => (endOfInputMs ??= performance.now()),
    fail: (err) => {
      watch.finished = true;
      reject(err);
    },
  };
  client.on('speech.stopped', () => {
    watch.speechStopped = true;
    watch.markEndOfInput();
  });
  client.on('transcript.delta', (e) => {
    timings.firstTranscriptMs ??= since();
    texts.transcript += e.text;
  });
  client.on('transcript.final', (e) => (texts.transcriptFinal = e.text));
  client.on('answer.delta', (e) => {
    timings.firstAnswerMs ??= since();
    texts.answer += e.text;
  });
  client.on('answer.final', (e) => (texts.answerFinal = e.text));
  client.on('audio', (a) => {
    timings.ttfaMs ??= since();
    audio.push(a);
  });
  client.on('turn.done', (e) => {
    timings.totalMs = since();
    timings.server = e.timings;
    watch.finished = true;
    resolve({
      transcript: texts.transcriptFinal ?? texts.transcript,
      answer: texts.answerFinal ?? texts.answer,
      audio,
      timings,
      turnId: e.turnId,
    });
  });
  client.on('error', (e) => {
    if (e.fatal || e.turnId !== undefined) watch.fail(new Error(`${e.code}: ${e.message}`));
    else console.error(`voxgate call: server warning ${e.code}: ${e.message}`);
  });
  client.on('close', (c) => watch.fail(new Error(`connection closed (${c.code}${c.errorCode ? ` ${c.errorCode}` : ''}${c.reason ? `: ${c.reason}` : ''})`)));
  return watch;
}

function joinAudio(parts: AudioReceived[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.pcm.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.pcm, at);
    at += p.pcm.length;
  }
  return out;
}

function printHuman(r: CallResult): void {
  console.log(`transcript: ${r.transcript}`);
  console.log(`answer:     ${r.answer}`);
  if (r.audio) console.log(`audio:      ${r.audio.durationMs} ms at ${r.audio.sampleRateHz} Hz${r.audio.path ? ` → ${r.audio.path}` : ''}`);
  const t = r.timings;
  console.log(`timings:    ttfa ${t.ttfaMs ?? '-'} ms, first answer text ${t.firstAnswerMs ?? '-'} ms, total ${t.totalMs ?? '-'} ms (model ${r.model})`);
}
