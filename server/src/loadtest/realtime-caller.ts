// A synthetic caller's connection over the OpenAI Realtime-compatible endpoint: the Realtime client's events,
// read back into the turn events the load tester records (a response is a turn; its audio deltas are answer
// audio; response.done completed or cancelled is turn.done or interrupted). Realtime carries no voxgate timings:
// turn.done comes without them, and TTFA is measured at the caller as for every transport.
import { VoiceClientError, type NodeVoiceClientOptions } from '../../../client-sdk/src/node/index.ts';
import { ERROR_CODES, errorCodeForClose, type ErrorCode } from '../../../client-sdk/src/protocol/index.ts';
import { pcm16BytesToFloat32 } from '../codec/audio.ts';
import { RealtimeClient, RealtimeRefusal } from './realtime-client.ts';
import { CallerEventEmitter } from './caller-events.ts';
import type { CallerClient } from './transports.ts';

/** The Realtime session does not say how far ahead audio is paced: voxgate's default (--output-lead-ms). */
const ASSUMED_OUTPUT_LEAD_MS = 150;
const OUTPUT_RATE_HZ = 24000;

type Json = Record<string, any>;
/** ws://host/v1/voice (the load tester's --url) → ws://host/v1/realtime; any other path is taken as given. */
export function realtimeUrlFor(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/v1/voice') u.pathname = '/v1/realtime';
  return u.toString();
}

export class RealtimeCaller extends CallerEventEmitter implements CallerClient {
  readonly session = { limits: { outputLeadMs: ASSUMED_OUTPUT_LEAD_MS } };
  /** The response in progress: the turn the caller's transcript events belong to. */
  private turnId = '';

  private constructor(private readonly client: RealtimeClient) {
    super();
    client.onEvent((e) => this.onEvent(e));
    void client.closed.then(({ code, reason }) => {
      const errorCode = errorCodeForClose(code);
      this.emit('close', { code, reason, retryable: false, ...(errorCode === undefined ? {} : { errorCode }) });
    });
  }

  static async connect(opts: NodeVoiceClientOptions): Promise<RealtimeCaller> {
    try {
      return new RealtimeCaller(await RealtimeClient.open(realtimeUrlFor(opts.url), opts.token === undefined ? {} : { token: opts.token }));
    } catch (err) {
      if (err instanceof RealtimeRefusal) throw new VoiceClientError(asErrorCode(err.code), err.message);
      throw new VoiceClientError('TRANSPORT_FAILED', err instanceof Error ? err.message : String(err));
    }
  }

  sendAudio(pcm: Float32Array): void {
    this.client.append(pcm);
  }

  commit(): void {
    this.client.send({ type: 'input_audio_buffer.commit' });
  }

  end(): Promise<unknown> {
    this.client.close();
    return this.client.closed;
  }

  close(): void {
    this.client.close();
  }

  private onEvent(e: Json): void {
    switch (e['type']) {
      case 'response.created':
        this.turnId = String(e['response']?.['id'] ?? '');
        return;
      case 'conversation.item.input_audio_transcription.delta':
        return this.emit('transcript.delta', { type: 'transcript.delta', turnId: this.turnId, text: String(e['delta']) });
      case 'conversation.item.input_audio_transcription.completed':
        return this.emit('transcript.final', { type: 'transcript.final', turnId: this.turnId, text: String(e['transcript']) });
      case 'response.output_audio_transcript.delta':
      case 'response.output_text.delta':
        return this.emit('answer.delta', { type: 'answer.delta', turnId: String(e['response_id']), text: String(e['delta']) });
      case 'response.output_audio_transcript.done':
        return this.emit('answer.final', { type: 'answer.final', turnId: String(e['response_id']), text: String(e['transcript']) });
      case 'response.output_text.done':
        return this.emit('answer.final', { type: 'answer.final', turnId: String(e['response_id']), text: String(e['text']) });
      case 'response.output_audio.delta':
        return this.emit('audio', { turnId: String(e['response_id']), pcm: pcm16BytesToFloat32(Buffer.from(String(e['delta']), 'base64')), sampleRateHz: OUTPUT_RATE_HZ });
      case 'response.done': {
        const r = e['response'] as Json | undefined;
        const turnId = String(r?.['id'] ?? '');
        if (r?.['status'] === 'cancelled') return this.emit('interrupted', { type: 'interrupted', turnId });
        if (r?.['status'] === 'failed') return; // its error event came first and ended the turn
        return this.emit('turn.done', { type: 'turn.done', turnId, mode: 'speech-to-speech' });
      }
      case 'error':
        return this.emit('error', { type: 'error', code: asErrorCode(String(e['error']?.['code'])), message: String(e['error']?.['message'] ?? ''), fatal: false, ...(this.turnId === '' ? {} : { turnId: this.turnId }) });
      default:
        return;
    }
  }
}

function asErrorCode(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL';
}
