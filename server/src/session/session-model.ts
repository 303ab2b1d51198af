// What a session needs from the loaded model: shared runtimes (no caller state) and the token-level
// contract of the manifest. engine/model.ts builds it from the real runtimes; unit tests build fakes.
import type { Mode } from '../runtimes/manifest.ts';
import type { ComParser } from '../pipeline/com-parser.ts';
import type { VoiceActivityModel } from '../runtimes/vad.ts';
import type { ForecastSlack } from './forecast-slack.ts';
import type { UnitStream } from '../runtimes/unit-encoder.ts';

export type { UnitStream };

export interface AudioStream {
  /** Units in; audio of every chunk that became complete. Calls must not overlap. `deadlineMs`: when it is due. */
  push(units: readonly number[], deadlineMs?: number): Promise<Float32Array[]>;
  /** Units in and not vocoded yet. */
  readonly pendingUnits: number;
  /** Vocodes the pending units now, ahead of their chunk's full size; empty when none of their audio could go yet. */
  cut(deadlineMs?: number): Promise<Float32Array>;
  /** The rest of the answer's audio. */
  flush(deadlineMs?: number): Promise<Float32Array>;
  /** The coming chunks: units each still waits for (cumulative) and its vocoder call's size. */
  nextChunks(count: number): { missingUnits: number; units: number; callUnits: number }[];
  /** Samples of audio per unit vocoded so far in this stream (undefined before its first call). */
  samplesPerUnit(): number | undefined;
  /** Learned: until a vocoder call of `units` submitted now would be done, ms. */
  readyInMs(units: number, deadlineMs?: number): number;
}

export interface PromptTokens {
  /** Tokens before {input}: prefilled when the turn starts. */
  before: number[];
  /** Tokens after {input}: evaluated with the first generated token. */
  after: number[];
}

export interface SessionModel {
  readonly name: string;
  readonly sampleRateHz: number;
  readonly hopSamples: number;
  readonly mergeRepeats: boolean;
  readonly vocoderSampleRateHz: number;
  readonly endOfAnswerId: number;
  /** Free room kept for an answer when prefilling a prompt. */
  readonly answerReserveTokens: number;
  /** Earlier turns kept before a new question; undefined: as many as the context holds. */
  readonly earlierTurns: number | undefined;
  /** Undefined when voice activity detection is off engine-wide. */
  readonly vad: VoiceActivityModel | undefined;
  openUnitStream(): UnitStream;
  openAudioStream(): AudioStream;
  /** Learned: ms per generated token for one sequence at the current load. */
  tokenMsNow(): number;
  /** Measured: ms one prefill token adds to the LLM batch it shares with decode steps. */
  prefillMsPerToken(): number;
  /** Learned: how late this machine's chunk forecasts run (shared by every answer). */
  readonly forecastSlack: ForecastSlack;
  prompt(mode: Mode): PromptTokens;
  unitTokens(units: readonly number[]): number[];
  textTokens(text: string): number[];
  tokenText(id: number): string;
  newParser(mode: Mode): ComParser;
  /** Upper bound on the tokens of one answer in this mode (sum of its parts' maxTokens). */
  maxAnswerTokens(mode: Mode): number;
  /** Upper bound on the spoken units of one answer in this mode (an answer-unit piece is several). */
  maxAnswerUnits(mode: Mode): number;
}
