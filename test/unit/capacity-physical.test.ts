// The capacity bench's physical estimate: stage costs per second of answer, and the callers they allow.
import { describe, expect, it } from 'vitest';
import { callersAtMeasuredCost, measuredMsPerAnswerSecond, physicalEstimate } from '../../bench/capacity-physical.ts';
import type { BatchingFigures } from '../../bench/batching.ts';
import type { OnnxCosts } from '../../bench/capacity-onnx.ts';
import type { MediaPathFigures } from '../../bench/media-path.ts';
import type { TurnRecord } from '../../server/src/loadtest/records.ts';
import type { Utterance } from '../../server/src/loadtest/utterances.ts';

const onnx = { unitMsPerSpeechSecond: 2, vadMsPerAudioSecond: 6, vocoderMsPerAnswerSecond: 80 } as OnnxCosts;
const batching = { loops1TokensPerS: 1000, loopsNTokensPerS: 2000, lockstepNTokensPerS: 1500, prefillUsPerToken: 200 } as BatchingFigures;
const media = { gatewayUsPerCallSecond: 8000 } as MediaPathFigures;
const utterance = { id: 'q', durationMs: 2000 } as Utterance;
/** A turn of 2 s of speech (64 units in), 1 s of answer out (30 text tokens + 34 units). */
const turn = {
  utteranceId: 'q',
  outcome: 'done',
  ttfaMs: 200,
  playback: { audioMs: 1000 },
  server: { audioMs: 1000, inputUnits: 64, outputTextTokens: 30, outputUnits: 34 },
} as unknown as TurnRecord;

describe('physicalEstimate', () => {
  it('charges each stage per second of answer and turns the sum into answers at once and callers', () => {
    const e = physicalEstimate({ onnx, batching, media, turns: [turn], utterances: [utterance], cores: 2, thinkMs: 500, leadMs: 150, serverVad: true });
    expect(e).not.toBeNull();
    // Speech 2 s per 1 s of answer; prompt 64 + 7 tokens at 200 µs; 30 + 34 + 6 generated at the best batched 2000 tok/s.
    expect(e!.msPerAnswerSecond).toEqual({ unitEncoder: 4, vad: 12, prefill: 14.2, decode: 35, vocoder: 80, opus: 8 });
    expect(e!.decodeUnbatchedMsPerAnswerSecond).toBe(70);
    expect(e!.totalMsPerAnswerSecond).toBe(153.2);
    expect(e!.answersAtOnce).toBeCloseTo(2000 / 153.2, 1);
    // A call: 2 s speaking + 0.2 s waiting + 1 s listening + 0.65 s lead and thinking; the answer plays 1/3.85 of it.
    expect(e!.answerShare).toBe(0.26);
    expect(e!.callers).toBe(Math.floor(2000 / 153.2 / (1 / 3.85)));
  });

  it('charges no VAD where the calls commit their own turns', () => {
    const e = physicalEstimate({ onnx, batching, media, turns: [turn], utterances: [utterance], cores: 2, thinkMs: 500, leadMs: 150, serverVad: false });
    expect(e!.msPerAnswerSecond.vad).toBe(0);
    expect(e!.totalMsPerAnswerSecond).toBe(141.2);
  });

  it('has no estimate without an answered turn', () => {
    expect(physicalEstimate({ onnx, batching, media, turns: [], utterances: [utterance], cores: 2, thinkMs: 500, leadMs: 150, serverVad: true })).toBeNull();
  });

  it('measures the gateway\'s CPU ms per second of answer from its CPU share over a step', () => {
    // 50 % of a core for 10 s while 5 s of answers played: 1 s of CPU per 5 s of answer.
    expect(measuredMsPerAnswerSecond(50, 10_000, Array.from({ length: 5 }, () => turn))).toBe(1000);
    expect(measuredMsPerAnswerSecond(50, 10_000, [])).toBeNull();
  });

  it('estimates callers from a step\'s measured cost and the cores the load tester left', () => {
    // 2 cores less 0.5 for the load tester, 100 ms per s of answer: 15 answers at once; answers play a quarter.
    expect(callersAtMeasuredCost({ cores: 2, loadTesterCpuPercent: 50, gatewayMsPerAnswerSecond: 100, answerShare: 0.25 })).toBe(60);
    expect(callersAtMeasuredCost({ cores: 2, loadTesterCpuPercent: 200, gatewayMsPerAnswerSecond: 100, answerShare: 0.25 })).toBeNull();
    expect(callersAtMeasuredCost({ cores: 2, loadTesterCpuPercent: 50, gatewayMsPerAnswerSecond: 0, answerShare: 0.25 })).toBeNull();
  });
});
