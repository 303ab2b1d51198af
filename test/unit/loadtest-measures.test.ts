import { describe, expect, it } from 'vitest';
import { judge, normalizeText } from '../../server/src/loadtest/correctness.ts';
import { PlaybackMonitor } from '../../server/src/loadtest/playback-monitor.ts';
import { isBarger } from '../../server/src/loadtest/run.ts';
import { histogram, percentile } from '../../server/src/loadtest/stats.ts';

describe('playback monitor', () => {
  it('counts nothing for frames paced at real time, even after a burst of lead', () => {
    const m = new PlaybackMonitor(30);
    for (let i = 0; i < 8; i++) m.frame(1000, 20); // the server's lead arrives at once
    for (let i = 1; i <= 50; i++) m.frame(1000 + i * 20, 20);
    expect(m.result()).toMatchObject({ frames: 58, audioMs: 1160, underruns: 0, gaps: 0 });
  });

  it('counts a long gap as a gap, and as an underrun only once what was sent ahead has played', () => {
    const covered = new PlaybackMonitor(30);
    for (let i = 0; i < 8; i++) covered.frame(0, 20); // 160 ms queued
    covered.frame(100, 20); // a 100 ms gap: late by the gap rule, still within what was queued
    expect(covered.result()).toMatchObject({ gaps: 1, underruns: 0, maxGapMs: 100 });

    const starved = new PlaybackMonitor(30);
    starved.frame(0, 20);
    starved.frame(20, 20);
    starved.frame(300, 20); // played until 40: silent for 260 ms
    expect(starved.result()).toMatchObject({ gaps: 1, underruns: 1, underrunMs: 260 });
  });

  it('tolerates timer jitter within the tolerance', () => {
    const m = new PlaybackMonitor(30);
    [0, 20, 65, 70, 80, 100].forEach((t) => m.frame(t, 20));
    expect(m.result()).toMatchObject({ gaps: 0, underruns: 0 });
  });
});

describe('answer checks', () => {
  it('compares lower-case words without punctuation', () => {
    expect(normalizeText('  Hello, I am voxgate!  How can I help you? ')).toBe('hello i am voxgate how can i help you');
    expect(judge({ transcript: "what's two plus three", answer: 'five' }, { transcript: "What's two plus three?", answer: 'Five.' })).toEqual({ transcriptOk: true, answerOk: true });
    expect(judge({ transcript: 'spell cat', answer: 'c a t' }, { transcript: 'spell cap', answer: 'c a p' })).toEqual({ transcriptOk: false, answerOk: false });
  });
});

describe('statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it('bins values, the last bin taking the rest', () => {
    const bins = histogram([5, 15, 15, 250], 10, 5);
    expect(bins.map((b) => b.count)).toEqual([1, 2, 0, 0, 1]);
    expect(bins.at(-1)?.toMs).toBe(250);
  });

  it('spreads barging callers evenly', () => {
    const bargers = Array.from({ length: 20 }, (_, i) => i).filter((i) => isBarger(i, 0.1));
    expect(bargers).toHaveLength(2);
    expect(Array.from({ length: 4 }, (_, i) => i).filter((i) => isBarger(i, 0))).toEqual([]);
    expect(Array.from({ length: 4 }, (_, i) => i).filter((i) => isBarger(i, 1))).toEqual([0, 1, 2, 3]);
  });
});
