// The operators' count of audio chunks cut early (docs/operations.md), fed from each turn's timings.
import { describe, expect, it } from 'vitest';
import type { TurnTimings } from '../../server/src/engine/types.ts';
import { PrometheusMetrics } from '../../server/src/http/prometheus.ts';

const timings = (extra: Partial<TurnTimings>): TurnTimings => ({ endOfInputMs: 0, totalMs: 900, inputUnits: 40, outputTextTokens: 20, outputUnits: 60, audioMs: 1200, ...extra });

describe('voxgate_audio_chunks_cut_early_total', () => {
  it('adds each turn\'s early chunks, and nothing for turns without any', async () => {
    const metrics = new PrometheusMetrics(() => undefined, { llmSequencesInUse: () => 0, vocoderQueueDepth: () => 0, llmBatches: () => null });
    const value = async () => (await metrics.registry.getSingleMetric('voxgate_audio_chunks_cut_early_total')?.get())?.values[0]?.value;
    expect(await value()).toBe(0);
    metrics.turnEnded('voxgate', 'done', timings({ earlyChunks: 2 }));
    metrics.turnEnded('voxgate', 'done', timings({ earlyChunks: 0 }));
    metrics.turnEnded('realtime', 'done', timings({}));
    metrics.turnEnded('voxgate', 'interrupted');
    metrics.turnEnded('telephony', 'done', timings({ earlyChunks: 3 }));
    expect(await value()).toBe(5);
  });
});
