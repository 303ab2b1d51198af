// What the load tester records: one TurnRecord per question asked, one CallRecord per connection attempt.
// Times are ms since the run started (one clock for every caller); durations are ms.
import type { ErrorCode, TurnTimings } from '../../../client-sdk/src/protocol/index.ts';
import type { LlmBatchTotals } from '../runtimes/lm-sample-gate.ts';
import type { PlaybackStats } from './playback-monitor.ts';

/** realtime: the OpenAI Realtime-compatible endpoint (PCM16 24 kHz); twilio: a phone media stream (μ-law 8 kHz). */
export type TransportName = 'ws' | 'webrtc' | 'realtime' | 'twilio';

/** A protocol error code, or TIMEOUT: the caller gave up waiting. */
export type FailureCode = ErrorCode | 'TIMEOUT';

/** How a turn ended: answered, cut by this caller's barge-in, an error for the turn, or no answer in time. */
export type TurnOutcome = 'done' | 'interrupted' | 'error' | 'timeout' | 'closed';

export interface TurnRecord {
  callerId: number;
  /** 0 for the call's first question, 1 for the next, … */
  turnIndex: number;
  utteranceId: string;
  skill: string;
  outcome: TurnOutcome;
  /** When the caller started speaking, and when its audio ended (commit sent). */
  speakAtMs: number;
  endOfAudioAtMs: number;
  /** End of the caller's audio → first answer audio frame received. */
  ttfaMs: number | null;
  firstTranscriptMs: number | null;
  firstAnswerMs: number | null;
  /** End of audio → turn.done (or the end for other outcomes). */
  totalMs: number | null;
  transcript: string;
  answer: string;
  expectedTranscript: string;
  expectedAnswer: string;
  transcriptOk: boolean;
  answerOk: boolean;
  /** The transport carries the transcript and answer text: false on a phone line, whose turns are timed, not judged. */
  textCarried: boolean;
  playback: PlaybackStats;
  /** This turn was cut on purpose by the caller speaking over it. */
  bargedIn: boolean;
  /** Caller started speaking over the answer → `interrupted` received. */
  bargeInReactionMs: number | null;
  /** Answer audio frames of this turn received after its `interrupted`: should be none. */
  framesAfterInterrupt: number;
  /** Callers with a call in progress when this turn's audio ended. */
  activeCallers: number;
  error: { code: FailureCode; message: string } | null;
  server: TurnTimings | null;
}

export type CallOutcome = 'completed' | 'refused' | 'failed';

export interface CallRecord {
  callerId: number;
  transport: TransportName;
  outcome: CallOutcome;
  startAtMs: number;
  /** connect() → session.started. */
  setupMs: number | null;
  durationMs: number;
  turns: number;
  errorCode: FailureCode | null;
  closeCode: number | null;
  message: string | null;
}

/** One sample of the gateway's /metrics, differenced against the previous one. */
export interface ServerSample {
  atMs: number;
  cpuPercent: number;
  rssMb: number;
  heapMb: number;
  sessions: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** Share of the interval the event loop was busy, 0..1. */
  eventLoopUtilization: number;
  /** The LLM's batches in the interval (lm-sample-gate.ts), where the gateway reports them. */
  llmBatches?: LlmBatchTotals;
}

/** Callers in a call, sampled while the run goes. */
export interface ActivitySample {
  atMs: number;
  activeCallers: number;
}
