// A synthetic caller's connection as a phone call: a Twilio media stream to /v1/twilio (μ-law 8 kHz). The line
// streams all the time, silence between questions, as a phone does; the server's VAD ends each turn (a phone
// cannot commit). Answer audio is attributed to its turn by the mark after it (marks are named after the turn);
// `clear` is the barge-in; a turn's end is the answer's media stopping, since a phone line carries no turn.done
// and no text: such turns are timed (TTFA includes the VAD's end-of-speech silence), not judged.
import { VoiceClientError, type NodeVoiceClientOptions } from '../../../client-sdk/src/node/index.ts';
import { errorCodeForClose } from '../../../client-sdk/src/protocol/index.ts';
import { PhoneClient } from './phone-client.ts';
import { CallerEventEmitter } from './caller-events.ts';
import type { CallerClient } from './transports.ts';

/** The phone stream does not say how far ahead audio is paced: voxgate's default (--output-lead-ms). */
const ASSUMED_OUTPUT_LEAD_MS = 150;
/** No media for this long after an answer's audio: the answer is over. */
const ANSWER_GAP_MS = 1500;
/** A refused stream is closed at once; one still open after this has been admitted. */
const REFUSAL_WAIT_MS = 250;
const FRAME_MS = 20;
const LINE_RATE_HZ = 8000;

/** ws://host/v1/voice (the load tester's --url) → ws://host/v1/twilio, with the token as a query parameter. */
export function phoneUrlFor(url: string, token: string | undefined): string {
  const u = new URL(url);
  if (u.pathname === '/v1/voice') u.pathname = '/v1/twilio';
  if (token !== undefined) u.searchParams.set('token', token);
  return u.toString();
}

export class PhoneCaller extends CallerEventEmitter implements CallerClient {
  readonly session = { limits: { outputLeadMs: ASSUMED_OUTPUT_LEAD_MS } };
  readonly carriesText = false;
  private readonly line: NodeJS.Timeout;
  private lastVoiceAtMs = 0;
  /** Media received whose mark (naming its turn) has not come yet. */
  private held: Float32Array[] = [];
  private answering: { turnId: string; lastMediaAtMs: number } | undefined;

  private constructor(private readonly phone: PhoneClient) {
    super();
    phone.onEvent((msg) => this.onEvent(msg));
    // The line: 20 ms of silence whenever the caller is not speaking.
    this.line = setInterval(() => this.tick(), FRAME_MS);
    void phone.closed.then(({ code, reason }) => {
      clearInterval(this.line);
      const errorCode = errorCodeForClose(code);
      this.emit('close', { code, reason, retryable: false, ...(errorCode === undefined ? {} : { errorCode }) });
    });
  }

  static async connect(opts: NodeVoiceClientOptions): Promise<PhoneCaller> {
    let phone: PhoneClient;
    try {
      phone = await PhoneClient.open(phoneUrlFor(opts.url, opts.token));
    } catch (err) {
      throw new VoiceClientError('TRANSPORT_FAILED', err instanceof Error ? err.message : String(err));
    }
    phone.start();
    const early = await Promise.race([phone.closed, new Promise<undefined>((r) => setTimeout(r, REFUSAL_WAIT_MS))]);
    if (early !== undefined) throw new VoiceClientError(errorCodeForClose(early.code) ?? 'TRANSPORT_FAILED', `the stream was closed (${early.code}${early.reason ? `: ${early.reason}` : ''})`);
    return new PhoneCaller(phone);
  }

  sendAudio(pcm: Float32Array): void {
    this.lastVoiceAtMs = performance.now();
    this.phone.sendVoice(pcm);
  }

  /** A phone cannot commit: the line's silence lets the server's VAD end the turn. */
  commit(): void {}

  end(): Promise<unknown> {
    clearInterval(this.line);
    this.phone.stop();
    return this.phone.closed;
  }

  close(): void {
    clearInterval(this.line);
    this.phone.close();
  }

  private tick(): void {
    const now = performance.now();
    if (now - this.lastVoiceAtMs >= FRAME_MS * 1.5 && this.phone.isOpen) {
      this.lastVoiceAtMs = now;
      this.phone.sendVoice(new Float32Array((16000 * FRAME_MS) / 1000));
    }
    const a = this.answering;
    if (a !== undefined && now - a.lastMediaAtMs > ANSWER_GAP_MS) {
      this.answering = undefined;
      this.emit('turn.done', { type: 'turn.done', turnId: a.turnId, mode: 'speech-to-speech' });
    }
  }

  private onEvent(msg: Record<string, unknown>): void {
    switch (msg['event']) {
      case 'media': {
        const pcm = this.phone.audio.at(-1);
        if (pcm !== undefined) this.held.push(pcm);
        return;
      }
      case 'mark': {
        const name = String((msg['mark'] as { name?: unknown } | undefined)?.name ?? '');
        const turnId = name.slice(0, name.lastIndexOf('#'));
        for (const pcm of this.held) this.emit('audio', { turnId, pcm, sampleRateHz: LINE_RATE_HZ });
        this.held = [];
        this.answering = { turnId, lastMediaAtMs: performance.now() };
        return;
      }
      case 'clear': {
        this.held = [];
        const a = this.answering;
        this.answering = undefined;
        if (a !== undefined) this.emit('interrupted', { type: 'interrupted', turnId: a.turnId });
        return;
      }
      default:
        return;
    }
  }
}
