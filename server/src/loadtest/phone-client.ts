// A phone provider's side of a media stream (Twilio, Telnyx or Exotel dialect), as a client of /v1/twilio: sends
// connected, start and the caller's audio as ~20 ms media messages; plays the answer at real time the way a provider
// does, acknowledging each mark when the audio before it has played, and on `clear` drops the queued audio and
// returns the pending marks at once. Used by tests and the load tester; over the wire only.
import WebSocket from 'ws';
import { Resampler, float32ToPcm16Bytes, pcm16BytesToFloat32 } from '../codec/audio.ts';
import { decodeG711, encodeG711 } from '../codec/g711.ts';
import { DIALECTS, type PhoneDialectName } from '../transport/phone-dialect.ts';

export type PhoneCodec = 'pcmu' | 'pcma' | 'pcm16';

export interface PhoneClientOptions {
  dialect?: PhoneDialectName;
  codec?: PhoneCodec;
  /** Sent as the start message's custom parameters (mode, ...). */
  parameters?: Record<string, string>;
  headers?: Record<string, string>;
  /** Provider playback starts this long after the first chunk arrives (a jitter buffer). */
  playoutDelayMs?: number;
}

type Json = Record<string, unknown>;

const FRAME_MS = 20;
const LINE_RATE_HZ = 8000;

