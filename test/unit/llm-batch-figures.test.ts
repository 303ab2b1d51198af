// The load tester's LLM batch figures from the gateway's /metrics.json samples (made up here; the real gateway's
// are read by test/integration/loadtest-short.test.ts).
import { describe, expect, it } from 'vitest';
import type { ServerSample } from '../../server/src/loadtest/records.ts';
import { difference } from '../../server/src/loadtest/server-metrics.ts';
import { llmBatchesInWords, llmBatchFigures } from '../../server/src/loadtest/summary.ts';

const raw = (uptimeMs: number, llmBatches: { batches: number; samplings: number; decodeMs: number; samplingMs: number } | null) => ({
  timeMs: uptimeMs,
  uptimeMs,
  cpuUserUs: 0,
  cpuSystemUs: 0,
  rssBytes: 0,
  heapUsedBytes: 0,
  eventLoopActiveMs: 0,
  eventLoopIdleMs: 0,
  eventLoopDelay: { p99Ms: 0, maxMs: 0 },
  sessions: 0,
  llmBatches,
});

describe('LLM batch figures', () => {
  it('differences the cumulative totals between two samples, and leaves them out where either lacks them', () => {
    const a = raw(1000, { batches: 10, samplings: 20, decodeMs: 30, samplingMs: 5 });
    const b = raw(2000, { batches: 110, samplings: 320, decodeMs: 330, samplingMs: 105 });
    expect(difference(a, b, 2000).llmBatches).toEqual({ batches: 100, samplings: 300, decodeMs: 300, samplingMs: 100 });
    expect(difference(raw(1000, null), b, 2000).llmBatches).toBeUndefined();
  });

  it('gives per-batch means and batches per second over the samples that carry them', () => {
    const base: Omit<ServerSample, 'llmBatches'> = { atMs: 0, cpuPercent: 0, rssMb: 0, heapMb: 0, sessions: 0, eventLoopP99Ms: 0, eventLoopMaxMs: 0, eventLoopUtilization: 0 };
    const samples: ServerSample[] = [
      { ...base, llmBatches: { batches: 100, samplings: 300, decodeMs: 300, samplingMs: 100 } },
      base,
      { ...base, llmBatches: { batches: 300, samplings: 500, decodeMs: 900, samplingMs: 300 } },
    ];
    const f = llmBatchFigures(samples, 4000);
    expect(f).toEqual({ batchesPerS: 100, tokensPerBatch: 2, decodeMsPerBatch: 3, samplingMsPerBatch: 1 });
    expect(llmBatchesInWords(f)).toBe('LLM 100 batches/s sampling 2 tokens each, decode 3 ms + sampling 1 ms a batch');
    expect(llmBatchFigures([base], 4000)).toBeNull();
    expect(llmBatchesInWords(null)).toBe('LLM batches not reported');
  });
});
