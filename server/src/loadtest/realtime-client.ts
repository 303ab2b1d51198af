// A minimal client of voxgate's OpenAI Realtime-compatible endpoint, over the wire only: one turn, spoken (PCM16
// 24 kHz appended at real time, then committed) or typed, collecting the transcript, the answer, the answer's
// audio and the time from the end of input to its first audio. `voxgate call` and the benches use it; the tests
// use the official `openai` client instead.
import WebSocket from 'ws';
import { Resampler, float32ToPcm16Bytes, pcm16BytesToFloat32 } from '../codec/audio.ts';

const RATE_HZ = 24000;
const FRAME_MS = 20;

type Json = Record<string, any>;

/** The server refused the session (its error code: SERVER_FULL, NOT_READY, ...). */
export class RealtimeRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RealtimeRefusal';
  }
}

export interface RealtimeTurn {
  transcript: string;
  answer: string;
  /** The answer's audio, float32 at 24 kHz. */
  audio: Float32Array;
  sampleRateHz: number;
  /** End of input (commit or response.create sent) → first audio delta, ms; null for a text answer. */
  ttfaMs: number | null;
  totalMs: number;
  status: string;
}

export class RealtimeClient {
  readonly events: Json[] = [];
  /** Resolves with the close code and reason once the connection has closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];
  private readonly listeners = new Set<(event: Json) => void>();
  private readonly up = new Resampler(16000, RATE_HZ);

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const event = JSON.parse(String(d)) as Json;
      this.events.push(event);
      for (const l of this.listeners) l(event);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        for (const w of this.waiters.splice(0)) w();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** Every server event, as it arrives. */
  onEvent(listener: (event: Json) => void): void {
    this.listeners.add(listener);
  }

  /** Appends caller audio (16 kHz float32, any length), as PCM16 at 24 kHz. */
  append(pcm16k: Float32Array): void {
    const bytes = Buffer.from(float32ToPcm16Bytes(this.up.push(pcm16k)));
    if (bytes.length > 0 && this.ws.readyState === WebSocket.OPEN) this.send({ type: 'input_audio_buffer.append', audio: bytes.toString('base64') });
  }

  /** url: ws(s)://host:port/v1/realtime. Manual turns (turn_detection null), audio in and out at 24 kHz PCM16. */
  static async open(url: string, opts: { token?: string; textOnly?: boolean; ca?: Buffer } = {}): Promise<RealtimeClient> {
    const ws = new WebSocket(url, { headers: opts.token === undefined ? {} : { Authorization: `Bearer ${opts.token}` }, ...(opts.ca ? { ca: opts.ca } : {}) });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const client = new RealtimeClient(ws);
    client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: [opts.textOnly ? 'text' : 'audio'], audio: { input: { format: { type: 'audio/pcm', rate: RATE_HZ }, turn_detection: null } } } });
    // The session opens with these settings or refuses the call (full, loading): an error comes instead.
    const ready = await client.next(['session.updated', 'error']);
    if (ready['type'] === 'error') {
      client.close();
      throw new RealtimeRefusal(String(ready['error']?.['code'] ?? 'INTERNAL'), String(ready['error']?.['message'] ?? ''));
    }
    return client;
  }

  send(event: Json): void {
    this.ws.send(JSON.stringify(event));
  }

  /** Speaks `pcm` (16 kHz float32) at real time in 20 ms appends, commits, and waits for the response. */
  async speak(pcm16k: Float32Array, timeoutMs = 60_000): Promise<RealtimeTurn> {
    const step = (16000 * FRAME_MS) / 1000;
    const t0 = performance.now();
    for (let at = 0, i = 1; at < pcm16k.length; at += step, i++) {
      this.append(pcm16k.subarray(at, at + step));
      const wait = t0 + i * FRAME_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const from = this.events.length;
    this.send({ type: 'input_audio_buffer.commit' });
    return this.response(from, performance.now(), timeoutMs);
  }

  /** A text turn: the item, then response.create. */
  async ask(text: string, timeoutMs = 60_000): Promise<RealtimeTurn> {
    const from = this.events.length;
    this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.send({ type: 'response.create' });
    return this.response(from, performance.now(), timeoutMs);
  }

  close(): void {
    this.ws.close();
  }

  private async response(from: number, endOfInputMs: number, timeoutMs: number): Promise<RealtimeTurn> {
    let firstAudioMs: number | null = null;
    const seen = (type: string) => this.events.slice(from).find((e) => e['type'] === type);
    const deadline = endOfInputMs + timeoutMs;
    let checked = from;
    for (;;) {
      for (; checked < this.events.length; checked++) {
        if (this.events[checked]?.['type'] === 'response.output_audio.delta') firstAudioMs ??= performance.now();
      }
      const failure = this.events.slice(from).find((e) => e['type'] === 'error');
      if (failure !== undefined) throw new Error(`${failure['error']?.['code']}: ${failure['error']?.['message']}`);
      if (seen('response.done') !== undefined) break;
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error('the connection closed before response.done');
      if (performance.now() > deadline) throw new Error(`no response.done within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
    const mine = this.events.slice(from);
    const audio = mine.filter((e) => e['type'] === 'response.output_audio.delta').map((e) => pcm16BytesToFloat32(Buffer.from(String(e['delta']), 'base64')));
    const joined = new Float32Array(audio.reduce((n, a) => n + a.length, 0));
    audio.reduce((at, a) => (joined.set(a, at), at + a.length), 0);
    const answerEvent = mine.find((e) => e['type'] === 'response.output_audio_transcript.done' || e['type'] === 'response.output_text.done');
    return {
      transcript: String(mine.find((e) => e['type'] === 'conversation.item.input_audio_transcription.completed')?.['transcript'] ?? ''),
      answer: String(answerEvent?.['transcript'] ?? answerEvent?.['text'] ?? ''),
      audio: joined,
      sampleRateHz: RATE_HZ,
      ttfaMs: firstAudioMs === null ? null : Math.round(firstAudioMs - endOfInputMs),
      totalMs: Math.round(performance.now() - endOfInputMs),
      status: String(seen('response.done')?.['response']?.['status'] ?? ''),
    };
  }

  /** The first event of one of these types. */
  private next(types: string[], timeoutMs = 10_000): Promise<Json> {
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      const check = () => {
        const hit = this.events.find((e) => types.includes(e['type']));
        if (hit) return resolve(hit);
        if (performance.now() > deadline || this.ws.readyState !== WebSocket.OPEN) return reject(new Error(`no ${types.join(' or ')}`));
        const t = setTimeout(check, 100);
        this.waiters.push(() => (clearTimeout(t), check()));
      };
      check();
    });
  }
}
