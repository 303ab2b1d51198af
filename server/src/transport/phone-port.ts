// /v1/twilio: a phone call's media stream (Twilio Media Streams, and the Telnyx and Exotel near-copies) as a media
// port. In: connected, start (the call's ids, parameters and audio format), media (base64 audio, ~20 ms), dtmf,
// mark (audio played), stop. Out: media (the answer, in chunks), mark after each chunk, clear on barge-in. Text
// events have no place on a phone line and are not sent; errors are logged, since providers take none back.
import { MODES, type Mode, type ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { Logger } from '../gateway/log.ts';
import type { AuthVerdict } from '../http/auth.ts';
import { MarkPlayout } from './mark-playout.ts';
import type { PortInput } from './media-port.ts';
import { DIALECTS, PHONE_DIALECTS, detectDialect, mediaFormatOf, type PhoneDialect, type PhoneDialectName } from './phone-dialect.ts';
import type { WsLink } from './ws-link.ts';
import { WsPort } from './ws-port.ts';

export const PHONE_PATH = '/v1/twilio';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Json = Record<string, unknown>;

export interface PhonePortOptions {
  /** `?dialect=` on the stream URL: twilio, telnyx or exotel; detected from the start message when absent. */
  askedDialect: string | null;
  /** Set when the upgrade was not authorized: checks the start message's `token` parameter (static or signed). */
  checkToken?: (token: string | undefined) => AuthVerdict;
  log: Logger;
  now?: () => number;
}

export class PhonePort extends WsPort {
  readonly playout: MarkPlayout;
  private dialectSpoken: PhoneDialect = DIALECTS.twilio;
  private streamId = '';
  private started = false;
  private readonly chunk: { turnId: string; payloads: Uint8Array[]; ms: number } = { turnId: '', payloads: [], ms: 0 };

  constructor(
    link: WsLink,
    private readonly opts: PhonePortOptions,
  ) {
    super(link);
    this.playout = new MarkPlayout(opts.now ?? (() => performance.now()));
  }

  get dialect(): string {
    return this.dialectSpoken.name;
  }

  onInput(listener: (input: PortInput, wireBytes: number) => void): void {
    this.link.onMessage((binary, data) => listener(this.read(binary, data), data.byteLength));
  }

  send(msg: ServerMessage): void {
    switch (msg.type) {
      case 'audio.end':
        return this.flush();
      case 'interrupted':
        // Barge-in: the provider drops what it has queued; what its marks did not confirm was not heard.
        this.chunk.payloads = [];
        this.chunk.ms = 0;
        this.write({ event: 'clear' });
        return this.playout.cleared();
      case 'error':
        return this.opts.log.warn('phone stream error', { callId: this.id, dialect: this.dialect, code: msg.code, message: msg.message, fatal: msg.fatal });
      default:
        return; // text and turn events: a phone line has no screen
    }
  }

  sendAudio(payload: Uint8Array, turnId: string, frameMs: number): void {
    if (this.chunk.turnId !== turnId) this.flush();
    this.chunk.turnId = turnId;
    this.chunk.payloads.push(payload);
    this.chunk.ms += frameMs;
    if (this.chunk.ms >= this.dialectSpoken.outChunkMs) this.flush();
  }

  /** Sends the audio gathered so far as one media message, and a mark after it. */
  private flush(): void {
    const { turnId, payloads, ms } = this.chunk;
    if (payloads.length === 0) return;
    this.chunk.payloads = [];
    this.chunk.ms = 0;
    this.write({ event: 'media', media: { payload: Buffer.concat(payloads).toString('base64') } });
    this.write({ event: 'mark', mark: { name: this.playout.sent(turnId, ms) } });
  }

  private write(msg: Json): void {
    this.link.sendText(JSON.stringify({ ...msg, [this.dialectSpoken.streamIdField]: this.streamId }));
  }

  // ---- in ----

  private read(binary: boolean, data: Uint8Array): PortInput {
    if (binary) return { kind: 'invalid', code: 'BAD_REQUEST', message: 'binary frame: this endpoint takes JSON text messages' };
    let msg: unknown;
    try {
      msg = JSON.parse(utf8.decode(data));
    } catch {
      return { kind: 'invalid', code: 'BAD_REQUEST', message: 'a message is not UTF-8 JSON' };
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof (msg as Json)['event'] !== 'string') {
      return { kind: 'invalid', code: 'BAD_REQUEST', message: 'a message must be a JSON object with a string "event"' };
    }
    const m = msg as Json;
    switch (m['event']) {
      case 'connected':
        return { kind: 'ignored', what: 'connected' };
      case 'start':
        return this.start(m);
      case 'media':
        return this.media(m);
      case 'mark': {
        const name = objectOf(m['mark'])?.['name'];
        if (typeof name !== 'string') return { kind: 'invalid', code: 'BAD_REQUEST', message: 'mark: mark.name must be a string' };
        this.playout.acknowledge(name);
        return { kind: 'ignored', what: 'mark' };
      }
      case 'dtmf':
        return { kind: 'ignored', what: `dtmf ${String(objectOf(m['dtmf'])?.['digit'] ?? '?')}` };
      case 'stop':
        return { kind: 'control', msg: { type: 'session.end' } };
      default:
        return { kind: 'ignored', what: `event ${String(m['event'])}` };
    }
  }

  private start(m: Json): PortInput {
    if (this.started) return { kind: 'invalid', code: 'BAD_REQUEST', message: 'start sent twice' };
    const asked = this.opts.askedDialect;
    if (asked !== null && !(PHONE_DIALECTS as readonly string[]).includes(asked)) {
      return { kind: 'invalid', code: 'BAD_REQUEST', message: `dialect=${asked}: one of ${PHONE_DIALECTS.join(', ')}`, fatal: true };
    }
    const dialect = detectDialect(m, (asked ?? undefined) as PhoneDialectName | undefined);
    const start = objectOf(m['start']) ?? {};
    const format = mediaFormatOf(dialect, objectOf(start[dialect.mediaFormatField]));
    if (format === undefined) {
      const given = JSON.stringify(start[dialect.mediaFormatField] ?? null);
      return { kind: 'invalid', code: 'CODEC_DECODE_FAILED', message: `start: unsupported media format ${given} (μ-law or A-law 8 kHz; Exotel also 16-bit PCM 8 or 16 kHz)`, fatal: true };
    }
    const params = objectOf(start[dialect.parametersField]) ?? {};
    const token = params['token'];
    const auth = this.opts.checkToken?.(typeof token === 'string' ? token : undefined);
    if (auth !== undefined && !auth.ok) {
      const hint = auth.code === 'UNAUTHORIZED' ? ' (put it in the stream URL or a token parameter)' : '';
      return { kind: 'invalid', code: auth.code, message: `start: ${auth.message}${hint}`, fatal: true };
    }
    const mode = params['mode'] ?? 'speech-to-speech';
    if (!(MODES as readonly unknown[]).includes(mode)) {
      return { kind: 'invalid', code: 'BAD_REQUEST', message: `start: parameter mode=${String(mode)}: one of ${MODES.join(', ')}`, fatal: true };
    }
    this.started = true;
    this.dialectSpoken = dialect;
    const id = m[dialect.streamIdField] ?? start[dialect.streamIdField];
    this.streamId = typeof id === 'string' ? id : '';
    this.opts.log.info('phone stream started', { callId: this.id, dialect: dialect.name, call: String(start[dialect.callIdField] ?? ''), stream: this.streamId, format });
    // A phone caller cannot commit turns: the VAD ends them. The answer goes back in the call's own format.
    const who = auth?.ok === true ? { who: auth.who } : {};
    return { kind: 'control', msg: { type: 'session.start', mode: mode as Mode, vad: true, input: format, output: format, ...who } };
  }

  private media(m: Json): PortInput {
    if (!this.started) return { kind: 'invalid', code: 'HANDSHAKE_REQUIRED', message: 'media before start' };
    const media = objectOf(m['media']);
    const track = media?.['track'];
    // Providers streaming both tracks also send what the caller hears: only the caller's voice is input.
    if (typeof track === 'string' && !track.startsWith('inbound')) return { kind: 'ignored', what: `media of track ${track}` };
    const payload = media?.['payload'];
    if (typeof payload !== 'string' || payload.length === 0 || payload.length % 4 !== 0 || !BASE64.test(payload)) {
      return { kind: 'invalid', code: 'INVALID_AUDIO', message: 'media: media.payload must be non-empty base64' };
    }
    return { kind: 'audio', payload: Buffer.from(payload, 'base64') };
  }
}

function objectOf(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}
