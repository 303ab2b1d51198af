// TTFA benchmark: end of the caller's speech → first audio chunk, for espeak-ng questions streamed at real
// time into the engine (explicit commit at the end, so endpointing silence is not counted), compared with
// the compute floor and with an offline wait-generate-vocode path. Last line: one JSON object.
//   npx tsx bench/ttfa.ts [--model DIR] [--rounds N] [--speed X]
import { parseArgs } from 'node:util';
import { VoxEngine } from '../server/src/engine/engine.ts';
import { EngineModel } from '../server/src/engine/model.ts';
import { runOneTurn } from '../server/src/engine/one-turn.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';
import type { EngineSession } from '../server/src/engine/types.ts';
import { measurePaths } from './ttfa-paths.ts';
import { percentile, QUESTIONS, render } from './ttfa-questions.ts';

const { values } = parseArgs({
  options: { model: { type: 'string' }, rounds: { type: 'string' }, speed: { type: 'string' } },
});
const modelDir = values.model ?? DEFAULT_MODEL_DIR;
const rounds = Number(values.rounds ?? 1);
const speed = Number(values.speed ?? 1);

/** Streams `pcm` at `speed` × real time in 20 ms chunks, then commits. */
async function speakAndCommit(session: EngineSession, pcm: Float32Array): Promise<void> {
  const start = performance.now();
  for (let at = 0; at < pcm.length; at += 320) {
    session.pushAudio(pcm.subarray(at, at + 320));
    const wait = start + (at + 320) / 16 / speed - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  session.commit();
}

const model = await EngineModel.load(modelDir, { sequences: 2, vad: 'off' });
const engine = new VoxEngine(model, 1);
const mode = 'speech-to-speech';
const rows: { q: string; ttfaMs: number; floorMs: number; offlineTtfaMs: number; prefillTailMs: number; answer: string }[] = [];

// Warm-up: first calls pay for allocation and thread start-up.
await runOneTurn(engine, { mode, pcm: render(QUESTIONS[0]!) }).catch(() => undefined);

for (let round = 0; round < rounds; round++) {
  for (const q of QUESTIONS) {
    const pcm = render(q);
    const session = await engine.openSession({ mode, vad: false });
    const turn = new Promise<{ ttfaMs: number; prefillTailMs: number; answer: string }>((resolve, reject) => {
      let answer = '';
      session.on((e) => {
        if (e.type === 'answer.final') answer = e.text;
        if (e.type === 'turn.done') resolve({ ttfaMs: e.timings.ttfaMs ?? NaN, prefillTailMs: e.timings.prefillTailMs ?? NaN, answer });
        if (e.type === 'error') reject(new Error(`${e.code}: ${e.message}`));
      });
    });
    await speakAndCommit(session, pcm);
    const r = await turn.catch((err: Error) => ({ ttfaMs: NaN, prefillTailMs: NaN, answer: `(${err.message})` }));
    await session.close();
    const paths = await measurePaths(model, mode, pcm);
    rows.push({ q: q.text, ...r, ...paths });
    process.stderr.write(
      `${q.text.padEnd(40)} ttfa ${r.ttfaMs.toFixed(1).padStart(6)} ms  floor ${paths.floorMs.toFixed(1).padStart(6)} ms  ` +
        `offline ${paths.offlineTtfaMs.toFixed(1).padStart(6)} ms  tail ${r.prefillTailMs.toFixed(1)} ms  → ${r.answer}\n`,
    );
  }
}
await engine.close();

const ok = rows.filter((r) => Number.isFinite(r.ttfaMs));
const p = (key: 'ttfaMs' | 'floorMs' | 'offlineTtfaMs', q: number) => percentile(ok.map((r) => r[key]), q);
const round1 = (x: number) => Math.round(x * 10) / 10;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const summary = {
  model: model.name,
  turns: rows.length,
  failedTurns: rows.length - ok.length,
  speed,
  ttfaP50Ms: round1(p('ttfaMs', 50)),
  ttfaP95Ms: round1(p('ttfaMs', 95)),
  floorP50Ms: round1(p('floorMs', 50)),
  floorP95Ms: round1(p('floorMs', 95)),
  ttfaOverFloor: ratio(p('ttfaMs', 95), p('floorMs', 95)),
  offlineTtfaP50Ms: round1(p('offlineTtfaMs', 50)),
  offlineTtfaP95Ms: round1(p('offlineTtfaMs', 95)),
  streamingOverOffline: ratio(p('ttfaMs', 95), p('offlineTtfaMs', 95)),
  /** The same question's TTFA over its own floor, median over questions: the pipeline's overhead. */
  perTurnOverFloorP50: ratio(percentile(ok.map((r) => r.ttfaMs / r.floorMs), 50), 1),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
