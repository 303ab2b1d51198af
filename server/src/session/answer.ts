// One answer: greedy generation through the chain-of-modality parser, text deltas out as they come, and
// [ua] units vocoded chunk by chunk (firstChunkUnits, then chunkUnits; sooner where the caller's audio would run
// dry) while the LLM is still generating.
// Owns an AbortController tied to the session's; cancel() stops it within one token and decides how much
// of the answer stays in the conversation (what the caller has heard, as the session's Playout says).
import type { ErrorCode } from '../errors.ts';
import { GatewayError } from '../errors.ts';
import type { EngineEvent, Mode, Playout, TurnTimings } from '../engine/types.ts';
import type { ComParser, ParserEvent } from '../pipeline/com-parser.ts';
import { Channel } from '../pipeline/channel.ts';
import type { Conversation, GenerationEnd, Settlement } from './conversation.ts';
import type { AudioStream, SessionModel } from './session-model.ts';
import { AudioUnitMap } from './audio-units.ts';
import { DEFAULT_START_MARGIN, PlayoutStart, type UpcomingChunk } from './playout-start.ts';

/** Coming chunks the start decision looks at: the ramp to the regular chunk size. */
const START_HORIZON_CHUNKS = 3;
/** Audio per unit assumed before any is measured, and the least ever assumed, ms (one 10 ms frame: prudent). */
const MIN_AUDIO_MS_PER_UNIT = 10;
/** Weight of a new token interval in the answer's own pace. */
const PACE_LEARNING_RATE = 0.2;
/** Token intervals measured before the answer's own pace is trusted over the engine's. */
const OWN_PACE_MIN_TOKENS = 4;
/** Units pending before a chunk is cut early: the vocoder's lookahead (2 with the shipped model) and a few to play. */
const MIN_CUT_UNITS = 5;

export interface AnswerOptions {
  turnId: string;
  mode: Mode;
  /** Engine clock (ms) when the caller's input ended. */
  endOfInputMs: number;
  inputUnits: number;
  sessionSignal: AbortSignal;
  emit: (event: EngineEvent) => void;
  /** The one owner of what the caller has heard. */
  playout: Playout;
  now: () => number;
}

export type AnswerOutcome = 'done' | 'interrupted' | 'failed';

interface Failure {
  code: ErrorCode;
  message: string;
}

export class Answer {
  readonly turnId: string;
  readonly mode: Mode;
  private readonly ctl = new AbortController();
  private readonly signal: AbortSignal;
  private readonly parser: ComParser;
  private readonly speaks: boolean;
  private readonly unitQueue: Channel<number>;
  private readonly audio: AudioStream | undefined;
  private readonly audioUnits: AudioUnitMap;
  private failure: Failure | undefined;
  private interrupted = false;
  private generating = false;
  private runDone = false;
  /** Generated-token index of each [ua] unit, to cut the answer where the caller stopped hearing it. */
  private readonly unitTokenAt: number[] = [];
  /** [ua] tokens generated so far; with answer-unit pieces a token is several units (unitTokenAt has one per unit). */
  private unitTokens = 0;
  private generated = 0;
  /** When the first generated token came, engine clock ms (the latest: lastTokenAtMs): the turn's decode pace. */
  private firstTokenAtMs: number | undefined;
  private textTokens = 0;
  private timings: Partial<TurnTimings> = {};
  private keepOnCancel: number | undefined;
  private readonly playoutStart: PlayoutStart;
  /** This answer's own ms per token (what its load gives it now), once measured. */
  private tokenMs: number | undefined;
  private tokenIntervals = 0;
  private lastTokenAtMs: number | undefined;
  /** Engine clock when the next chunk was forecast to be ready (checked against its arrival to learn the slack). */
  private forecastNextAtMs: number | undefined;
  /** Units fed to the vocoder when each chunk not yet out was vocoded (in order; at most an answer's chunks). */
  private readonly unitsAtVocode: number[] = [];
  /** Chunks vocoded ahead of their full size because the caller's audio would have run dry (turn timings). */
  private cutChunks = 0;

