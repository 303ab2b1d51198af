// A short load test in CI: a real gateway on 127.0.0.1 with the shipped model, 4 synthetic callers × 2 turns
// over WebSocket + Opus, every question streamed at real time. Zero errors, every turn answered with audio,
// and every answer right (the answer text; the transcript is logged, since "what is" heard as "what's"
// is the model's hearing, not the gateway's fault).
// Which answers are asserted, and why: the questions are the ones the shipped model answers right in a fresh
// conversation over Opus (RELIABLE; bench/capacity.ts calibrates the same way). The shipped model reads no earlier
// turn (manifest lm.earlierTurns 0), so a second turn is heard as a first one is; before, the first turn in its
// context made the transcript and answer drift (e.g. "who are you" heard as "what are your mas name").
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { makeConfig } from '../../server/src/config.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import { startServer, type RunningServer } from '../../server/src/http/server.ts';
import { runLoad } from '../../server/src/loadtest/run.ts';
import { summarize } from '../../server/src/loadtest/summary.ts';
import { makeConnector } from '../../server/src/loadtest/transports.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances } from '../../server/src/loadtest/utterances.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';

const MANIFEST = join(DEFAULT_MODEL_DIR, 'manifest.json');
const MODEL_PRESENT = existsSync(MANIFEST);
if (!MODEL_PRESENT) console.warn(`loadtest-short: skipped, the shipped model is not there yet (${MANIFEST} is absent)`);

/** Questions the shipped model answers right every time at light load (bench/capacity.ts calibrates the same way). */
const RELIABLE = ['05-arithmetic', '09-next', '12-next', '13-next', '15-count', '18-greeting', '19-name', '20-name'];

describeIf(MODEL_PRESENT, 'the shipped model')('loadtest: 4 callers × 2 turns against the shipped model', () => {
  let engine: Engine;
  let server: RunningServer;

  beforeAll(async () => {
    engine = await createEngine({ maxSessions: 8, vad: 'off' });
    server = await startServer({ config: makeConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', maxSessions: 8 }), engine });
  });
  afterAll(async () => {
    await server?.close(0);
    await engine?.close();
  });

  it('answers every question right with no errors', { timeout: 120_000 }, async () => {
    const utterances = await loadUtterances(DEFAULT_UTTERANCES_DIR, RELIABLE);
    const result = await runLoad(
      {
        url: server.voiceUrl,
        callers: 4,
        rampPerSecond: 4,
        durationS: 0,
        turns: 2,
        transport: 'ws',
        codec: 'opus',
        utterances,
        bargeInShare: 0,
        turnTimeoutMs: 30_000,
        connectTimeoutMs: 10_000,
        underrunToleranceMs: 30,
        thinkMs: 300,
        seed: 1,
        questionOrder: 'cycle',
      },
      { connect: await makeConnector('ws') },
    );
    const s = summarize(result);
    const first = result.turns.filter((t) => t.turnIndex === 0);
    const wrong = result.turns.filter((t) => !t.answerOk).map((t) => `turn ${t.turnIndex + 1}, ${t.utteranceId}: heard "${t.transcript}", answered "${t.answer}"`);
    // Timing figures are logged, not asserted: CI machines vary; bench/capacity.ts measures them properly.
    console.info(
      `loadtest-short: p50/p95 TTFA ${s.p50TtfaMs}/${s.p95TtfaMs} ms, underruns ${s.underruns}, gaps ${s.gaps}; ` +
        `second turns right ${result.turns.filter((t) => t.turnIndex === 1 && t.transcriptOk && t.answerOk).length}/4`,
    );
    expect(s.errorsByCode).toEqual({});
    expect(s).toMatchObject({ calls: 4, completedCalls: 4, turns: 8, answeredTurns: 8, errors: 0 });
    expect(first).toHaveLength(4);
    expect(wrong).toEqual([]);
    // The real gateway reports its LLM's batches on /metrics.json, and the load tester reads them.
    expect(s.serverLlm).not.toBeNull();
    expect(s.serverLlm!.batchesPerS).toBeGreaterThan(0);
    expect(s.serverLlm!.tokensPerBatch).toBeGreaterThan(0);
    expect(s.serverLlm!.decodeMsPerBatch).toBeGreaterThan(0);
    for (const t of result.turns) {
      expect(t.ttfaMs).not.toBeNull();
      expect(t.playback.audioMs).toBeGreaterThan(200);
      expect(t.answer).not.toBe('');
    }
  });
});
