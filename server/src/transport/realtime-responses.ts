// voxgate's turn events → the OpenAI Realtime API's server events, per turn: the caller's item (committed audio,
// its transcript from the model's [tq] part), then one response with one assistant item whose content part is
// audio (transcript deltas from [ta], audio deltas) or text. Written in GA names; the port renames for beta clients.
import type { ServerMessage } from '../../../client-sdk/src/protocol/index.ts';

type Json = Record<string, unknown>;

/** Turns remembered, to finish a response whose last events trail (turn.done after its audio). */
const REMEMBERED_TURNS = 8;

interface Turn {
  userItemId: string | undefined;
  response: { id: string; itemId: string; started: boolean; done: boolean; text: string };
  audioStarted: boolean;
}

export interface RealtimeResponsesOptions {
  /** Writes one server event (event_id is added by the port). */
  emit: (event: Json) => void;
  textOnly: () => boolean;
  /** The caller's audio received so far, ms (speech_started / speech_stopped positions). */
  audioMs: () => number;
  vad: () => boolean;
}

export class RealtimeResponses {
  private readonly turns = new Map<string, Turn>();
  private lastItemId: string | null = null;
  /** response.create for a text item: the next turn the engine starts is this response. */
  private awaiting: Turn['response'] | undefined;
  private seq = 0;

  constructor(private readonly opts: RealtimeResponsesOptions) {}

  /** A response is announced or under way (a response.create then needs no new turn). */
  get busy(): boolean {
    if (this.awaiting !== undefined) return true;
    for (const t of this.turns.values()) if (!t.response.done) return true;
    return false;
  }

  /** response.create for text items: announced now, bound to the engine's next turn. */
  announce(): void {
    this.awaiting = this.newResponse();
    this.emitCreated(this.awaiting);
  }

  /** A user text item (conversation.item.create), as the conversation now holds it. */
  textItem(itemId: string, text: string): void {
    const item = { id: itemId, type: 'message', object: 'realtime.item', status: 'completed', role: 'user', content: [{ type: 'input_text', text }] };
    this.opts.emit({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item });
    this.opts.emit({ type: 'conversation.item.done', previous_item_id: this.lastItemId, item });
    this.lastItemId = itemId;
  }

