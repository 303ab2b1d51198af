// /v1/realtime: the OpenAI Realtime API (GA shape; the beta's event names for clients that send
// `OpenAI-Beta: realtime=v1`) as a media port. Client events become typed controls and audio payloads; voxgate's
// turn events go out as Realtime server events (realtime-responses.ts). The engine session opens on the client's
// first valid event, so a first session.update can still choose formats and turn detection, and a socket that
// sits idle or sends only garbage holds no session slot (it is a pending connection, closed after the handshake
// timeout); session.created goes out at once, as clients wait for it.
import type { ErrorCode, ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { Logger } from '../gateway/log.ts';
import type { PortInput, PortSessionStart } from './media-port.ts';
import { RealtimeResponses } from './realtime-responses.ts';
import { DEFAULT_REALTIME_SESSION, applySessionUpdate, describeSession, type RealtimeSessionConfig } from './realtime-session.ts';
import type { WsLink } from './ws-link.ts';
import { WsPort } from './ws-port.ts';

export const REALTIME_PATH = '/v1/realtime';
/** Text items waiting for a response.create. */
const MAX_PENDING_TEXT_ITEMS = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** GA event names → the beta's, for clients that asked for the beta. */
const BETA_NAMES: Readonly<Record<string, string>> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
  'conversation.item.added': 'conversation.item.created',
};
/** GA events the beta did not have. */
const NOT_IN_BETA = new Set(['conversation.item.done']);

type Json = Record<string, unknown>;
type Listener = (input: PortInput, wireBytes: number) => void;

export interface RealtimePortOptions {
  beta: boolean;
  /** The `model` query parameter, echoed in the session object. */
  model: string;
  /** The server's end-of-speech silence, reported when the client does not choose one. */
  defaultSilenceMs: number;
  log: Logger;
}

export class RealtimePort extends WsPort {
  readonly dialect: string;
  private config: RealtimeSessionConfig = DEFAULT_REALTIME_SESSION;
  private started = false;
  private seq = 0;
  /** event_id of the client event being handled: errors name it. */
  private lastClientEventId: string | null = null;
  /** The field an input error of this event is about, for the error the Call reports. */
  private pendingParam: string | null = null;
  private receivedAudioMs = 0;
  private audioSinceCommitMs = 0;
  private readonly pendingText: { itemId: string; text: string }[] = [];
  private readonly responses: RealtimeResponses;
  private readonly sessionId = `sess_${Math.random().toString(36).slice(2, 14)}`;

  constructor(
    link: WsLink,
    private readonly opts: RealtimePortOptions,
  ) {
    super(link);
    this.dialect = opts.beta ? 'realtime-beta' : 'realtime';
    this.responses = new RealtimeResponses({
      emit: (e) => this.emit(e),
      textOnly: () => this.config.textOnly,
      audioMs: () => this.receivedAudioMs,
      vad: () => this.config.vad,
    });
    // After the Call is attached (a refused call is closed synchronously and gets no session.created).
    queueMicrotask(() => {
      if (this.isOpen) this.emit({ type: 'session.created', session: this.describe() });
    });
  }

  onInput(listener: Listener): void {
    this.link.onMessage((binary, data) => {
      for (const input of this.read(binary, data)) listener(input, data.byteLength);
    });
  }

  send(msg: ServerMessage): void {
    if (msg.type === 'error') {
      const type = msg.code === 'INTERNAL' || msg.turnId !== undefined ? 'server_error' : 'invalid_request_error';
      this.error(msg.code, msg.message, null, type);
    }
    this.responses.handle(msg);
  }

  sendAudio(payload: Uint8Array, turnId: string): void {
    this.responses.audio(turnId, payload);
  }

  // ---- in ----

  private read(binary: boolean, data: Uint8Array): PortInput[] {
    this.pendingParam = null;
    this.lastClientEventId = null;
    if (binary) return [this.invalid('BAD_REQUEST', 'binary frame: client events are JSON text', null)];
    let event: unknown;
    try {
      event = JSON.parse(utf8.decode(data));
    } catch {
      return [this.invalid('BAD_REQUEST', 'the event is not UTF-8 JSON', null)];
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof (event as Json)['type'] !== 'string') {
      return [this.invalid('BAD_REQUEST', 'an event must be a JSON object with a string "type"', 'type')];
    }
    const e = event as Json;
    this.lastClientEventId = typeof e['event_id'] === 'string' ? e['event_id'] : null;
    const type = e['type'] as string;
    if (type === 'session.update') return this.sessionUpdate(e);
    const inputs = this.handle(type, e);
    // Only an event the session can act on opens it: garbage gets its error and the connection stays pending.
    if (this.started || inputs.every((i) => i.kind === 'invalid' || i.kind === 'ignored')) return inputs;
    return [...this.startInputs(), ...inputs];
  }

