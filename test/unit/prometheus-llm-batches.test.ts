// The LLM batch counters on /metrics read the engine's cumulative totals at each scrape (a fake engine's totals
// here; the real runtime's are read by test/integration/lm-batch-invariance.test.ts).
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../server/src/http/prometheus.ts';
import { emptyBatchTotals, type LlmBatchTotals } from '../../server/src/runtimes/lm-sample-gate.ts';

describe('voxgate_llm_batch_* counters', () => {
  it('follow the engine totals, in seconds, and read zero before the engine reports any', async () => {
    let totals: LlmBatchTotals | null = null;
    const metrics = new PrometheusMetrics(() => undefined, { llmSequencesInUse: () => 0, vocoderQueueDepth: () => 0, llmBatches: () => totals });
    const value = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;
    expect(await value('voxgate_llm_batches_total')).toBe(0);
    totals = { ...emptyBatchTotals(), batches: 10, samplings: 25, decodeMs: 40, samplingMs: 12 };
    expect(await value('voxgate_llm_batches_total')).toBe(10);
    expect(await value('voxgate_llm_tokens_sampled_total')).toBe(25);
    expect(await value('voxgate_llm_batch_decode_seconds_total')).toBeCloseTo(0.04, 9);
    totals = { batches: 30, samplings: 70, decodeMs: 130, samplingMs: 50 };
    expect(await value('voxgate_llm_batches_total')).toBe(30);
    expect(await value('voxgate_llm_batch_sampling_seconds_total')).toBeCloseTo(0.05, 9);
    expect(await metrics.text()).toContain('voxgate_llm_batch_decode_seconds_total 0.13');
  });
});