  handle(msg: ServerMessage): void {
    switch (msg.type) {
      case 'speech.started':
        if (this.opts.vad()) this.opts.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(this.opts.audioMs()), item_id: this.userItem(msg.turnId) });
        return;
      case 'speech.stopped':
        return this.committed(msg.turnId);
      case 'transcript.delta': {
        const itemId = this.turns.get(msg.turnId)?.userItemId;
        if (itemId !== undefined) this.opts.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta: msg.text });
        return;
      }
      case 'transcript.final': {
        const itemId = this.turns.get(msg.turnId)?.userItemId;
        if (itemId === undefined) return;
        this.opts.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: msg.text });
        const item = { id: itemId, type: 'message', object: 'realtime.item', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: msg.text }] };
        this.opts.emit({ type: 'conversation.item.done', previous_item_id: null, item });
        return;
      }
      case 'answer.delta': {
        const r = this.started(msg.turnId);
        r.text += msg.text;
        this.opts.emit({ type: this.textOnly ? 'response.output_text.delta' : 'response.output_audio_transcript.delta', ...this.where(r), delta: msg.text });
        return;
      }
      case 'answer.final': {
        const r = this.started(msg.turnId);
        r.text = msg.text;
        this.opts.emit(this.textOnly ? { type: 'response.output_text.done', ...this.where(r), text: msg.text } : { type: 'response.output_audio_transcript.done', ...this.where(r), transcript: msg.text });
        return;
      }
      case 'audio.end': {
        const t = this.turns.get(msg.turnId);
        if (t?.audioStarted) this.opts.emit({ type: 'response.output_audio.done', ...this.where(t.response) });
        return;
      }
      case 'turn.done':
        return this.finish(msg.turnId, 'completed');
      case 'interrupted':
        return this.finish(msg.turnId, 'cancelled');
      case 'error':
        // A turn that failed still ends its response, so a client waiting for response.done is not left waiting.
        if (msg.turnId !== undefined) this.finish(msg.turnId, 'failed', { code: msg.code, message: msg.message });
        return;
      default:
        return;
    }
  }

  /** One output frame of the answer, in the session's output format. */
  audio(turnId: string, payload: Uint8Array): void {
    const t = this.turnOf(turnId, false);
    const r = this.started(turnId);
    t.audioStarted = true;
    this.opts.emit({ type: 'response.output_audio.delta', ...this.where(r), delta: Buffer.from(payload).toString('base64') });
  }

  private get textOnly(): boolean {
    return this.opts.textOnly();
  }

  private committed(turnId: string): void {
    const itemId = this.userItem(turnId);
    if (this.opts.vad()) this.opts.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(this.opts.audioMs()), item_id: itemId });
    this.opts.emit({ type: 'input_audio_buffer.committed', previous_item_id: this.lastItemId, item_id: itemId });
    const item = { id: itemId, type: 'message', object: 'realtime.item', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    this.opts.emit({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item });
    this.lastItemId = itemId;
    this.emitCreated(this.turnOf(turnId, true).response);
  }

  private userItem(turnId: string): string {
    const t = this.turnOf(turnId, true);
    t.userItemId ??= `item_${turnId}_in`;
    return t.userItemId;
  }

  /** The turn's response, with its assistant item and content part announced. */
  private started(turnId: string): Turn['response'] {
    const r = this.turnOf(turnId, false).response;
    if (r.started) return r;
    r.started = true;
    const item = { id: r.itemId, type: 'message', object: 'realtime.item', status: 'in_progress', role: 'assistant', content: [] };
    this.opts.emit({ type: 'response.output_item.added', response_id: r.id, output_index: 0, item });
    this.opts.emit({ type: 'conversation.item.added', previous_item_id: this.lastItemId, item });
    this.lastItemId = r.itemId;
    this.opts.emit({ type: 'response.content_part.added', ...this.where(r), part: this.part(r) });
    return r;
  }

  private finish(turnId: string, status: 'completed' | 'cancelled' | 'failed', error?: { code: string; message: string }): void {
    const t = this.turns.get(turnId);
    if (t === undefined || t.response.done) return;
    const r = t.response;
    r.done = true;
    const output: Json[] = [];
    if (r.started) {
      const item = { id: r.itemId, type: 'message', object: 'realtime.item', status: status === 'completed' ? 'completed' : 'incomplete', role: 'assistant', content: [this.part(r)] };
      this.opts.emit({ type: 'response.content_part.done', ...this.where(r), part: this.part(r) });
      this.opts.emit({ type: 'response.output_item.done', response_id: r.id, output_index: 0, item });
      this.opts.emit({ type: 'conversation.item.done', previous_item_id: null, item });
      output.push(item);
    }
    const details = status === 'cancelled' ? { type: 'cancelled', reason: 'turn_detected' } : status === 'failed' ? { type: 'failed', error: { type: 'server_error', ...error } } : null;
    this.opts.emit({
      type: 'response.done',
      response: { id: r.id, object: 'realtime.response', status, status_details: details, output, output_modalities: this.textOnly ? ['text'] : ['audio'] },
    });
  }

  private part(r: Turn['response']): Json {
    return this.textOnly ? { type: 'text', text: r.text } : { type: 'audio', transcript: r.text };
  }

  private where(r: Turn['response']): Json {
    return { response_id: r.id, item_id: r.itemId, output_index: 0, content_index: 0 };
  }

  private emitCreated(r: Turn['response']): void {
    this.opts.emit({ type: 'response.created', response: { id: r.id, object: 'realtime.response', status: 'in_progress', status_details: null, output: [], output_modalities: this.textOnly ? ['text'] : ['audio'] } });
  }

  private newResponse(): Turn['response'] {
    const n = ++this.seq;
    return { id: `resp_${n}`, itemId: `item_out_${n}`, started: false, done: false, text: '' };
  }

  private turnOf(turnId: string, spoken: boolean): Turn {
    let t = this.turns.get(turnId);
    if (t !== undefined) return t;
    // A text turn takes the response its response.create announced; a spoken one gets its own at commit.
    const response = (spoken ? undefined : this.awaiting) ?? this.newResponse();
    if (!spoken) this.awaiting = undefined;
    t = { userItemId: undefined, response, audioStarted: false };
    this.turns.set(turnId, t);
    if (this.turns.size > REMEMBERED_TURNS) this.turns.delete(this.turns.keys().next().value as string);
    return t;
  }
}