  constructor(
    private readonly model: SessionModel,
    private readonly conversation: Conversation,
    private readonly opts: AnswerOptions,
  ) {
    this.turnId = opts.turnId;
    this.mode = opts.mode;
    this.signal = AbortSignal.any([opts.sessionSignal, this.ctl.signal]);
    this.parser = model.newParser(opts.mode);
    this.speaks = opts.mode.endsWith('speech');
    this.unitQueue = new Channel<number>({ capacity: model.maxAnswerUnits(opts.mode) + 1, policy: 'block' });
    this.audio = this.speaks ? model.openAudioStream() : undefined;
    this.audioUnits = new AudioUnitMap(model.vocoderSampleRateHz);
    this.playoutStart = new PlayoutStart({ sampleRateHz: model.vocoderSampleRateHz, now: opts.now, emit: (pcm) => this.emitAudio(pcm) });
  }

  get isGenerating(): boolean {
    return this.generating;
  }

  /** Runs the answer to its end; never throws (failures become `error` events). */
  async run(tail: readonly number[], startsTurn: boolean): Promise<AnswerOutcome> {
    const vocoding = this.audio ? this.vocode(this.audio) : Promise.resolve();
    this.generating = true;
    const end = await this.conversation
      .generate({
        turnId: this.turnId,
        tail,
        startsTurn,
        maxTokens: this.model.maxAnswerTokens(this.mode),
        signal: this.signal,
        onToken: (t) => this.onToken(t),
        settle: (e) => this.settle(e),
        urgency: { deadlineMs: () => this.audioDueMs(), prefillTokensPerBatch: () => this.prefillTolerance() },
        forbidden: () => this.parser.forbiddenNext(),
      })
      .catch((err: unknown): GenerationEnd => ({ generated: 0, lastToken: undefined, error: err }));
    this.generating = false;
    if (end.error !== undefined && !this.interrupted) this.fail(codeOf(end.error, 'INTERNAL'), messageOf(end.error));
    this.unitQueue.close();
    await vocoding;
    this.runDone = true;
    if (this.interrupted) return 'interrupted';
    if (this.failure) {
      this.opts.emit({ type: 'error', code: this.failure.code, message: this.failure.message, turnId: this.turnId, fatal: false });
      return 'failed';
    }
    this.opts.emit({ type: 'turn.done', turnId: this.turnId, mode: this.mode, timings: this.finalTimings() });
    return 'done';
  }

  /** Generating, vocoding, or its audio still playing at the caller. */
  isActive(): boolean {
    return !this.interrupted && (!this.runDone || this.opts.playout.playing(this.turnId));
  }

  /**
   * Barge-in or user cancel: stops generation and vocoding now. Undefined when there was nothing to stop.
   * `trimHeard`: the generation had already ended, so the caller must trim the conversation to the first
   * `keepGenerated` tokens (what was heard); otherwise the generation's own settlement does it.
   */
  cancel(): { trimHeard: boolean; keepGenerated: number } | undefined {
    if (!this.isActive()) return undefined;
    this.interrupted = true;
    this.keepOnCancel = this.heardTokens();
    this.ctl.abort(new GatewayError('INTERNAL', 'answer cancelled'));
    this.playoutStart.cancel();
    this.unitQueue.clear();
    this.unitQueue.close();
    return { trimHeard: !this.generating, keepGenerated: this.keepOnCancel };
  }

  private onToken(token: number): boolean {
    if (this.signal.aborted) return false;
    const index = this.generated++;
    if (index === 0) this.timings.prefillTailMs = this.sinceEnd();
    this.measurePace();
    for (const e of this.parser.push({ id: token, text: this.model.tokenText(token) })) this.onParserEvent(e, index);
    return !this.parser.done && !this.signal.aborted;
  }

