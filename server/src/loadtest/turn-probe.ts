// One question's answer as the caller experiences it: the events of its turn, timed on the caller's clock.
// The call's event router feeds it; `ended` settles once the turn is over for the caller (answer complete,
// cut by the caller's barge-in, an error for the turn, the connection closing, or no answer in time).
import type { ErrorCode, TurnTimings } from '../../../client-sdk/src/protocol/index.ts';
import type { CallerMessage } from './transports.ts';
import { judge } from './correctness.ts';
import { PlaybackMonitor } from './playback-monitor.ts';
import type { TurnOutcome, TurnRecord } from './records.ts';
import type { Utterance } from './utterances.ts';

export interface TurnProbeOptions {
  callerId: number;
  turnIndex: number;
  utterance: Utterance;
  underrunToleranceMs: number;
  now: () => number;
  /** false: the transport carries no text (a phone line): the turn is timed, not judged. Default true. */
  textCarried?: boolean;
}

export class TurnProbe {
  turnId: string | undefined;
  readonly ended: Promise<TurnOutcome>;
  speakAtMs = 0;
  endOfAudioAtMs: number | undefined;
  activeCallers = 0;
  bargedIn = false;
  private bargeInAtMs: number | undefined;
  private outcome: TurnOutcome | undefined;
  private firstTranscriptAtMs: number | undefined;
  private firstAnswerAtMs: number | undefined;
  private firstAudioAtMs: number | undefined;
  private endAtMs: number | undefined;
  private interruptedAtMs: number | undefined;
  private framesAfterInterrupt = 0;
  private transcriptDeltas = '';
  private answerDeltas = '';
  private transcriptFinal: string | undefined;
  private answerFinal: string | undefined;
  private server: TurnTimings | null = null;
  private error: TurnRecord['error'] = null;
  private readonly playback: PlaybackMonitor;
  private resolveEnded!: (o: TurnOutcome) => void;

  constructor(private readonly opts: TurnProbeOptions) {
    this.playback = new PlaybackMonitor(opts.underrunToleranceMs);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get isOver(): boolean {
    return this.outcome !== undefined;
  }

  /** Answer audio has begun to arrive. */
  get audioStarted(): boolean {
    return this.firstAudioAtMs !== undefined;
  }

  markEndOfAudio(activeCallers: number): void {
    this.endOfAudioAtMs = this.opts.now();
    this.activeCallers = activeCallers;
  }

  /** The caller starts speaking over this turn's answer. */
  markBargeIn(): void {
    this.bargedIn = true;
    this.bargeInAtMs = this.opts.now();
  }

  onEvent(msg: CallerMessage): void {
    const now = this.opts.now();
    switch (msg.type) {
      case 'transcript.delta':
        this.firstTranscriptAtMs ??= now;
        this.transcriptDeltas += msg.text;
        return;
      case 'transcript.final':
        this.transcriptFinal = msg.text;
        return;
      case 'answer.delta':
        this.firstAnswerAtMs ??= now;
        this.answerDeltas += msg.text;
        return;
      case 'answer.final':
        this.answerFinal = msg.text;
        return;
      case 'turn.done':
        this.server = msg.timings ?? null; // a dialect without voxgate's timings leaves them out
        return this.finish(this.interruptedAtMs === undefined ? 'done' : 'interrupted');
      case 'interrupted':
        this.interruptedAtMs ??= now;
        // Cut on purpose: over for the caller. Cut otherwise (another caller's speech cannot reach this
        // session, so the server decided): an error, since the caller never asked for it.
        if (this.bargedIn) return this.finish('interrupted');
        return this.fail('INTERNAL', 'answer interrupted without a barge-in');
      case 'error':
        return this.fail(msg.code, msg.message);
      default:
        return;
    }
  }

  onAudioFrame(frameMs: number): void {
    const now = this.opts.now();
    if (this.interruptedAtMs !== undefined) {
      this.framesAfterInterrupt++;
      return;
    }
    this.firstAudioAtMs ??= now;
    this.playback.frame(now, frameMs);
  }

  fail(code: ErrorCode | 'TIMEOUT', message: string, outcome: TurnOutcome = code === 'TIMEOUT' ? 'timeout' : 'error'): void {
    if (this.isOver) return;
    this.error = { code, message };
    this.finish(outcome);
  }

  record(): TurnRecord {
    const u = this.opts.utterance;
    const end = this.endOfAudioAtMs;
    const since = (t: number | undefined) => (t === undefined || end === undefined ? null : Math.round((t - end) * 10) / 10);
    const transcript = this.transcriptFinal ?? this.transcriptDeltas;
    const answer = this.answerFinal ?? this.answerDeltas;
    const verdict = judge(u, { transcript, answer });
    return {
      callerId: this.opts.callerId,
      turnIndex: this.opts.turnIndex,
      utteranceId: u.id,
      skill: u.skill,
      outcome: this.outcome ?? 'timeout',
      speakAtMs: Math.round(this.speakAtMs),
      endOfAudioAtMs: Math.round(end ?? this.speakAtMs),
      ttfaMs: since(this.firstAudioAtMs),
      firstTranscriptMs: since(this.firstTranscriptAtMs),
      firstAnswerMs: since(this.firstAnswerAtMs),
      totalMs: since(this.endAtMs),
      transcript: transcript.trim(),
      answer: answer.trim(),
      expectedTranscript: u.transcript,
      expectedAnswer: u.answer,
      ...verdict,
      textCarried: this.opts.textCarried ?? true,
      playback: this.playback.result(),
      bargedIn: this.bargedIn,
      bargeInReactionMs:
        this.bargeInAtMs === undefined || this.interruptedAtMs === undefined ? null : Math.round(this.interruptedAtMs - this.bargeInAtMs),
      framesAfterInterrupt: this.framesAfterInterrupt,
      activeCallers: this.activeCallers,
      error: this.error,
      server: this.server,
    };
  }

  private finish(outcome: TurnOutcome): void {
    if (this.isOver) return;
    this.outcome = outcome;
    this.endAtMs = this.opts.now();
    this.resolveEnded(outcome);
  }
}
