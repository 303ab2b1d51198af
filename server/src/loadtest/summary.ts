// The run in figures: what the last stdout line (--json) and the report's headline carry.
//
// - errors: calls refused or failed before a session, plus turns that did not end as answered or as cut on
//   purpose (an error for the turn, a timeout, the connection closing);
// - correct: answered turns (not cut by a barge-in) whose transcript and answer both match the expected ones;
// - TTFA: end of the caller's audio → first answer audio frame, over every turn that got audio.
import type { ServerSample } from './records.ts';
import type { LoadResult } from './run.ts';
import { mean, percentile, round1, round2 } from './stats.ts';

export interface LoadSummary {
  calls: number;
  completedCalls: number;
  refusedCalls: number;
  failedCalls: number;
  /** Refused and failed calls, and failed turns, by error code. */
  errorsByCode: Record<string, number>;
  turns: number;
  answeredTurns: number;
  bargedInTurns: number;
  errors: number;
  /** Turns judged for correctness: answered, not cut on purpose, over a transport that carries the text. */
  judged: number;
  correct: number;
  transcriptCorrect: number;
  answerCorrect: number;
  /** Answer audio that ran dry under the listener (see playback-monitor.ts), and the silence heard. */
  underruns: number;
  underrunMs: number;
  /** Inter-frame gaps longer than a frame plus the tolerance, heard or not. */
  gaps: number;
  maxGapMs: number;
  p50TtfaMs: number;
  p95TtfaMs: number;
  p99TtfaMs: number;
  meanTtfaMs: number;
  maxTtfaMs: number;
  p50SetupMs: number;
  p95SetupMs: number;
  p95BargeInMs: number;
  framesAfterInterrupt: number;
  peakActiveCallers: number;
  serverCpuMeanPercent: number;
  serverCpuMaxPercent: number;
  serverRssMaxMb: number;
  serverEventLoopP99MaxMs: number;
  /** The gateway's LLM batches over the run (where it reports them): how many, how full, and each phase's time. */
  serverLlm: LlmBatchFigures | null;
  /** The load generator's own event-loop delay p99: should stay far below the TTFA figures. */
  clientEventLoopP99Ms: number;
  wallS: number;
}

export interface LlmBatchFigures {
  batchesPerS: number;
  /** Tokens sampled per batch (a batch of prompt pieces alone samples none). */
  tokensPerBatch: number;
  /** A batch's decode, call to result on the gateway's event loop, ms (mean). */
  decodeMsPerBatch: number;
  /** A batch's samplings, first call to last result on the event loop, ms (mean). */
  samplingMsPerBatch: number;
}

/** The LLM batch figures of the samples that carry them; null where none does (or no batch ran). */
export function llmBatchFigures(samples: readonly ServerSample[], wallMs: number): LlmBatchFigures | null {
  const each = samples.flatMap((s) => (s.llmBatches === undefined ? [] : [s.llmBatches]));
  const batches = each.reduce((n, b) => n + b.batches, 0);
  if (batches === 0 || !(wallMs > 0)) return null;
  const total = (pick: (b: (typeof each)[number]) => number) => each.reduce((n, b) => n + pick(b), 0);
  return {
    batchesPerS: round1(batches / (wallMs / 1000)),
    tokensPerBatch: round2(total((b) => b.samplings) / batches),
    decodeMsPerBatch: round2(total((b) => b.decodeMs) / batches),
    samplingMsPerBatch: round2(total((b) => b.samplingMs) / batches),
  };
}

/** The LLM batch figures in words: where a token's time goes between the decode, the samplings and the rest. */
export function llmBatchesInWords(b: LlmBatchFigures | null): string {
  if (b === null) return 'LLM batches not reported';
  return `LLM ${b.batchesPerS} batches/s sampling ${b.tokensPerBatch} tokens each, decode ${b.decodeMsPerBatch} ms + sampling ${b.samplingMsPerBatch} ms a batch`;
}

export function summarize(r: LoadResult): LoadSummary {
  const errorsByCode: Record<string, number> = {};
  const count = (code: string) => (errorsByCode[code] = (errorsByCode[code] ?? 0) + 1);
  const noSession = r.calls.filter((c) => c.setupMs === null);
  for (const c of noSession) count(c.errorCode ?? 'UNKNOWN');
  const failedTurns = r.turns.filter((t) => t.outcome !== 'done' && t.outcome !== 'interrupted');
  for (const t of failedTurns) count(t.error?.code ?? 'UNKNOWN');

  const judged = r.turns.filter((t) => t.outcome === 'done' && !t.bargedIn && t.textCarried !== false);
  const ttfa = r.turns.flatMap((t) => (t.ttfaMs === null ? [] : [t.ttfaMs]));
  const setup = r.calls.flatMap((c) => (c.setupMs === null ? [] : [c.setupMs]));
  const bargeIn = r.turns.flatMap((t) => (t.bargeInReactionMs === null ? [] : [t.bargeInReactionMs]));
  const cpu = r.server.map((s) => s.cpuPercent);
  const sum = (f: (t: LoadResult['turns'][number]) => number) => r.turns.reduce((n, t) => n + f(t), 0);
  const max = (xs: number[]) => (xs.length === 0 ? NaN : Math.max(...xs));
  return {
    calls: r.calls.length,
    completedCalls: r.calls.filter((c) => c.outcome === 'completed').length,
    refusedCalls: r.calls.filter((c) => c.outcome === 'refused').length,
    failedCalls: r.calls.filter((c) => c.outcome === 'failed').length,
    errorsByCode,
    turns: r.turns.length,
    answeredTurns: r.turns.filter((t) => t.outcome === 'done').length,
    bargedInTurns: r.turns.filter((t) => t.bargedIn).length,
    errors: noSession.length + failedTurns.length,
    judged: judged.length,
    correct: judged.filter((t) => t.transcriptOk && t.answerOk).length,
    transcriptCorrect: judged.filter((t) => t.transcriptOk).length,
    answerCorrect: judged.filter((t) => t.answerOk).length,
    underruns: sum((t) => t.playback.underruns),
    underrunMs: sum((t) => t.playback.underrunMs),
    gaps: sum((t) => t.playback.gaps),
    maxGapMs: round1(max(r.turns.map((t) => t.playback.maxGapMs)) || 0),
    p50TtfaMs: round1(percentile(ttfa, 50)),
    p95TtfaMs: round1(percentile(ttfa, 95)),
    p99TtfaMs: round1(percentile(ttfa, 99)),
    meanTtfaMs: round1(mean(ttfa)),
    maxTtfaMs: round1(max(ttfa)),
    p50SetupMs: round1(percentile(setup, 50)),
    p95SetupMs: round1(percentile(setup, 95)),
    p95BargeInMs: round1(percentile(bargeIn, 95)),
    framesAfterInterrupt: sum((t) => t.framesAfterInterrupt),
    peakActiveCallers: Math.max(0, ...r.activity.map((a) => a.activeCallers)),
    serverCpuMeanPercent: round1(mean(cpu)),
    serverCpuMaxPercent: round1(max(cpu)),
    serverRssMaxMb: round1(max(r.server.map((s) => s.rssMb))),
    serverEventLoopP99MaxMs: round1(max(r.server.map((s) => s.eventLoopP99Ms))),
    serverLlm: llmBatchFigures(r.server, r.wallMs),
    clientEventLoopP99Ms: r.clientEventLoop.p99Ms,
    wallS: round1(r.wallMs / 1000),
  };
}

/** NaN is not JSON: figures that could not be measured become null. */
export function toJsonSafe(summary: LoadSummary): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v]));
}
