// The in-process engine API: transports (ws, webrtc, CLI) talk to the model only through this.
import type { ErrorCode } from '../errors.ts';
import type { LlmBatchTotals } from '../runtimes/lm-sample-gate.ts';
import type { Mode } from '../runtimes/manifest.ts';

export type { Mode };

export interface TurnTimings {
  /** End of the caller's speech (or text submission) on the engine clock, ms. */
  endOfInputMs: number;
  /** End of input → first transcript token. */
  firstTranscriptMs?: number;
  /** End of input → first answer-text token. */
  firstAnswerMs?: number;
  /** End of input → first audio chunk emitted (TTFA). */
  ttfaMs?: number;
  /**
   * End of input → first audio chunk vocoded: TTFA's floor. The answer's audio is held from here until what is
   * buffered covers producing what follows (so the caller's playout never runs dry); ttfaMs − this is that wait.
   */
  firstAudioReadyMs?: number;
  /**
   * Prefill of the tail left at end of speech (units not yet fed + template suffix): end of input → first
   * generated token, since the tail is evaluated in the same call that yields it.
   */
  prefillTailMs?: number;
  /**
   * Mean ms from one generated token to the next over the answer (its first token, which carries the prefill, left
   * out): the LLM's pace for this caller at the load it met. Absent below two tokens.
   */
  decodeMsPerToken?: number;
  /**
   * Chunks vocoded before they reached their full size because the caller's audio would otherwise have run dry
   * (the LLM slowed under load); present on spoken answers.
   */
  earlyChunks?: number;
  /** Spoken answers: the answer units' tokens (decode steps), fewer than outputUnits where the model writes answer-unit pieces. */
  outputUnitTokens?: number;
  /** End of input → turn done. */
  totalMs: number;
  inputUnits: number;
  outputTextTokens: number;
  outputUnits: number;
  audioMs: number;
}

/**
 * Every answered turn ends with exactly one of `turn.done`, `interrupted` (barge-in or cancel; no more events
 * for that turn follow) or `error` carrying its turnId (fatal: false; the session goes on). An `interrupted`
 * may also follow `turn.done` while that answer's audio is still playing (as the session's Playout says).
 */
export type EngineEvent =
  /** atMs: position in the session's audio stream (ms of audio received), not the engine clock. */
  | { type: 'speech.started'; turnId: string; atMs: number }
  | { type: 'speech.stopped'; turnId: string; atMs: number }
  | { type: 'transcript.delta'; turnId: string; text: string }
  | { type: 'transcript.final'; turnId: string; text: string }
  | { type: 'answer.delta'; turnId: string; text: string }
  | { type: 'answer.final'; turnId: string; text: string }
  | { type: 'audio.start'; turnId: string; sampleRateHz: number }
  /** PCM float32 mono at sampleRateHz, in [-1, 1]. */
  | { type: 'audio.chunk'; turnId: string; pcm: Float32Array; sampleRateHz: number }
  | { type: 'audio.end'; turnId: string }
  | { type: 'turn.done'; turnId: string; mode: Mode; timings: TurnTimings }
  | { type: 'interrupted'; turnId: string }
  | { type: 'error'; code: ErrorCode; message: string; turnId?: string; fatal: boolean };

/**
 * What the caller has heard of each answer. Known where the audio is played out (the gateway's pacer, a phone
 * provider's mark acknowledgements); the engine asks it to decide barge-in and to keep in memory only what was heard.
 */
export interface Playout {
  /** Audio of the turn's answer the caller has heard so far, ms. */
  heardMs(turnId: string): number;
  /** The turn's answer audio is still queued or playing at the caller. */
  playing(turnId: string): boolean;
}

export interface SessionOptions {
  mode: Mode;
  /** Silence after speech that ends a turn, ms. */
  endOfSpeechSilenceMs?: number;
  /** When false the client commits turns itself (explicit endpointing). */
  vad?: boolean;
  /** The caller's audio is narrowband (8 kHz phone audio, upsampled): voice activity is scored at 8 kHz. */
  narrowbandInput?: boolean;
  /** Who plays the audio out. Absent (in-process use, nothing plays it): heard at real time from the first chunk. */
  playout?: Playout;
}

export interface EngineSession {
  readonly id: string;
  /** 16 kHz mono float32 PCM, any length. */
  pushAudio(pcm: Float32Array): void;
  /** A text turn; mode defaults to the session's mode. */
  pushText(text: string, mode?: Mode): void;
  /** The client says the caller's speech ended (explicit endpointing). */
  commit(): void;
  /** Drops the caller's speech not yet ended as a turn: it is not answered and leaves no trace in memory. */
  clearInput(): void;
  /** Cancel the answer in progress (barge-in or user action). */
  cancel(): void;
  setMode(mode: Mode): void;
  on(listener: (event: EngineEvent) => void): () => void;
  /** Frees the LLM sequence, queues and timers. Idempotent. */
  close(): Promise<void>;
}

/** The engine's shared resources, for metrics. */
export interface EngineGaugeReadings {
  /** LLM sequences held, by open and closing sessions. */
  llmSequencesInUse: number;
  /** Vocoder requests queued or running. */
  vocoderQueueDepth: number;
  /** The LLM's batches since start-up (cumulative), where its runtime times them; null where not. */
  llmBatches: LlmBatchTotals | null;
}

export interface Engine {
  readonly modelName: string;
  openSession(opts: SessionOptions): Promise<EngineSession>;
  readonly activeSessions: number;
  /** Absent on engines without shared resources to report (fakes). */
  gauges?(): EngineGaugeReadings;
  /** Calls `listener` with how long each closed session took to give its LLM sequence back, ms. */
  onSessionReleased?(listener: (releaseMs: number) => void): void;
  close(): Promise<void>;
}
