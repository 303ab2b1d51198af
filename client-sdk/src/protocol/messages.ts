// The JSON control messages of protocol version 1, both directions. Audio travels in binary frames (binary.ts).
import type { ErrorCode } from './error-codes.ts';
import type { AudioCodec, Mode, SampleRateHz } from './constants.ts';

export type { ErrorCode };

export interface InputFormat {
  codec: AudioCodec;
  /** PCM16: the rate of the samples sent. Opus: the rate the caller encoded at (informational). */
  sampleRateHz: SampleRateHz;
}

export interface OutputFormatRequest {
  codec: AudioCodec;
  /** PCM16: the rate of the samples received. Opus: the rate the server encodes at (decode at any rate). Default 16000. */
  sampleRateHz?: SampleRateHz;
}

export interface OutputFormat {
  codec: AudioCodec;
  sampleRateHz: SampleRateHz;
  /** Audio per binary frame. */
  frameMs: number;
}

// ---- client → server ----

export interface SessionStart {
  type: 'session.start';
  version: number;
  mode: Mode;
  input: InputFormat;
  output: OutputFormatRequest;
  /** true: the server detects the end of speech; false: the client sends input.commit. Server default when absent. */
  vad?: boolean;
}
/** A text turn; mode defaults to the session's. */
export interface InputText {
  type: 'input.text';
  text: string;
  mode?: Mode;
}
/** The caller's speech ended (explicit endpointing). */
export interface InputCommit {
  type: 'input.commit';
}
/** Stop the answer in progress and drop its queued audio. */
export interface ResponseCancel {
  type: 'response.cancel';
}
export interface SessionUpdate {
  type: 'session.update';
  mode: Mode;
}
export interface SessionEnd {
  type: 'session.end';
}

export type ClientMessage = SessionStart | InputText | InputCommit | ResponseCancel | SessionUpdate | SessionEnd;
export type ClientMessageType = ClientMessage['type'];

// ---- server → client ----

export interface SessionLimits {
  maxMessageBytes: number;
  maxFramesPerSecond: number;
  sessionTimeoutMs: number;
  idleTimeoutMs: number;
  /** How far ahead of real time output audio is sent. */
  outputLeadMs: number;
}

export interface SessionStarted {
  type: 'session.started';
  sessionId: string;
  version: number;
  model: string;
  mode: Mode;
  vad: boolean;
  input: InputFormat;
  output: OutputFormat;
  limits: SessionLimits;
}

/** Per-turn figures, ms measured from the end of the caller's input on the server clock. */
export interface TurnTimings {
  endOfInputMs: number;
  firstTranscriptMs?: number;
  firstAnswerMs?: number;
  /** End of input → first audio chunk out of the model (time to first audio). */
  ttfaMs?: number;
  /** End of input → first audio chunk vocoded (TTFA's floor: audio waits from here until its playout cannot run dry). */
  firstAudioReadyMs?: number;
  prefillTailMs?: number;
  /** Mean ms between the answer's generated tokens after its first: the LLM's pace for this turn at the server's load. */
  decodeMsPerToken?: number;
  /** Spoken answers: chunks of audio sent before their full size because playback would otherwise have run dry. */
  earlyChunks?: number;
  /** Spoken answers: the answer units' tokens (decode steps); fewer than outputUnits where the model writes answer-unit pieces. */
  outputUnitTokens?: number;
  totalMs: number;
  inputUnits: number;
  outputTextTokens: number;
  outputUnits: number;
  audioMs: number;
}

export interface SpeechStarted {
  type: 'speech.started';
  turnId: string;
}
export interface SpeechStopped {
  type: 'speech.stopped';
  turnId: string;
}
export interface TranscriptDelta {
  type: 'transcript.delta';
  turnId: string;
  text: string;
}
/** The whole transcript of the caller's turn. */
export interface TranscriptFinal {
  type: 'transcript.final';
  turnId: string;
  text: string;
}
export interface AnswerDelta {
  type: 'answer.delta';
  turnId: string;
  text: string;
}
/** The whole answer text of the turn. */
export interface AnswerFinal {
  type: 'answer.final';
  turnId: string;
  text: string;
}
/** The binary audio frames that follow, up to audio.end, belong to this turn. */
export interface AudioStart {
  type: 'audio.start';
  turnId: string;
  codec: AudioCodec;
  sampleRateHz: SampleRateHz;
  frameMs: number;
}
export interface AudioEnd {
  type: 'audio.end';
  turnId: string;
}
/** Sent after the turn's last audio frame. */
export interface TurnDone {
  type: 'turn.done';
  turnId: string;
  mode: Mode;
  timings: TurnTimings;
}
/** The turn's answer was cut (barge-in or response.cancel); no more audio of it follows. */
export interface Interrupted {
  type: 'interrupted';
  turnId: string;
}
export interface ErrorEvent {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** true: the server closes the connection right after this event. */
  fatal: boolean;
  turnId?: string;
  /** Present when trying again later may succeed (SERVER_FULL, NOT_READY, SHUTTING_DOWN). */
  retryAfterMs?: number;
}

export type ServerMessage =
  | SessionStarted
  | SpeechStarted
  | SpeechStopped
  | TranscriptDelta
  | TranscriptFinal
  | AnswerDelta
  | AnswerFinal
  | AudioStart
  | AudioEnd
  | TurnDone
  | Interrupted
  | ErrorEvent;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
