// The physical estimate beside the measured capacity: CPU ms each stage costs per second of answer audio (from the
// micro-benchmarks of this run and the shape of the shipped questions' real turns), how many answers the machine's
// cores could stream at once from those figures alone, and how many callers that is in the load test's call cycle
// (speak, wait, listen, think). The measured capacity against this estimate shows how much the gateway leaves on
// the table: scheduling, batching, threads waiting on each other.
import type { TurnRecord } from '../server/src/loadtest/records.ts';
import type { Utterance } from '../server/src/loadtest/utterances.ts';
import type { BatchingFigures } from './batching.ts';
import type { OnnxCosts } from './capacity-onnx.ts';
import type { MediaPathFigures } from './media-path.ts';

/** CPU ms per second of answer audio, by stage. */
export interface StageCosts {
  unitEncoder: number;
  vad: number;
  prefill: number;
  decode: number;
  vocoder: number;
  opus: number;
}

export interface PhysicalEstimate {
  msPerAnswerSecond: StageCosts;
  totalMsPerAnswerSecond: number;
  /** Decode at one sequence's pace instead of batched: what an unbatched engine would pay. */
  decodeUnbatchedMsPerAnswerSecond: number;
  cores: number;
  /** Answers the cores could stream at once, every stage counted. */
  answersAtOnce: number;
  /** Share of a load-test call's time its answer is playing. */
  answerShare: number;
  /** Callers in the load test's cycle the cores could hold. */
  callers: number;
  /** Per question, as the calibration turns gave them: seconds of speech in, of answer out, tokens. */
  perTurn: { speechS: number; answerS: number; promptTokens: number; generatedTokens: number };
}

export interface PhysicalInputs {
  onnx: OnnxCosts;
  batching: BatchingFigures;
  media: MediaPathFigures;
  /** Answered turns (the calibration's), with the engine's timings. */
  turns: readonly TurnRecord[];
  utterances: readonly Utterance[];
  cores: number;
  /** The load test's pause between questions, and the server's output lead, ms. */
  thinkMs: number;
  leadMs: number;
  /** Whether the load test's calls run the server's VAD (the load tester's callers commit their turns: no). */
  serverVad: boolean;
}

/** Template tokens around a spoken question (the manifest's prompt: [Human]:<sosp> … <eosp><2s><eoh>[Assistant]:). */
const PROMPT_TOKENS = 7;
/** Markers an answer generates besides its text and units ([tq] [ta] [ua] separators, <eoa>). */
const ANSWER_MARKER_TOKENS = 6;

const r1 = (x: number) => Math.round(x * 10) / 10;

export function physicalEstimate(p: PhysicalInputs): PhysicalEstimate | null {
  const byId = new Map(p.utterances.map((u) => [u.id, u]));
  let speechS = 0;
  let answerS = 0;
  let promptTokens = 0;
  let generatedTokens = 0;
  let cycleS = 0;
  let n = 0;
  for (const t of p.turns) {
    const u = byId.get(t.utteranceId);
    if (t.outcome !== 'done' || t.server === null || u === undefined || !(t.server.audioMs > 0)) continue;
    n++;
    const s = u.durationMs / 1000;
    const a = t.server.audioMs / 1000;
    speechS += s;
    answerS += a;
    promptTokens += t.server.inputUnits + PROMPT_TOKENS;
    generatedTokens += t.server.outputTextTokens + (t.server.outputUnitTokens ?? t.server.outputUnits) + ANSWER_MARKER_TOKENS;
    cycleS += s + (t.ttfaMs ?? 0) / 1000 + a + (p.leadMs + p.thinkMs) / 1000;
  }
  if (n === 0 || answerS === 0) return null;
  const perAnswerS = (total: number) => total / answerS;
  const batchedTokensPerS = Math.max(p.batching.loopsNTokensPerS, p.batching.lockstepNTokensPerS, p.batching.loops1TokensPerS);
  const costs: StageCosts = {
    unitEncoder: r1(perAnswerS(p.onnx.unitMsPerSpeechSecond * speechS)),
    // Charged only where the calls run it: a cost the step never pays would inflate the estimate's denominator.
    vad: p.serverVad ? r1(perAnswerS((p.onnx.vadMsPerAudioSecond ?? 0) * speechS)) : 0,
    prefill: r1(perAnswerS((promptTokens * p.batching.prefillUsPerToken) / 1000)),
    decode: r1(perAnswerS((generatedTokens * 1000) / batchedTokensPerS)),
    vocoder: r1(p.onnx.vocoderMsPerAnswerSecond),
    // The media path's figure is per second of call audio, in and out: charged once per second of answer.
    opus: r1(p.media.gatewayUsPerCallSecond / 1000),
  };
  const total = Object.values(costs).reduce((a, b) => a + b, 0);
  const answersAtOnce = (p.cores * 1000) / total;
  const answerShare = answerS / cycleS;
  return {
    msPerAnswerSecond: costs,
    totalMsPerAnswerSecond: r1(total),
    decodeUnbatchedMsPerAnswerSecond: r1(perAnswerS((generatedTokens * 1000) / p.batching.loops1TokensPerS)),
    cores: p.cores,
    answersAtOnce: r1(answersAtOnce),
    answerShare: Math.round(answerShare * 100) / 100,
    callers: Math.floor(answersAtOnce / answerShare),
    perTurn: { speechS: r1(speechS / n), answerS: r1(answerS / n), promptTokens: Math.round(promptTokens / n), generatedTokens: Math.round(generatedTokens / n) },
  };
}

/** What the gateway process spent per second of answer it delivered during a step, ms (from its CPU share). */
export function measuredMsPerAnswerSecond(cpuMeanPercent: number, wallMs: number, turns: readonly TurnRecord[]): number | null {
  const answerS = turns.reduce((s, t) => s + (t.outcome === 'done' ? t.playback.audioMs / 1000 : 0), 0);
  if (!(answerS > 0) || !(cpuMeanPercent >= 0)) return null;
  return r1(((cpuMeanPercent / 100) * wallMs) / answerS);
}

/**
 * The same estimate from what a step measured instead of the micro-benchmarks: the cores the load tester (in this
 * process, on the same machine) left to the gateway, at the gateway's measured CPU ms per second of answer. It says
 * which side of the gap to look at: if it is near the measured capacity, the gateway's cost per answer (overheads the
 * stage figures leave out) and the load tester's share are the gap, not scheduling.
 */
export function callersAtMeasuredCost(p: { cores: number; loadTesterCpuPercent: number; gatewayMsPerAnswerSecond: number; answerShare: number }): number | null {
  const coresLeft = p.cores - p.loadTesterCpuPercent / 100;
  if (!(p.gatewayMsPerAnswerSecond > 0) || !(p.answerShare > 0) || !(coresLeft > 0)) return null;
  return Math.floor((coresLeft * 1000) / p.gatewayMsPerAnswerSecond / p.answerShare);
}