  private onParserEvent(e: ParserEvent, tokenIndex: number): void {
    const turnId = this.turnId;
    switch (e.type) {
      case 'text.delta':
        if (e.part === 'transcript') {
          this.timings.firstTranscriptMs ??= this.sinceEnd();
          this.opts.emit({ type: 'transcript.delta', turnId, text: e.text });
        } else {
          this.timings.firstAnswerMs ??= this.sinceEnd();
          this.opts.emit({ type: 'answer.delta', turnId, text: e.text });
        }
        return;
      case 'part.end':
        if (e.part === 'transcript') this.opts.emit({ type: 'transcript.final', turnId, text: e.text });
        else if (e.part === 'answer') this.opts.emit({ type: 'answer.final', turnId, text: e.text });
        if (e.part !== 'answerUnits') this.textTokens += e.tokens;
        return;
      case 'units':
        this.unitTokens++;
        for (const u of e.units) {
          this.unitTokenAt.push(tokenIndex);
          if (this.speaks) this.unitQueue.trySend(u);
        }
        return;
      case 'error':
        this.fail(e.code, `model output: ${e.message}`);
        return;
      case 'part.start':
      case 'end':
        return;
    }
  }

  /** Inside the generation's exclusive step: what of this answer stays in the conversation. */
  private settle(end: GenerationEnd): Settlement {
    if (!this.interrupted && !this.parser.done) {
      // Generation stopped without an end of answer (token cap): close the parts, report malformed output.
      for (const e of this.parser.flush()) this.onParserEvent(e, end.generated);
    }
    if (this.failure && !this.interrupted) return { kind: 'drop' };
    const eoa = this.model.endOfAnswerId;
    const evaluated = Math.max(0, end.generated - 1);
    if (!this.interrupted) return { kind: 'keep', keep: evaluated, carry: [eoa] };
    // The last token yielded was delivered (its text reached the caller) but never evaluated: carry it.
    const keep = Math.min(end.generated, this.keepOnCancel ?? end.generated);
    if (keep > evaluated && end.lastToken !== undefined && end.lastToken !== eoa) return { kind: 'keep', keep: evaluated, carry: [end.lastToken, eoa] };
    return { kind: 'keep', keep: Math.min(keep, evaluated), carry: [eoa] };
  }

  /** Generated tokens up to the first unit the caller has not heard yet (all of them for text answers). */
  private heardTokens(): number {
    if (this.unitTokenAt.length === 0) return this.generated;
    const heard = this.audioUnits.unitsAt(this.opts.playout.heardMs(this.turnId));
    return this.unitTokenAt[heard] ?? this.generated;
  }

  private async vocode(audio: AudioStream): Promise<void> {
    try {
      for (;;) {
        const first = await this.unitQueue.receive();
        if (first.done || this.signal.aborted) break;
        const units = [first.value];
        // Take whatever else is already waiting: fewer, larger vocoder calls.
        while (this.unitQueue.size > 0) {
          const next = await this.unitQueue.receive();
          if (next.done) break;
          units.push(next.value);
        }
        // A hang-up or barge-in does not wait for a vocoder request already queued behind other callers'.
        const chunks = await orAbort(audio.push(units, this.audioDueMs()), this.signal);
        if (chunks === undefined || this.signal.aborted) return;
        this.audioUnits.unitsIn(units.length);
        if (chunks.length === 0) {
          // The chunk these units belong to is not complete; if waiting for it would let the caller's audio run dry,
          // what is in goes now (a cut chunk is not what the last forecast was about, so it teaches the slack nothing).
          if (!this.runsDryBeforeNextChunk(audio)) continue;
          const cut = await orAbort(audio.cut(this.audioDueMs()), this.signal);
          if (cut === undefined || this.signal.aborted) return;
          if (cut.length === 0) continue;
          this.cutChunks++;
          this.vocoded(cut);
        } else {
          if (this.forecastNextAtMs !== undefined) this.model.forecastSlack.observe(this.opts.now() - this.forecastNextAtMs);
          for (const pcm of chunks) this.vocoded(pcm);
        }
        const upcoming = this.upcoming(audio);
        const next = upcoming[0];
        this.forecastNextAtMs = next !== undefined && this.generating ? this.opts.now() + next.readyInMs : undefined;
        this.playoutStart.settle(upcoming, { ...DEFAULT_START_MARGIN, extraMs: this.model.forecastSlack.slackMs() });
      }
      if (this.signal.aborted) return;
      const rest = await orAbort(audio.flush(this.audioDueMs()), this.signal);
      if (rest === undefined || this.signal.aborted) return;
      if (rest.length > 0) this.vocoded(rest);
      this.playoutStart.finish();
      if (this.audioUnits.started) this.opts.emit({ type: 'audio.end', turnId: this.turnId });
    } catch (err) {
      this.fail(codeOf(err, 'INTERNAL'), `vocoder: ${messageOf(err)}`);
      this.ctl.abort(err);
    } finally {
      if (this.signal.aborted) this.playoutStart.cancel();
    }
  }