  private handle(type: string, e: Json): PortInput[] {
    switch (type) {
      case 'input_audio_buffer.append': {
        const audio = e['audio'];
        if (typeof audio !== 'string' || audio.length === 0 || audio.length % 4 !== 0 || !BASE64.test(audio)) {
          return [this.invalid('INVALID_AUDIO', 'audio must be non-empty base64', 'audio')];
        }
        const payload = Buffer.from(audio, 'base64');
        const ms = this.msOf(payload.byteLength);
        this.receivedAudioMs += ms;
        this.audioSinceCommitMs += ms;
        return [{ kind: 'audio', payload }];
      }
      case 'input_audio_buffer.commit':
        if (this.audioSinceCommitMs === 0) return [this.invalid('BAD_REQUEST', 'input_audio_buffer.commit: no audio appended since the last commit', null)];
        this.audioSinceCommitMs = 0;
        return [{ kind: 'control', msg: { type: 'input.commit' } }];
      case 'input_audio_buffer.clear':
        this.audioSinceCommitMs = 0;
        this.emit({ type: 'input_audio_buffer.cleared' });
        return [{ kind: 'control', msg: { type: 'input.clear' } }];
      case 'conversation.item.create':
        return this.itemCreate(e);
      case 'conversation.item.truncate': {
        const { item_id: itemId, content_index: contentIndex, audio_end_ms: endMs } = e;
        if (typeof itemId !== 'string' || typeof endMs !== 'number' || endMs < 0) return [this.invalid('BAD_REQUEST', 'item_id (string) and audio_end_ms (ms) are required', 'item_id')];
        // The answer in memory was already cut where the pacer had played it; this confirms the client's view.
        this.emit({ type: 'conversation.item.truncated', item_id: itemId, content_index: typeof contentIndex === 'number' ? contentIndex : 0, audio_end_ms: endMs });
        return [];
      }
      case 'response.create': {
        const response = e['response'];
        const unsupported = ['tools', 'tool_choice', 'instructions', 'conversation', 'input', 'voice'].filter((k) => typeof response === 'object' && response !== null && k in response);
        if (unsupported.length > 0) this.unsupported(unsupported.map((k) => `response.${k}`));
        if (this.pendingText.length > 0) {
          const text = this.pendingText.splice(0).map((t) => t.text).join('\n');
          this.responses.announce();
          return [{ kind: 'control', msg: { type: 'input.text', text } }];
        }
        // A spoken turn's answer starts at its commit: a response.create after it asks for what is under way.
        if (this.responses.busy) return [];
        return [this.invalid('BAD_REQUEST', 'response.create: nothing to answer (append and commit audio, or create a text item first)', null)];
      }
      case 'response.cancel':
        return [{ kind: 'control', msg: { type: 'response.cancel' } }];
      case 'conversation.item.retrieve':
      case 'conversation.item.delete':
      case 'output_audio_buffer.clear':
        this.unsupported([type], 'type');
        return [];
      default:
        return [this.invalid('BAD_REQUEST', `unknown event type ${JSON.stringify(type)}`, 'type')];
    }
  }

  private itemCreate(e: Json): PortInput[] {
    const item = e['item'];
    if (typeof item !== 'object' || item === null) return [this.invalid('BAD_REQUEST', 'item must be an object', 'item')];
    const it = item as Json;
    if (it['type'] !== 'message' || it['role'] !== 'user') {
      this.unsupported([`conversation items of type ${String(it['type'])} and role ${String(it['role'] ?? '(none)')}: only user messages with input_text parts`], 'item.type');
      return [];
    }
    const content = Array.isArray(it['content']) ? (it['content'] as Json[]) : [];
    const texts = content.filter((c) => c?.['type'] === 'input_text' && typeof c['text'] === 'string').map((c) => c['text'] as string);
    if (texts.length === 0 || texts.length !== content.length || texts.join('').trim() === '') {
      return [this.invalid('BAD_REQUEST', 'item.content: one or more non-empty input_text parts (audio items are not taken: append audio instead)', 'item.content')];
    }
    if (this.pendingText.length >= MAX_PENDING_TEXT_ITEMS) return [this.invalid('RATE_LIMITED', `more than ${MAX_PENDING_TEXT_ITEMS} text items waiting for response.create`, null)];
    const itemId = typeof it['id'] === 'string' ? it['id'] : `item_text_${++this.seq}`;
    const text = texts.join(' ');
    this.pendingText.push({ itemId, text });
    this.responses.textItem(itemId, text);
    return [];
  }

