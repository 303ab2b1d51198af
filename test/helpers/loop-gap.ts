// How long a call holds the event loop: the longest gap between 1 ms ticks while it runs, against the call's own
// duration (a busy machine stretches both alike, so their ratio holds). Used by the worker-thread tests, which
// hold a model's runs in a worker to leave the loop free where inline runs block it.

/** Longest gap between 1 ms ticks while `run` runs (plus a few ms, so a tick after a block is counted), and its duration. */
export async function loopGap(run: () => Promise<unknown>): Promise<{ maxGapMs: number; callMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await run();
  const callMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 10));
  clearInterval(tick);
  return { maxGapMs, callMs };
}

export interface GapComparison {
  /** Per round: the inline call's longest gap over its duration. */
  inlineShare: number[];
  inlineGapMs: number[];
  workerGapMs: number[];
}

/**
 * Three rounds, alternating inline and worker: other test files share the CPUs, and one descheduling of this
 * process is a gap in either arm, so callers judge on the median (`medianOf3`).
 */
export async function compareLoopGaps(inline: () => Promise<unknown>, worker: () => Promise<unknown>): Promise<GapComparison> {
  const out: GapComparison = { inlineShare: [], inlineGapMs: [], workerGapMs: [] };
  for (let round = 0; round < 3; round++) {
    const a = await loopGap(inline);
    const b = await loopGap(worker);
    out.inlineShare.push(a.maxGapMs / a.callMs);
    out.inlineGapMs.push(a.maxGapMs);
    out.workerGapMs.push(b.maxGapMs);
  }
  return out;
}

export function medianOf3(xs: readonly number[]): number {
  return [...xs].sort((x, y) => x - y)[1] ?? Number.NaN;
}
