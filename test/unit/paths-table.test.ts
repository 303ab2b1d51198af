// bench:paths' table and summary: the child benches' JSON per path, set side by side.
import { describe, expect, it } from 'vitest';
import { pathsSummary, pathsTable, pooledWer, type HearingFigures, type PathFigures } from '../../bench/paths-table.ts';

function hearing(over: Partial<HearingFigures>): HearingFigures {
  return { conditions: {}, typed: {}, spoken: {}, roundTripWer: 0, roundTripAnswers: 0, ...over };
}

const condition = (wordErrors: number, words: number, answersRight: number, answersAsked: number, failures: Record<string, number> = {}) => ({
  wer: wordErrors / words,
  wordErrors,
  words,
  answersRight,
  answersAsked,
  utterances: 4,
  failed: Object.values(failures).reduce((a, b) => a + b, 0),
  failures,
});

const speechgpt: PathFigures = {
  label: 'SpeechGPT path',
  modelDir: 'models/a',
  runtime: 'gguf',
  hearing: hearing({
    conditions: { clean: condition(2, 20, 2, 4), phone: condition(10, 20, 0, 4, { MODEL_OUTPUT_MALFORMED: 1 }), heldOutFliteVoice: condition(20, 20, 0, 4, { MODEL_OUTPUT_MALFORMED: 1, CONTEXT_FULL: 1 }), heldOutHumanVoices: condition(30, 10, 0, 0) },
    spoken: { arithmetic: { right: 1, asked: 4 }, next: { right: 1, asked: 4 } },
    typed: { arithmetic: { right: 2, asked: 4 }, next: { right: 4, asked: 4 } },
  }),
  ttfa: { turns: 12, failedTurns: 0, ttfaP50Ms: 100, ttfaP95Ms: 150, floorP50Ms: 50, floorP95Ms: 75, underruns: 0 },
  lm: { decodeMsPerToken: [1.2, 1.0, 1.1], prefillUsPerToken: [300, 310, 290], longestStepMs: [2, 3, 4] },
  capacity: { callers: 4, p95TtfaMs: 93.1, latencyCallers: 16, latencyP95TtfaMs: 431, stoppedBy: 'failure', firstFailure: { callers: 24, why: ['p95 TTFA 874 ms > 500 ms'] }, questions: 12, excludedQuestions: ['05-arithmetic'], steps: [] },
};
const llasm: PathFigures = {
  label: 'LLaSM path',
  modelDir: 'models/b',
  runtime: 'onnx',
  hearing: hearing({
    conditions: { clean: condition(4, 20, 1, 4), phone: condition(4, 20, 3, 4), heldOutHumanVoices: condition(15, 10, 0, 0) },
    spoken: { arithmetic: { right: 2, asked: 4 }, next: { right: 2, asked: 4 } },
    typed: { arithmetic: { right: 2, asked: 4 }, next: { right: 4, asked: 4 } },
  }),
  ttfa: { turns: 12, failedTurns: 1, ttfaP50Ms: 200, ttfaP95Ms: 300, floorP50Ms: 100, floorP95Ms: 150, underruns: 2 },
  lm: { decodeMsPerToken: [2.0, 2.4], prefillUsPerToken: [600, 620], longestStepMs: [5, 6] },
};

/** The table's row for `measure`, split into its cells. */
function rowOf(lines: string[], measure: string): string[] {
  const line = lines.find((l) => l.startsWith(`| ${measure} |`));
  expect(line, measure).toBeDefined();
  return line!.split('|').slice(1, -1).map((c) => c.trim());
}

