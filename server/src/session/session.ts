// One caller: audio in → VAD turns → speech input (units prefilled while speaking) → answer. Owns an
// AbortController (each answer's is a child of it), a bounded ingress queue (drop-oldest for audio, never for
// commits and text), and one conversation in one LLM sequence. Failures become `error` events on this
// session only; a throwing listener is isolated too.
import { GatewayError } from '../errors.ts';
import type { EngineEvent, EngineSession, Mode, Playout, SessionOptions } from '../engine/types.ts';
import { MODES } from '../runtimes/manifest.ts';
import type { VoiceActivityStream } from '../runtimes/vad.ts';
import { AudioRing } from '../pipeline/audio-ring.ts';
import { Channel } from '../pipeline/channel.ts';
import { Framer } from '../pipeline/framer.ts';
import { DEFAULT_END_OF_SPEECH_SILENCE_MS, TurnDetector, type TurnEvent } from '../pipeline/turn-detector.ts';
import { Answer } from './answer.ts';
import { Conversation } from './conversation.ts';
import { RealTimePlayout } from './real-time-playout.ts';
import type { SessionModel } from './session-model.ts';
import { SpeechInput } from './speech-input.ts';
import type { TokenSequence } from './token-sequence.ts';

export interface SessionLimits {
  /** Audio chunks queued before the oldest are dropped (a starved event loop must not grow memory). */
  ingressChunks: number;
  /** Audio kept from before the VAD confirms speech. */
  preRollMs: number;
  /** Speech needed to confirm a turn (and to barge in). */
  minSpeechMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { ingressChunks: 1000, preRollMs: 300, minSpeechMs: 32 };

export interface SessionDeps {
  id: string;
  model: SessionModel;
  sequence: TokenSequence;
  options: SessionOptions;
  now: () => number;
  limits?: Partial<SessionLimits>;
  /** Called once the session has released everything. */
  onClosed?: () => void;
  /** Called when close() begins, with its completion: the caller is gone, the sequence is still being released. */
  onClosing?: (released: Promise<void>) => void;
}

type Ingress = { kind: 'audio'; pcm: Float32Array } | { kind: 'commit' } | { kind: 'clear' } | { kind: 'text'; text: string; mode: Mode };

export class VoxSession implements EngineSession {
  readonly id: string;
  private readonly model: SessionModel;
  private readonly sequence: TokenSequence;
  private readonly conversation: Conversation;
  private readonly ctl = new AbortController();
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly ingress: Channel<Ingress>;
  private readonly framer: Framer;
  private readonly preRoll: AudioRing;
  private readonly vad: VoiceActivityStream | undefined;
  private readonly turns: TurnDetector | undefined;
  private readonly now: () => number;
  private readonly limits: SessionLimits;
  private readonly playout: Playout;
  /** Set when no transport plays the audio out: fed from this session's own audio events. */
  private readonly selfPlayout: RealTimePlayout | undefined;
  private mode: Mode;
  private input: SpeechInput | undefined;
  private answer: Answer | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private readonly pump: Promise<void>;
  private turnCount = 0;
  private closing: Promise<void> | undefined;
  private readonly onClosed: (() => void) | undefined;
  private readonly onClosing: ((released: Promise<void>) => void) | undefined;

  constructor(deps: SessionDeps) {
    this.id = deps.id;
    this.model = deps.model;
    this.sequence = deps.sequence;
    this.now = deps.now;
    this.onClosed = deps.onClosed;
    this.onClosing = deps.onClosing;
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.mode = checkMode(deps.options.mode);
    if (deps.options.playout !== undefined) {
      this.playout = deps.options.playout;
      this.selfPlayout = undefined;
    } else {
      this.playout = this.selfPlayout = new RealTimePlayout(deps.now);
    }
    this.conversation = new Conversation(deps.sequence, { endOfAnswerId: deps.model.endOfAnswerId, answerReserveTokens: deps.model.answerReserveTokens, earlierTurns: deps.model.earlierTurns });
    this.ingress = new Channel<Ingress>({ capacity: this.limits.ingressChunks, policy: 'drop-oldest', droppable: (x) => x.kind === 'audio' });
    const vadModel = deps.options.vad === false ? undefined : deps.model.vad;
    const frameSamples = vadModel?.frameSamples ?? 512;
    this.framer = new Framer(frameSamples);
    this.preRoll = new AudioRing(Math.round((this.limits.preRollMs * deps.model.sampleRateHz) / 1000));
    if (vadModel) {
      this.vad = vadModel.openStream({ narrowband: deps.options.narrowbandInput === true });
      this.turns = new TurnDetector({
        frameMs: (frameSamples * 1000) / deps.model.sampleRateHz,
        minSpeechMs: this.limits.minSpeechMs,
        endOfSpeechSilenceMs: deps.options.endOfSpeechSilenceMs ?? DEFAULT_END_OF_SPEECH_SILENCE_MS,
      });
    }
    this.pump = this.runPump();
  }