  /** A chunk's audio came out of the vocoder: it goes to the start gate (and through it once playout started). */
  private vocoded(pcm: Float32Array): void {
    if (pcm.length === 0) return;
    this.timings.firstAudioReadyMs ??= this.sinceEnd();
    this.unitsAtVocode.push(this.audioUnits.fed);
    this.playoutStart.add(pcm);
  }

  /**
   * Prefill tokens each LLM batch may carry before this answer's playing audio would run dry: its spare time (due
   * minus the next chunk's forecast, less the learned slack), spread over the decode steps the chunk still needs.
   * Unbounded before playout starts (a held answer's start gate re-forecasts) and once its units are all in.
   */
  private prefillTolerance(): number {
    if (!this.playoutStart.started || this.audio === undefined || !this.generating) return Number.POSITIVE_INFINITY;
    const missingUnits = this.audio.nextChunks(1)[0]?.missingUnits ?? 0;
    const next = this.upcoming(this.audio)[0];
    if (missingUnits <= 0 || next === undefined) return Number.POSITIVE_INFINITY;
    const spareMs = this.audioDueMs() - this.opts.now() - next.readyInMs - this.model.forecastSlack.slackMs();
    const prefillMs = this.model.prefillMsPerToken();
    if (!(prefillMs > 0)) return Number.POSITIVE_INFINITY;
    return Math.max(0, spareMs / (missingUnits * this.tokensPerUnit() * prefillMs));
  }

  /**
   * Playing, still generating, and the caller's buffered audio runs out before the next chunk would be ready (its
   * forecast plus the learned slack), with enough units pending for a cut to emit some audio.
   */
  private runsDryBeforeNextChunk(audio: AudioStream): boolean {
    if (!this.playoutStart.started || !this.generating || audio.pendingUnits < MIN_CUT_UNITS) return false;
    const next = this.upcoming(audio)[0];
    if (next === undefined) return false;
    return this.audioDueMs() - this.opts.now() < next.readyInMs + this.model.forecastSlack.slackMs();
  }

  /** When this answer's next audio is due at the caller: now before playout starts, else when its buffer runs dry. */
  private audioDueMs(): number {
    const startedAt = this.playoutStart.startedAtMs;
    return startedAt === undefined ? this.opts.now() : startedAt + this.audioUnits.audioMs;
  }

  /** This answer's token pace: its own measurement once it has a few tokens, the engine's learned figure before. */
  private measurePace(): void {
    const now = this.opts.now();
    // The first token's time is the prompt's prefill, not the decode pace.
    if (this.lastTokenAtMs !== undefined && this.generated > 2) {
      const interval = now - this.lastTokenAtMs;
      this.tokenMs = this.tokenMs === undefined ? interval : this.tokenMs + PACE_LEARNING_RATE * (interval - this.tokenMs);
      this.tokenIntervals++;
    }
    this.lastTokenAtMs = now;
    this.firstTokenAtMs ??= now;
  }