describe('pathsTable', () => {
  const lines = pathsTable([speechgpt, llasm]);

  it('heads a markdown table with a column per path and the second over the first', () => {
    expect(lines[0]).toBe('| measure | SpeechGPT path (models/a) | LLaSM path (models/b) | LLaSM path / SpeechGPT path |');
    expect(lines[1]).toBe('| --- | --- | --- | --- |');
    for (const l of lines) expect(l.split('|').length).toBe(6);
  });

  it('gives WER per condition and pooled over the synthetic conditions only, with the ratio', () => {
    expect(rowOf(lines, 'transcript WER: phone (4)')).toEqual(['transcript WER: phone (4)', '50.0 %', '20.0 %', '0.40']);
    expect(rowOf(lines, 'transcript WER: heldOutHumanVoices (4)')).toEqual(['transcript WER: heldOutHumanVoices (4)', '300.0 %', '150.0 %', '0.50']);
    // (2 + 10 + 20) / 60 against (4 + 4) / 40: the human clips stay out of the pool.
    expect(rowOf(lines, 'transcript WER: synthetic conditions pooled')).toEqual(['transcript WER: synthetic conditions pooled', '53.3 %', '20.0 %', '0.38']);
    // A condition one path lacks keeps its row.
    expect(rowOf(lines, 'transcript WER: heldOutFliteVoice (4)')).toEqual(['transcript WER: heldOutFliteVoice (4)', '100.0 %', 'n/a', '']);
  });

  it('counts answers right per condition and in all, and leaves out conditions without questions', () => {
    expect(rowOf(lines, 'answers right (spoken): clean')).toEqual(['answers right (spoken): clean', '2/4 (50.0 %)', '1/4 (25.0 %)', '0.50']);
    expect(rowOf(lines, 'answers right (spoken): all conditions')).toEqual(['answers right (spoken): all conditions', '2/12 (16.7 %)', '4/8 (50.0 %)', '3.00']);
    expect(lines.some((l) => l.startsWith('| answers right (spoken): heldOutHumanVoices'))).toBe(false);
    expect(rowOf(lines, 'turns failed (spoken), by error code').slice(1)).toEqual(['3 (MODEL_OUTPUT_MALFORMED ×2, CONTEXT_FULL ×1)', '0', '']);
  });

  it('gives skill accuracy spoken and typed', () => {
    expect(rowOf(lines, 'skill accuracy, spoken: next')).toEqual(['skill accuracy, spoken: next', '1/4 (25.0 %)', '2/4 (50.0 %)', '2.00']);
    expect(rowOf(lines, 'skill accuracy, typed: all skills')).toEqual(['skill accuracy, typed: all skills', '6/8 (75.0 %)', '6/8 (75.0 %)', '1.00']);
  });

  it('gives TTFA and its floor, LM ms/token as median and spread, and callers held', () => {
    expect(rowOf(lines, 'TTFA p95 (ms)')).toEqual(['TTFA p95 (ms)', '150.0', '300.0', '2.00']);
    expect(rowOf(lines, 'TTFA compute floor p50 (ms)')).toEqual(['TTFA compute floor p50 (ms)', '50.0', '100.0', '2.00']);
    expect(rowOf(lines, 'TTFA turns (failed, underruns)')).toEqual(['TTFA turns (failed, underruns)', '12 (0, 0)', '12 (1, 2)', '']);
    expect(rowOf(lines, 'LM decode ms/token, 1 sequence: median (min–max)')).toEqual(['LM decode ms/token, 1 sequence: median (min–max)', '1.10 (1.00–1.20)', '2.20 (2.00–2.40)', '2.00']);
    expect(rowOf(lines, 'callers held, every condition')).toEqual(['callers held, every condition', '4 (p95 TTFA 93.1 ms)', 'n/a', '']);
    expect(rowOf(lines, 'capacity search stopped by')[1]).toBe('failure (24 callers: p95 TTFA 874 ms > 500 ms)');
    expect(rowOf(lines, 'capacity: load questions answered right alone (the steps ask these)').slice(1, 3)).toEqual(['12/13', 'n/a']);
  });

  it('shows the round trip only when it was run', () => {
    expect(lines.some((l) => l.includes('round trip'))).toBe(false);
    const withTrip = { ...speechgpt, hearing: { ...speechgpt.hearing!, roundTripWer: 1.2, roundTripAnswers: 5 } };
    expect(rowOf(pathsTable([withTrip, llasm]), 'round trip WER (answer spoken, heard back)')).toEqual(['round trip WER (answer spoken, heard back)', '120.0 % (5)', 'n/a', '']);
  });
});

describe('pathsSummary', () => {
  it('carries the settings and each path’s headline figures beside what its benches reported', () => {
    const s = pathsSummary([speechgpt, llasm], { failures: ['capacity LLaSM path: exited with 1'] }) as { failures: string[]; paths: Record<string, unknown>[] };
    expect(s.failures).toEqual(['capacity LLaSM path: exited with 1']);
    expect(s.paths[0]).toMatchObject({ label: 'SpeechGPT path', runtime: 'gguf', pooledWer: 0.5333, answersRight: { right: 2, asked: 12 }, decodeMsPerToken: 1.1, callers: 4, latencyCallers: 16 });
    expect(s.paths[1]).toMatchObject({ label: 'LLaSM path', pooledWer: 0.2, ttfaP95Ms: 300, floorP95Ms: 150, decodeMsPerToken: 2.2, callers: null, capacity: null });
  });

  it('pools word errors over every condition but the human one', () => {
    expect(pooledWer(speechgpt.hearing!)).toEqual({ wordErrors: 32, words: 60 });
  });
});
