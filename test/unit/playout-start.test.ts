// The start gate of an answer's audio: the wait it computes from predictions, and how it holds and lets audio out.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayoutStart, startWaitMs } from '../../server/src/session/playout-start.ts';
import { LmPace } from '../../server/src/runtimes/lm-pace.ts';
import { VocoderCostModel } from '../../server/src/runtimes/vocoder-cost.ts';
import { ForecastSlack, MIN_SLACK_MS } from '../../server/src/session/forecast-slack.ts';

const EXACT = { factor: 1, extraMs: 0 };

describe('startWaitMs', () => {
  it('starts at once when the held audio outlasts producing every coming chunk', () => {
    expect(startWaitMs(200, [{ readyInMs: 150, audioMs: 600 }, { readyInMs: 400, audioMs: 1200 }], EXACT)).toBe(0);
  });

  it('waits for the deficit of the tightest coming chunk', () => {
    // 100 ms held; chunk 1 in 180 ms (deficit 80); chunk 2 in 500 ms, covered by 100 + 300 (deficit 100).
    expect(startWaitMs(100, [{ readyInMs: 180, audioMs: 300 }, { readyInMs: 500, audioMs: 900 }], EXACT)).toBe(100);
  });

  it('scales predictions by the margin before trusting them', () => {
    expect(startWaitMs(100, [{ readyInMs: 100, audioMs: 300 }], { factor: 1.5, extraMs: 10 })).toBe(60);
  });
});

describe('PlayoutStart', () => {
  let nowMs = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    nowMs = 0;
  });
  afterEach(() => vi.useRealTimers());

  function gate() {
    const out: number[] = [];
    const start = new PlayoutStart({ sampleRateHz: 1000, now: () => nowMs, emit: (pcm) => out.push(pcm.length), margin: EXACT });
    return { start, out };
  }

  it('holds the first audio for the predicted deficit, then lets it and later audio through in order', () => {
    const { start, out } = gate();
    start.add(new Float32Array(100)); // 100 ms at 1 kHz
    start.settle([{ readyInMs: 160, audioMs: 400 }]);
    expect(out).toEqual([]);
    nowMs = 59;
    vi.advanceTimersByTime(59);
    expect(start.started).toBe(false);
    nowMs = 60;
    vi.advanceTimersByTime(1);
    expect(out).toEqual([100]);
    expect(start.started).toBe(true);
    expect(start.heldForMs).toBe(60);
    start.add(new Float32Array(400));
    expect(out).toEqual([100, 400]);
  });

  it('starts as soon as a new chunk makes the buffer cover what follows', () => {
    const { start, out } = gate();
    start.add(new Float32Array(50));
    start.settle([{ readyInMs: 300, audioMs: 400 }]);
    nowMs = 100;
    start.add(new Float32Array(400));
    start.settle([{ readyInMs: 200, audioMs: 800 }]);
    expect(out).toEqual([50, 400]);
    expect(start.heldForMs).toBe(100);
  });

  it('lets everything out when the answer has no more audio coming', () => {
    const { start, out } = gate();
    start.add(new Float32Array(30));
    start.settle([{ readyInMs: 1000, audioMs: 10 }]);
    start.finish();
    expect(out).toEqual([30]);
  });

  it('drops what it holds when the answer is cut, and lets nothing out after', () => {
    const { start, out } = gate();
    start.add(new Float32Array(30));
    start.settle([{ readyInMs: 1000, audioMs: 10 }]);
    start.cancel();
    vi.advanceTimersByTime(2000);
    start.add(new Float32Array(30));
    start.finish();
    expect(out).toEqual([]);
  });
});

describe('learned production costs', () => {
  it('LmPace: seeded for one sequence, prudent for unseen loads, learned where tokens were seen', () => {
    const pace = new LmPace(1);
    pace.seed(2);
    expect(pace.msPerTokenAt(1)).toBe(2);
    expect(pace.msPerTokenAt(4)).toBe(8); // no batching gain assumed until measured
    for (let i = 0; i < 200; i++) pace.observe(4, 3);
    expect(pace.msPerTokenAt(4)).toBeCloseTo(3, 1);
    expect(pace.msPerTokenAt(3)).toBeCloseTo(3, 1); // 3 and 4 share a bucket
    expect(pace.msPerTokenAt(8)).toBeCloseTo(6, 1);
    pace.observe(1, 60_000); // a paused process, not the model's pace
    expect(pace.msPerTokenAt(1)).toBe(2);
  });

  it('VocoderCostModel: a fixed and a per-unit part from two seed calls, the per-unit part following observed calls', () => {
    const cost = new VocoderCostModel({ smallUnits: 10, smallMs: 15, largeUnits: 50, largeMs: 35 });
    expect(cost.runMs(10)).toBeCloseTo(15);
    expect(cost.runMs(50)).toBeCloseTo(35);
    for (let i = 0; i < 50; i++) cost.observe(50, 60); // the machine got slower
    expect(cost.runMs(50)).toBeCloseTo(60, 0);
    expect(cost.observations).toBe(50);
  });

  it('ForecastSlack: the floor while forecasts hold, more when chunks come late and spread', () => {
    const slack = new ForecastSlack();
    expect(slack.slackMs()).toBe(MIN_SLACK_MS);
    for (let i = 0; i < 50; i++) slack.observe(-30); // forecasts prudent: chunks early
    expect(slack.slackMs()).toBe(MIN_SLACK_MS);
    for (let i = 0; i < 100; i++) slack.observe(i % 2 === 0 ? 40 : 80); // a busy machine: 60 ms late, give or take 20
    expect(slack.slackMs()).toBeGreaterThan(80); // the mean and one and a half deviations: 90
    expect(slack.slackMs()).toBeLessThan(100);
    expect(slack.observations).toBe(150);
  });
});