export class PhoneClient {
  /** Every message received, in order. */
  readonly received: Json[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Answer audio received, decoded to float32 at 8 kHz, per media message. */
  readonly audio: Float32Array[] = [];
  acknowledgedMarks = 0;
  clears = 0;
  private readonly dialect;
  private readonly codec: PhoneCodec;
  private readonly streamId = `MZ${Math.random().toString(16).slice(2, 18)}`;
  private readonly down = new Resampler(16000, LINE_RATE_HZ);
  private seq = 0;
  private chunkIndex = 0;
  private playheadMs = 0;
  private readonly pendingMarks = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(msg: Json) => void>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: PhoneClientOptions,
  ) {
    this.dialect = DIALECTS[opts.dialect ?? 'twilio'];
    this.codec = opts.codec ?? (this.dialect.name === 'exotel' ? 'pcm16' : 'pcmu');
    ws.on('message', (data: Buffer) => this.onMessage(JSON.parse(data.toString('utf8')) as Json));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => this.wake());
  }

  static open(url: string, opts: PhoneClientOptions = {}): Promise<PhoneClient> {
    const ws = new WebSocket(url, { headers: opts.headers ?? {} });
    return new Promise((resolve, reject) => {
      const client = new PhoneClient(ws, opts);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** connected, then start with the dialect's field names. */
  start(): void {
    const d = this.dialect;
    const encoding = { pcmu: d.name === 'telnyx' ? 'PCMU' : 'audio/x-mulaw', pcma: d.name === 'telnyx' ? 'PCMA' : 'audio/x-alaw', pcm16: 'audio/L16' }[this.codec];
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.seq),
      [d.streamIdField]: this.streamId,
      start: {
        [d.streamIdField]: this.streamId,
        [d.callIdField]: `CA${this.streamId.slice(2)}`,
        tracks: ['inbound'],
        [d.parametersField]: this.opts.parameters ?? {},
        [d.mediaFormatField]: { encoding, [d.sampleRateField]: LINE_RATE_HZ, channels: 1 },
      },
    });
  }

  /** The caller's voice (16 kHz float32) as 20 ms media messages, paced at `speed` × real time. */
  async speak(pcm16k: Float32Array, speed = 1): Promise<void> {
    const frame = (16000 * FRAME_MS) / 1000;
    const t0 = performance.now();
    for (let at = 0, n = 0; at < pcm16k.length && this.isOpen; at += frame, n++) {
      this.sendVoice(pcm16k.subarray(at, at + frame));
      const wait = t0 + ((n + 1) * FRAME_MS) / speed - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Caller audio (16 kHz float32) now, as one media message on the line's 8 kHz. */
  sendVoice(pcm16k: Float32Array): void {
    const line = this.down.push(pcm16k);
    if (line.length > 0) this.sendMedia(line);
  }

  /** Every message from the server, after the client has handled it (played media, scheduled mark acks). */
  onEvent(listener: (msg: Json) => void): void {
    this.listeners.add(listener);
  }

  sendMedia(line: Float32Array): void {
    const bytes = this.codec === 'pcm16' ? float32ToPcm16Bytes(line) : encodeG711(this.codec, line);
    this.chunkIndex++;
    this.sendJson({
      event: 'media',
      sequenceNumber: String(++this.seq),
      [this.dialect.streamIdField]: this.streamId,
      media: { track: 'inbound', chunk: String(this.chunkIndex), timestamp: String(this.chunkIndex * FRAME_MS), payload: Buffer.from(bytes).toString('base64') },
    });
  }

  stop(): void {
    this.sendJson({ event: 'stop', sequenceNumber: String(++this.seq), [this.dialect.streamIdField]: this.streamId, stop: {} });
  }

  sendJson(msg: Json): void {
    this.send(JSON.stringify(msg));
  }

  send(data: string | Uint8Array): void {
    if (this.isOpen) this.ws.send(data);
  }

  close(): void {
    for (const t of this.pendingMarks.values()) clearTimeout(t);
    this.ws.close();
  }

  /** Ms of answer audio received. */
  get audioMs(): number {
    return (this.audio.reduce((n, a) => n + a.length, 0) * 1000) / LINE_RATE_HZ;
  }

  events(event: string): Json[] {
    return this.received.filter((m) => m['event'] === event);
  }

  /** Resolves once pred holds (checked on every message), or rejects after timeoutMs or on close. */
  async until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (!this.isOpen) throw new Error(`closed while waiting for ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.received.map((m) => m['event']).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 100));
        this.waiters.add(done);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
      });
    }
  }

  private onMessage(msg: Json): void {
    this.received.push(msg);
    const event = msg['event'];
    if (event === 'media') this.play(msg);
    else if (event === 'mark') this.markAfterQueued(msg);
    else if (event === 'clear') this.clear();
    for (const l of this.listeners) l(msg);
    this.wake();
  }

  /** Queues the chunk for playback: the playhead moves on by its duration. */
  private play(msg: Json): void {
    const payload = (msg['media'] as Json | undefined)?.['payload'];
    if (typeof payload !== 'string') return;
    const bytes = Buffer.from(payload, 'base64');
    const pcm = this.codec === 'pcm16' ? pcm16BytesToFloat32(bytes) : decodeG711(this.codec, bytes);
    this.audio.push(pcm);
    const now = performance.now();
    if (this.playheadMs < now) this.playheadMs = now + (this.opts.playoutDelayMs ?? 40);
    this.playheadMs += (pcm.length * 1000) / LINE_RATE_HZ;
  }

  /** The mark comes back when everything queued before it has played. */
  private markAfterQueued(msg: Json): void {
    const name = (msg['mark'] as Json | undefined)?.['name'];
    if (typeof name !== 'string') return;
    const t = setTimeout(() => this.ackMark(name), Math.max(0, this.playheadMs - performance.now()));
    this.pendingMarks.set(name, t);
  }

  private ackMark(name: string): void {
    clearTimeout(this.pendingMarks.get(name));
    this.pendingMarks.delete(name);
    this.acknowledgedMarks++;
    this.sendJson({ event: 'mark', sequenceNumber: String(++this.seq), [this.dialect.streamIdField]: this.streamId, mark: { name } });
  }

  /** Queued audio is dropped; the pending marks come back at once. */
  private clear(): void {
    this.clears++;
    this.playheadMs = 0;
    for (const name of [...this.pendingMarks.keys()]) this.ackMark(name);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}