  /** Audio chunks dropped because the session fell behind. */
  get droppedAudioChunks(): number {
    return this.ingress.dropped;
  }

  get closed(): boolean {
    return this.ctl.signal.aborted;
  }

  pushAudio(pcm: Float32Array): void {
    if (this.closed) return;
    // Copied: callers reuse their buffers.
    this.ingress.trySend({ kind: 'audio', pcm: pcm.slice() });
  }

  pushText(text: string, mode?: Mode): void {
    if (this.closed) return;
    const m = checkMode(mode ?? this.mode);
    this.enqueueControl({ kind: 'text', text, mode: m });
  }

  commit(): void {
    if (this.closed) return;
    this.enqueueControl({ kind: 'commit' });
  }

  clearInput(): void {
    if (this.closed) return;
    this.enqueueControl({ kind: 'clear' });
  }

  cancel(): void {
    if (this.closed) return;
    this.interrupt();
  }

  setMode(mode: Mode): void {
    this.mode = checkMode(mode);
  }

  on(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.shutdown();
      this.onClosing?.(this.closing);
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.ctl.abort(new GatewayError('SHUTTING_DOWN', 'session closed'));
    this.answer?.cancel();
    this.ingress.close();
    this.listeners.clear();
    await this.pump;
    await Promise.allSettled([...this.running]);
    await this.conversation.close().catch(() => undefined);
    await this.sequence.release().catch(() => undefined);
    this.onClosed?.();
  }

  private enqueueControl(item: Ingress): void {
    if (!this.ingress.trySend(item)) {
      this.emit({ type: 'error', code: 'RATE_LIMITED', message: 'too many commands queued for this session', fatal: false });
    }
  }