  /**
   * Decode steps a unit still to come costs: this answer's own ratio once it has a few unit tokens (an answer-unit
   * piece is several units), one before (never an optimistic forecast).
   */
  private tokensPerUnit(): number {
    const units = this.unitTokenAt.length;
    return this.unitTokens >= OWN_PACE_MIN_TOKENS && units > 0 ? Math.min(1, this.unitTokens / units) : 1;
  }

  /** Predicted arrival and length of the coming chunks, from the learned token pace and vocoder cost. */
  private upcoming(audio: AudioStream): UpcomingChunk[] {
    const own = this.tokenIntervals >= OWN_PACE_MIN_TOKENS ? this.tokenMs : undefined;
    const tokenMs = Math.max(own ?? 0, this.model.tokenMsNow());
    const audioMsPerUnit = Math.max(MIN_AUDIO_MS_PER_UNIT, ((audio.samplesPerUnit() ?? 0) * 1000) / this.model.vocoderSampleRateHz);
    const due = this.audioDueMs();
    const out: UpcomingChunk[] = [];
    let vocoderFreeInMs = 0;
    for (const chunk of audio.nextChunks(this.generating ? START_HORIZON_CHUNKS : 1)) {
      // Once generation has ended no unit is missing any more: what is left is one flush call.
      const unitsInMs = this.generating ? chunk.missingUnits * this.tokensPerUnit() * tokenMs : 0;
      vocoderFreeInMs = Math.max(unitsInMs, vocoderFreeInMs) + audio.readyInMs(chunk.callUnits, due);
      out.push({ readyInMs: vocoderFreeInMs, audioMs: chunk.units * audioMsPerUnit });
    }
    return out;
  }

  private emitAudio(pcm: Float32Array): void {
    if (pcm.length === 0 || this.signal.aborted) return;
    const sampleRateHz = this.model.vocoderSampleRateHz;
    if (!this.audioUnits.started) {
      this.timings.ttfaMs = this.sinceEnd();
      this.opts.emit({ type: 'audio.start', turnId: this.turnId, sampleRateHz });
    }
    this.audioUnits.chunkOut(pcm.length, this.unitsAtVocode.shift());
    this.opts.emit({ type: 'audio.chunk', turnId: this.turnId, pcm, sampleRateHz });
  }

  private fail(code: ErrorCode, message: string): void {
    this.failure ??= { code, message };
  }

  private sinceEnd(): number {
    return this.opts.now() - this.opts.endOfInputMs;
  }

  /** Mean ms between the generated tokens after the first; undefined below two. */
  private decodeMsPerToken(): number | undefined {
    if (this.firstTokenAtMs === undefined || this.lastTokenAtMs === undefined || this.generated < 2) return undefined;
    return (this.lastTokenAtMs - this.firstTokenAtMs) / (this.generated - 1);
  }

  private finalTimings(): TurnTimings {
    const pace = this.decodeMsPerToken();
    return {
      ...this.timings,
      ...(pace === undefined ? {} : { decodeMsPerToken: pace }),
      ...(this.speaks ? { earlyChunks: this.cutChunks, outputUnitTokens: this.unitTokens } : {}),
      endOfInputMs: this.opts.endOfInputMs,
      totalMs: this.sinceEnd(),
      inputUnits: this.opts.inputUnits,
      outputTextTokens: this.textTokens,
      outputUnits: this.unitTokenAt.length,
      audioMs: this.audioUnits.audioMs,
    };
  }
}

/** The work's result, or undefined as soon as the signal aborts (the work's own failure is then ignored). */
function orAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), signal.aborted ? resolve(undefined) : reject(err)),
    );
  });
}

function codeOf(err: unknown, fallback: ErrorCode): ErrorCode {
  return err instanceof GatewayError ? err.code : fallback;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
