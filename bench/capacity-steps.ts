// The capacity search: run the load at growing caller counts. A step holds when p95 TTFA is within the target,
// no answer audio underran, every answer was right and nothing failed; it holds on latency when all but the
// underrun condition are met. The search goes on while steps hold on latency: the capacity is the largest step
// before the first that did not hold, the latency-bound capacity the largest before the first that did not hold
// on latency. Steps that would overrun the time budget are not started.
import { percentile, round1 } from '../server/src/loadtest/stats.ts';
import type { LoadResult } from '../server/src/loadtest/run.ts';
import type { LoadSummary } from '../server/src/loadtest/summary.ts';

export interface StepResult {
  callers: number;
  pass: boolean;
  /** p95 TTFA, answers and errors hold; underruns aside. */
  holdsLatency: boolean;
  /** Why the step did not hold (empty when it did). */
  why: string[];
  summary: LoadSummary;
  /** The engine's own TTFA (end of input → first audio chunk out of the model), p95. */
  engineTtfaP95Ms: number;
  /** Client TTFA minus the engine's, p95: the gateway, pacing and the wire. */
  outsideEngineP95Ms: number;
  /** End of input → first audio chunk vocoded (TTFA's floor: the engine's TTFA less the playout-start wait), p95. */
  floorP95Ms: number;
  /** End of input → first generated token (the prompt tail's prefill), p95. */
  prefillTailP95Ms: number;
  /** End of input → first answer text, p95. */
  firstAnswerP95Ms: number;
  /** Each turn's mean ms per generated token (turn.done's decodeMsPerToken): the LLM's pace at this load, p50 and p95. */
  decodeMsPerTokenP50: number;
  decodeMsPerTokenP95: number;
  /** Chunks the engine vocoded early because a caller's audio would have run dry (turn.done's earlyChunks), in all. */
  earlyChunks: number;
}

export function judgeStep(callers: number, result: LoadResult, summary: LoadSummary, targetTtfaMs: number): StepResult {
  const why: string[] = [];
  if (!(summary.p95TtfaMs <= targetTtfaMs)) why.push(`p95 TTFA ${summary.p95TtfaMs} ms > ${targetTtfaMs} ms`);
  if (summary.correct < summary.judged) why.push(`${summary.judged - summary.correct} of ${summary.judged} answers wrong`);
  if (summary.errors > 0) why.push(`${summary.errors} errors (${Object.entries(summary.errorsByCode).map(([c, n]) => `${c} ×${n}`).join(', ')})`);
  if (summary.judged === 0) why.push('no answered turn');
  const holdsLatency = why.length === 0;
  if (summary.underruns > 0) why.push(`${summary.underruns} underruns (${summary.underrunMs} ms of silence heard)`);
  const server = result.turns.flatMap((t) => (t.server === null ? [] : [t.server]));
  const outside = result.turns.flatMap((t) => (t.ttfaMs === null || t.server?.ttfaMs === undefined ? [] : [t.ttfaMs - t.server.ttfaMs]));
  const at = (p: number) => (xs: (number | undefined)[]) => round1(percentile(xs.filter((x): x is number => x !== undefined), p));
  const p95 = at(95);
  return {
    callers,
    pass: why.length === 0,
    holdsLatency,
    why,
    summary,
    engineTtfaP95Ms: p95(server.map((t) => t.ttfaMs)),
    floorP95Ms: p95(server.map((t) => t.firstAudioReadyMs)),
    outsideEngineP95Ms: p95(outside),
    prefillTailP95Ms: p95(server.map((t) => t.prefillTailMs)),
    firstAnswerP95Ms: p95(server.map((t) => t.firstAnswerMs)),
    decodeMsPerTokenP50: at(50)(server.map((t) => t.decodeMsPerToken)),
    decodeMsPerTokenP95: p95(server.map((t) => t.decodeMsPerToken)),
    earlyChunks: server.reduce((n, t) => n + (t.earlyChunks ?? 0), 0),
  };
}

export interface SearchBudget {
  /** performance.now() by which the search must be over. */
  deadlineMs: number;
  /** How long one step is expected to take, to decide whether another fits. */
  stepMs: number;
}

export interface SearchResult {
  /** All conditions, underruns included. */
  capacity: number;
  /** Underruns aside. */
  latencyCapacity: number;
  steps: StepResult[];
  stoppedBy: 'failure' | 'budget' | 'steps';
}

/** Steps up while they hold on latency (or until time runs out); capacities are 0 when the first step fails. */
export async function searchCapacity(steps: readonly number[], run: (callers: number) => Promise<StepResult>, budget: SearchBudget, onStep?: (s: StepResult) => void): Promise<SearchResult> {
  const done: StepResult[] = [];
  let capacity = 0;
  let strictHolding = true;
  let latencyCapacity = 0;
  for (const callers of steps) {
    if (performance.now() + budget.stepMs > budget.deadlineMs) return { capacity, latencyCapacity, steps: done, stoppedBy: 'budget' };
    const r = await run(callers);
    done.push(r);
    onStep?.(r);
    strictHolding &&= r.pass;
    if (strictHolding) capacity = callers;
    if (!r.holdsLatency) return { capacity, latencyCapacity, steps: done, stoppedBy: 'failure' };
    latencyCapacity = callers;
  }
  return { capacity, latencyCapacity, steps: done, stoppedBy: 'steps' };
}
