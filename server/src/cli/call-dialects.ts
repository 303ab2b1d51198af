// `voxgate call --transport twilio|realtime`: one turn as a phone provider's media stream or as an OpenAI Realtime
// client would hold it. Returns what the call command prints; a phone line carries no text, so its transcript and
// answer are empty and its end of input is the end of the file (the server's VAD ends the turn after it).
import { PhoneClient } from '../loadtest/phone-client.ts';
import { RealtimeClient } from '../loadtest/realtime-client.ts';
import { UsageError } from './args.ts';

export type DialectTransport = 'twilio' | 'realtime';

export interface DialectCallOptions {
  url: string;
  token: string | undefined;
  /** 16 kHz float32 speech, or a text turn (Realtime only). */
  speech: Float32Array | undefined;
  text: string | undefined;
  timeoutMs: number;
}

export interface DialectCallResult {
  transcript: string;
  answer: string;
  audio: Float32Array;
  sampleRateHz: number;
  ttfaMs: number | null;
  totalMs: number | null;
}

/** After the answer starts, this long without new media means the answer has ended (a phone line has no turn.done). */
const PHONE_ANSWER_GAP_MS = 1500;
const PHONE_RATE_HZ = 8000;
const CALL_ANSWERED_SILENCE_MS = 300;

export async function callOverDialect(transport: DialectTransport, opts: DialectCallOptions): Promise<DialectCallResult> {
  return transport === 'realtime' ? realtimeCall(opts) : phoneCall(opts);
}

async function realtimeCall(opts: DialectCallOptions): Promise<DialectCallResult> {
  const client = await RealtimeClient.open(opts.url, { ...(opts.token === undefined ? {} : { token: opts.token }) });
  try {
    const turn = opts.speech !== undefined ? await client.speak(opts.speech, opts.timeoutMs) : await client.ask(opts.text ?? '', opts.timeoutMs);
    return { transcript: turn.transcript, answer: turn.answer, audio: turn.audio, sampleRateHz: turn.sampleRateHz, ttfaMs: turn.ttfaMs, totalMs: turn.totalMs };
  } finally {
    client.close();
  }
}

async function phoneCall(opts: DialectCallOptions): Promise<DialectCallResult> {
  if (opts.speech === undefined) throw new UsageError('--transport twilio takes --wav: a phone line carries speech only');
  const url = opts.token === undefined ? opts.url : `${opts.url}${opts.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(opts.token)}`;
  const phone = await PhoneClient.open(url);
  try {
    phone.start();
    // A phone stream starts when the call is answered, before anyone speaks: line silence first. (Speech in the
    // stream's first ~100 ms, band-limited, can slip past the VAD: docs/telephony.md, Limits.)
    await phone.speak(new Float32Array((16000 * CALL_ANSWERED_SILENCE_MS) / 1000));
    await phone.speak(opts.speech);
    const endAt = performance.now();
    let firstMediaAt: number | undefined;
    let lastCount = 0;
    let lastChangeAt = endAt;
    // The line stays open, carrying silence, while the answer comes and plays.
    for (;;) {
      const count = phone.events('media').length;
      const now = performance.now();
      if (count > lastCount) {
        firstMediaAt ??= now;
        lastCount = count;
        lastChangeAt = now;
      }
      if (firstMediaAt !== undefined && now - lastChangeAt > PHONE_ANSWER_GAP_MS) break;
      if (now - endAt > opts.timeoutMs) throw new Error(firstMediaAt === undefined ? `no answer within ${opts.timeoutMs} ms` : 'the answer did not end');
      if (!phone.isOpen) throw new Error(`the stream closed (${(await phone.closed).code})`);
      await phone.speak(new Float32Array(320));
    }
    const audio = new Float32Array(phone.audio.reduce((n, a) => n + a.length, 0));
    phone.audio.reduce((at, a) => (audio.set(a, at), at + a.length), 0);
    return { transcript: '', answer: '', audio, sampleRateHz: PHONE_RATE_HZ, ttfaMs: Math.round((firstMediaAt ?? endAt) - endAt), totalMs: Math.round(lastChangeAt - endAt) };
  } finally {
    phone.stop();
    phone.close();
  }
}
