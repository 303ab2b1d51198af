// The capacity search: run the load at growing caller counts; a step holds when p95 TTFA is within the target,
// no answer audio underran, every answer was right and nothing failed. The capacity is the largest step that
// held before the first that did not. Steps that would overrun the time budget are not started.
import { percentile, round1 } from '../server/src/loadtest/stats.ts';
import type { LoadResult } from '../server/src/loadtest/run.ts';
import type { LoadSummary } from '../server/src/loadtest/summary.ts';

export interface StepResult {
  callers: number;
  pass: boolean;
  /** Why the step did not hold (empty when it did). */
  why: string[];
  summary: LoadSummary;
  /** The engine's own TTFA (end of input → first audio chunk out of the model), p95. */
  engineTtfaP95Ms: number;
  /** Client TTFA minus the engine's, p95: the gateway, pacing and the wire. */
  outsideEngineP95Ms: number;
  /** End of input → first generated token (the prompt tail's prefill), p95. */
  prefillTailP95Ms: number;
  /** End of input → first answer text, p95. */
  firstAnswerP95Ms: number;
}

export function judgeStep(callers: number, result: LoadResult, summary: LoadSummary, targetTtfaMs: number): StepResult {
  const why: string[] = [];
  if (!(summary.p95TtfaMs <= targetTtfaMs)) why.push(`p95 TTFA ${summary.p95TtfaMs} ms > ${targetTtfaMs} ms`);
  if (summary.underruns > 0) why.push(`${summary.underruns} underruns`);
  if (summary.correct < summary.judged) why.push(`${summary.judged - summary.correct} of ${summary.judged} answers wrong`);
  if (summary.errors > 0) why.push(`${summary.errors} errors (${Object.entries(summary.errorsByCode).map(([c, n]) => `${c} ×${n}`).join(', ')})`);
  if (summary.judged === 0) why.push('no answered turn');
  const server = result.turns.flatMap((t) => (t.server === null ? [] : [t.server]));
  const outside = result.turns.flatMap((t) => (t.ttfaMs === null || t.server?.ttfaMs === undefined ? [] : [t.ttfaMs - t.server.ttfaMs]));
  const p95 = (xs: (number | undefined)[]) => round1(percentile(xs.filter((x): x is number => x !== undefined), 95));
  return {
    callers,
    pass: why.length === 0,
    why,
    summary,
    engineTtfaP95Ms: p95(server.map((t) => t.ttfaMs)),
    outsideEngineP95Ms: p95(outside),
    prefillTailP95Ms: p95(server.map((t) => t.prefillTailMs)),
    firstAnswerP95Ms: p95(server.map((t) => t.firstAnswerMs)),
  };
}

export interface SearchBudget {
  /** performance.now() by which the search must be over. */
  deadlineMs: number;
  /** How long one step is expected to take, to decide whether another fits. */
  stepMs: number;
}

/** Steps up until one fails (or time runs out); capacity = the last step that held, 0 if the first failed. */
export async function searchCapacity(steps: readonly number[], run: (callers: number) => Promise<StepResult>, budget: SearchBudget, onStep?: (s: StepResult) => void): Promise<{ capacity: number; steps: StepResult[]; stoppedBy: 'failure' | 'budget' | 'steps' }> {
  const done: StepResult[] = [];
  let capacity = 0;
  for (const callers of steps) {
    if (performance.now() + budget.stepMs > budget.deadlineMs) return { capacity, steps: done, stoppedBy: 'budget' };
    const r = await run(callers);
    done.push(r);
    onStep?.(r);
    if (!r.pass) return { capacity, steps: done, stoppedBy: 'failure' };
    capacity = callers;
  }
  return { capacity, steps: done, stoppedBy: 'steps' };
}
