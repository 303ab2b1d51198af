import { startLagProbe } from '../../bench/loop-lag.ts';

// How long a call holds the event loop: the longest gap between 1 ms ticks while it runs, against the call's own
// duration (a busy machine stretches both alike, so their ratio holds). Used by the worker-thread tests, which
// hold a model's runs in a worker to leave the loop free where inline runs block it.

const TICK_MS = 1;

/**
 * Longest gap between 1 ms ticks while `run` runs (plus a few ms, so a tick after a block is counted), and its
 * duration. A gap is a tick's lateness plus the tick itself, so this reads the benches' lag probe.
 */
export async function loopGap(run: () => Promise<unknown>): Promise<{ maxGapMs: number; callMs: number }> {
  const probe = startLagProbe(TICK_MS);
  const t0 = performance.now();
  await run();
  const callMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 10));
  const lags = probe.stop();
  return { maxGapMs: Math.max(0, ...lags) + TICK_MS, callMs };
}

/**
 * Event-loop turns completed while `run` is pending (a setImmediate chain). A call that holds the thread for its
 * whole run lets none or one through; a call waiting on a worker lets hundreds through, however busy the machine
 * (a turn is microseconds, so descheduling this process shortens the count, it does not zero it).
 */
export async function loopTurnsDuring(run: () => Promise<unknown>): Promise<number> {
  let pending = true;
  let turns = 0;
  const turn = (): void => {
    if (!pending) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  await run();
  pending = false;
  return turns;
}

export interface GapComparison {
  /** Per round: the inline call's longest gap over its duration. */
  inlineShare: number[];
  inlineGapMs: number[];
  workerGapMs: number[];
  /** Per round: event-loop turns while each call was pending (loopTurnsDuring). */
  inlineTurns: number[];
  workerTurns: number[];
}

/**
 * Three rounds, alternating inline and worker: other test files share the CPUs, and one descheduling of this
 * process is a gap in either arm, so callers judge on the median (`medianOf3`).
 */
export async function compareLoopGaps(inline: () => Promise<unknown>, worker: () => Promise<unknown>): Promise<GapComparison> {
  const out: GapComparison = { inlineShare: [], inlineGapMs: [], workerGapMs: [], inlineTurns: [], workerTurns: [] };
  for (let round = 0; round < 3; round++) {
    const a = await loopGap(inline);
    const b = await loopGap(worker);
    out.inlineShare.push(a.maxGapMs / a.callMs);
    out.inlineGapMs.push(a.maxGapMs);
    out.workerGapMs.push(b.maxGapMs);
    out.inlineTurns.push(await loopTurnsDuring(inline));
    out.workerTurns.push(await loopTurnsDuring(worker));
  }
  return out;
}

export function medianOf3(xs: readonly number[]): number {
  return [...xs].sort((x, y) => x - y)[1] ?? Number.NaN;
}