  private sessionUpdate(e: Json): PortInput[] {
    const session = e['session'];
    if (typeof session !== 'object' || session === null || Array.isArray(session)) return [this.invalid('BAD_REQUEST', 'session must be an object', 'session')];
    const s = session as Json;
    if (!this.opts.beta && s['type'] !== undefined && s['type'] !== 'realtime') {
      return [this.invalid('BAD_REQUEST', `session.type ${JSON.stringify(s['type'])}: this endpoint serves "realtime" sessions`, 'session.type')];
    }
    const update = applySessionUpdate(this.config, s, this.opts.beta);
    for (const bad of update.invalid) this.error('BAD_REQUEST', bad.message, bad.param);
    if (update.unsupported.length > 0) this.unsupported(update.unsupported);
    const before = this.config;
    const next = update.config;
    if (this.started) {
      // The engine session's formats and turn detection are fixed when it opens.
      const fixed = before.input.codec !== next.input.codec || before.output.codec !== next.output.codec || before.vad !== next.vad || before.silenceDurationMs !== next.silenceDurationMs;
      if (fixed) this.error('BAD_REQUEST', 'audio formats and turn detection are fixed once audio or items have been sent: send session.update first', 'session.audio');
      this.config = { ...before, textOnly: next.textOnly };
      this.emit({ type: 'session.updated', session: this.describe() });
      return before.textOnly === next.textOnly ? [] : [{ kind: 'control', msg: { type: 'session.update', mode: this.mode() } }];
    }
    this.config = next;
    this.emit({ type: 'session.updated', session: this.describe() });
    return this.startInputs();
  }

  private startInputs(): PortInput[] {
    if (this.started) return [];
    this.started = true;
    const c = this.config;
    const msg: PortSessionStart = { type: 'session.start', mode: this.mode(), vad: c.vad, input: c.input, output: c.output };
    if (c.silenceDurationMs !== undefined) msg.endOfSpeechSilenceMs = c.silenceDurationMs;
    return [{ kind: 'control', msg }];
  }

  private mode(): 'speech-to-speech' | 'speech-to-text' {
    return this.config.textOnly ? 'speech-to-text' : 'speech-to-speech';
  }

  private msOf(bytes: number): number {
    const { codec, sampleRateHz } = this.config.input;
    return ((codec === 'pcm16' ? bytes / 2 : bytes) * 1000) / sampleRateHz;
  }

  // ---- out ----

  private describe(): Json {
    const c = { ...this.config, silenceDurationMs: this.config.silenceDurationMs ?? this.opts.defaultSilenceMs };
    return describeSession(this.sessionId, this.opts.model, c, this.opts.beta);
  }

  /** An input the Call answers with its error (counted, rate-limited), named for this client event. */
  private invalid(code: 'BAD_REQUEST' | 'INVALID_AUDIO' | 'RATE_LIMITED', message: string, param: string | null): PortInput {
    this.pendingParam = param;
    return { kind: 'invalid', code, message };
  }

  /** Names features voxgate does not have; they are ignored, and the rest of the event applies. */
  private unsupported(what: string[], param: string | null = what[0] ?? null): void {
    this.error('BAD_REQUEST', `not supported by voxgate, ignored: ${what.join(', ')}`, param);
  }

  private error(code: ErrorCode, message: string, param: string | null, type = 'invalid_request_error'): void {
    const p = param ?? this.pendingParam;
    this.pendingParam = null;
    this.emit({ type: 'error', error: { type, code, message, param: p, event_id: this.lastClientEventId } });
  }

  private emit(event: Json): void {
    const type = event['type'] as string;
    if (this.opts.beta && NOT_IN_BETA.has(type)) return;
    const name = this.opts.beta ? (BETA_NAMES[type] ?? type) : type;
    this.link.sendText(JSON.stringify({ ...event, type: name, event_id: `event_${++this.seq}` }));
  }
}
