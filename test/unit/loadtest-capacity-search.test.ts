// The capacity search of bench/capacity.ts on scripted step outcomes.
import { describe, expect, it } from 'vitest';
import { searchCapacity, type StepResult } from '../../bench/capacity-steps.ts';

function step(callers: number, pass: boolean, holdsLatency = pass): StepResult {
  return { callers, pass, holdsLatency, why: [], summary: {} as StepResult['summary'], engineTtfaP95Ms: 0, floorP95Ms: 0, outsideEngineP95Ms: 0, prefillTailP95Ms: 0, firstAnswerP95Ms: 0, decodeMsPerTokenP50: 0, decodeMsPerTokenP95: 0, earlyChunks: 0 };
}

const ample = { deadlineMs: Infinity, stepMs: 0 };

describe('capacity search', () => {
  it('is the last step that held before the first that did not', async () => {
    const outcome: Record<number, boolean> = { 1: true, 2: true, 4: true, 8: false, 16: true };
    const r = await searchCapacity([1, 2, 4, 8, 16], async (c) => step(c, outcome[c]!), ample);
    expect(r).toMatchObject({ capacity: 4, latencyCapacity: 4, stoppedBy: 'failure' });
    expect(r.steps.map((s) => s.callers)).toEqual([1, 2, 4, 8]);
  });

  it('keeps stepping on latency when only underruns fail, and reports both capacities', async () => {
    const r = await searchCapacity([1, 2, 4, 8], async (c) => step(c, c < 2, c < 8), ample);
    expect(r).toMatchObject({ capacity: 1, latencyCapacity: 4, stoppedBy: 'failure' });
  });

  it('is 0 when the first step fails, and stops before the budget runs out', async () => {
    expect(await searchCapacity([1, 2], async (c) => step(c, false), ample)).toMatchObject({ capacity: 0, latencyCapacity: 0 });
    const r = await searchCapacity([1, 2, 4], async (c) => step(c, true), { deadlineMs: performance.now() + 50, stepMs: 100 });
    expect(r).toMatchObject({ steps: [], stoppedBy: 'budget' });
  });
});