  private emit(event: EngineEvent): void {
    if (this.closed && event.type !== 'error') return;
    if (this.selfPlayout && event.type === 'audio.chunk') this.selfPlayout.audioOut(event.turnId, (event.pcm.length * 1000) / event.sampleRateHz);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break the engine or other listeners.
      }
    }
  }

  private async runPump(): Promise<void> {
    for await (const item of this.ingress) {
      if (this.closed) break;
      try {
        if (item.kind === 'audio') await this.onAudio(item.pcm);
        else if (item.kind === 'commit') await this.onCommit();
        else if (item.kind === 'clear') await this.onClearInput();
        else this.onText(item.text, item.mode);
      } catch (err) {
        this.emit({ type: 'error', code: err instanceof GatewayError ? err.code : 'INTERNAL', message: (err as Error).message, fatal: false });
      }
    }
  }

  /** Stream time of a sample index, ms. */
  private streamMs(samples: number): number {
    return (samples * 1000) / this.model.sampleRateHz;
  }

  private async onAudio(pcm: Float32Array): Promise<void> {
    for (const frame of this.framer.push(pcm)) {
      this.preRoll.push(frame);
      let events: TurnEvent[] = [];
      if (this.vad && this.turns) events = this.turns.push(await this.vad.score(frame));
      if (this.closed) return;
      if (this.input) {
        this.feedInput(this.input, frame);
      } else if (!this.vad) {
        this.startInput(this.streamMs(this.preRoll.totalSamples - frame.length), frame);
      }
      for (const e of events) {
        if (e.type === 'speech.started') {
          const from = Math.round(((e.speechStartMs - this.limits.preRollMs) * this.model.sampleRateHz) / 1000);
          this.startInput(e.atMs, this.preRoll.since(from));
        } else {
          await this.endInput(e.atMs);
        }
      }
    }
  }

  private feedInput(input: SpeechInput, pcm: Float32Array): void {
    const had = input.hasSpeech;
    input.pushAudio(pcm);
    // Without VAD the turn is opened by any audio; it is announced when speech actually appears in it.
    if (!this.vad && !had && input.hasSpeech) {
      this.bargeIn();
      this.emit({ type: 'speech.started', turnId: input.turnId, atMs: this.streamMs(this.preRoll.totalSamples) });
    }
  }

  private startInput(atMs: number, audio: Float32Array): void {
    if (this.vad) this.bargeIn();
    const turnId = this.nextTurnId();
    this.input = new SpeechInput(this.model, this.conversation, turnId, withInput('speech', this.mode));
    if (this.vad) this.emit({ type: 'speech.started', turnId, atMs });
    this.feedInput(this.input, audio);
  }

  private async endInput(atMs: number): Promise<void> {
    const input = this.input;
    if (!input) return;
    this.input = undefined;
    const hadSpeech = input.hasSpeech;
    if (this.vad || hadSpeech) this.emit({ type: 'speech.stopped', turnId: input.turnId, atMs });
    const endOfInputMs = this.now();
    let end: Awaited<ReturnType<SpeechInput['end']>>;
    try {
      end = await input.end();
    } catch (err) {
      this.track(this.conversation.dropTurn(input.turnId));
      this.emit({ type: 'error', code: err instanceof GatewayError ? err.code : 'INTERNAL', message: (err as Error).message, turnId: input.turnId, fatal: false });
      return;
    }
    if (!end) {
      if (this.vad || hadSpeech) this.emit({ type: 'error', code: 'INVALID_AUDIO', message: 'no speech in the turn', turnId: input.turnId, fatal: false });
      return;
    }
    this.startAnswer(input.turnId, input.mode, endOfInputMs, input.inputUnits, end.tail, end.startsTurn);
  }

  private async onCommit(): Promise<void> {
    // The client ended the turn: speech that goes on starts a new one.
    this.turns?.reset();
    if (this.input) {
      for (const rest of this.framer.flush()) {
        this.preRoll.push(rest);
        this.feedInput(this.input, rest);
      }
      await this.endInput(this.streamMs(this.preRoll.totalSamples));
    }
  }

  /** The caller's unfinished speech is withdrawn: the turn is dropped, the detector starts afresh. */
  private async onClearInput(): Promise<void> {
    this.turns?.reset();
    this.framer.flush();
    const input = this.input;
    if (!input) return;
    this.input = undefined;
    // Let its prefill settle before the turn is erased from the sequence.
    await input.end().catch(() => undefined);
    this.track(this.conversation.dropTurn(input.turnId));
  }

  private onText(text: string, mode: Mode): void {
    this.bargeIn();
    const m = withInput('text', mode);
    const prompt = this.model.prompt(m);
    const tail = [...prompt.before, ...this.model.textTokens(text), ...prompt.after];
    this.startAnswer(this.nextTurnId(), m, this.now(), 0, tail, true);
  }

  private startAnswer(turnId: string, mode: Mode, endOfInputMs: number, inputUnits: number, tail: number[], startsTurn: boolean): void {
    const answer = new Answer(this.model, this.conversation, {
      turnId,
      mode,
      endOfInputMs,
      inputUnits,
      sessionSignal: this.ctl.signal,
      emit: (e) => this.emit(e),
      playout: this.playout,
      now: this.now,
    });
    this.answer = answer;
    this.track(
      answer.run(tail, startsTurn).then((outcome) => {
        // A finished answer stays current while its audio plays, so speech over it still barges in.
        if (outcome !== 'done' && this.answer === answer) this.answer = undefined;
      }),
    );
  }

  /** New speech or text while an answer is generating or playing cancels it. */
  private bargeIn(): void {
    const a = this.answer;
    if (!a) return;
    if (a.isActive()) this.interrupt();
    else this.answer = undefined;
  }

  private interrupt(): void {
    const a = this.answer;
    if (!a) return;
    this.answer = undefined;
    const cut = a.cancel();
    if (!cut) return;
    if (cut.trimHeard) this.track(this.conversation.truncateAnswer(a.turnId, cut.keepGenerated));
    this.emit({ type: 'interrupted', turnId: a.turnId });
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => {
      this.emit({ type: 'error', code: err instanceof GatewayError ? err.code : 'INTERNAL', message: (err as Error).message, fatal: false });
    });
    this.running.add(t);
    void t.finally(() => this.running.delete(t));
  }

  private nextTurnId(): string {
    return `${this.id}.${++this.turnCount}`;
  }
}

function checkMode(mode: Mode): Mode {
  if (!MODES.includes(mode)) throw new GatewayError('BAD_REQUEST', `unknown mode ${JSON.stringify(mode)}; one of ${MODES.join(', ')}`);
  return mode;
}

/** The input half of a mode follows what the caller sent; the output half is the one asked for. */
function withInput(input: 'speech' | 'text', mode: Mode): Mode {
  const output = mode.split('-to-')[1] === 'speech' ? 'speech' : 'text';
  return `${input}-to-${output}` as Mode;
}
