// TTFA benchmark: end of the caller's speech → first audio chunk, for espeak-ng questions streamed at real
// time into the engine (explicit commit at the end, so endpointing silence is not counted), compared with
// the compute floor and with an offline wait-generate-vocode path; and, as a listener would hear it, whether the
// answer's playout (at real time from its first chunk) ever ran dry. Last line: one JSON object.
// Each streamed turn is followed by one floor and one offline measurement of the same question, so both sides of
// a ratio are single runs taken alike (a per-token jitter of ±30 % on this machine would otherwise favour a
// best-of-N side); the floor at its best over the rounds is reported beside it.
//   npx tsx bench/ttfa.ts [--model DIR] [--rounds N (3)] [--speed X]
import { parseArgs } from 'node:util';
import { VoxEngine } from '../server/src/engine/engine.ts';
import { EngineModel } from '../server/src/engine/model.ts';
import { runOneTurn } from '../server/src/engine/one-turn.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';
import type { EngineSession } from '../server/src/engine/types.ts';
import { measurePaths } from './ttfa-paths.ts';
import { percentile } from '../server/src/loadtest/stats.ts';
import { QUESTIONS, render } from './ttfa-questions.ts';

const { values } = parseArgs({
  options: { model: { type: 'string' }, rounds: { type: 'string' }, speed: { type: 'string' } },
});
const modelDir = values.model ?? DEFAULT_MODEL_DIR;
const rounds = Number(values.rounds ?? 3);
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
interface Heard {
  ttfaMs: number;
  /** The engine's own floor: end of input → first chunk vocoded (before the playout start waits). */
  readyMs: number;
  prefillTailMs: number;
  answer: string;
  /** Chunks that arrived after the audio before them had played out (played at real time from the first), and how late in all. */
  underruns: number;
  lateMs: number;
}
const rows: (Heard & { q: string; floorMs: number; offlineTtfaMs: number })[] = [];

/** Underruns of a chunk timeline played at real time from its first chunk (1 ms tolerance: timer granularity). */
function playback(chunks: { atMs: number; audioMs: number }[]): { underruns: number; lateMs: number } {
  let dueMs = chunks[0]?.atMs ?? 0;
  let underruns = 0;
  let lateMs = 0;
  for (const c of chunks) {
    if (c.atMs > dueMs + 1) {
      underruns++;
      lateMs += c.atMs - dueMs;
      dueMs = c.atMs;
    }
    dueMs += c.audioMs;
  }
  return { underruns, lateMs };
}

// Warm-up: first calls pay for allocation and thread start-up.
await runOneTurn(engine, { mode, pcm: render(QUESTIONS[0]!) }).catch(() => undefined);

for (let round = 0; round < rounds; round++) {
  for (const q of QUESTIONS) {
    const pcm = render(q);
    const session = await engine.openSession({ mode, vad: false });
    const turn = new Promise<Heard>((resolve, reject) => {
      let answer = '';
      const chunks: { atMs: number; audioMs: number }[] = [];
      session.on((e) => {
        if (e.type === 'answer.final') answer = e.text;
        if (e.type === 'audio.chunk') chunks.push({ atMs: performance.now(), audioMs: (e.pcm.length * 1000) / e.sampleRateHz });
        if (e.type === 'turn.done') {
          const t = e.timings;
          resolve({ ttfaMs: t.ttfaMs ?? NaN, readyMs: t.firstAudioReadyMs ?? NaN, prefillTailMs: t.prefillTailMs ?? NaN, answer, ...playback(chunks) });
        }
        if (e.type === 'error') reject(new Error(`${e.code}: ${e.message}`));
      });
    });
    await speakAndCommit(session, pcm);
    const r = await turn.catch((err: Error): Heard => ({ ttfaMs: NaN, readyMs: NaN, prefillTailMs: NaN, answer: `(${err.message})`, underruns: 0, lateMs: 0 }));
    await session.close();
    const paths = await measurePaths(model, mode, pcm);
    rows.push({ q: q.text, ...r, ...paths });
    process.stderr.write(
      `${q.text.padEnd(40)} ttfa ${r.ttfaMs.toFixed(1).padStart(6)} ms (first chunk ready ${r.readyMs.toFixed(1)})  floor ${paths.floorMs.toFixed(1).padStart(6)} ms  ` +
        `offline ${paths.offlineTtfaMs.toFixed(1).padStart(6)} ms  tail ${r.prefillTailMs.toFixed(1)} ms  underruns ${r.underruns}${r.underruns ? ` (${r.lateMs.toFixed(0)} ms)` : ''}  → ${r.answer}\n`,
    );
  }
}
await engine.close();

const ok = rows.filter((r) => Number.isFinite(r.ttfaMs));
/** Each question's floor at its best over the rounds (the definition before floors were taken once per turn). */
const bestFloorMs = new Map<string, number>();
for (const r of rows) bestFloorMs.set(r.q, Math.min(bestFloorMs.get(r.q) ?? Infinity, r.floorMs));
const p = (key: 'ttfaMs' | 'floorMs' | 'offlineTtfaMs' | 'readyMs', q: number) => percentile(ok.map((r) => r[key]), q);
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
  /** The same over each question's best floor of the rounds: a stricter reading (one side at its best). */
  bestFloorP95Ms: round1(percentile(ok.map((r) => bestFloorMs.get(r.q)!), 95)),
  ttfaOverBestFloor: ratio(p('ttfaMs', 95), percentile(ok.map((r) => bestFloorMs.get(r.q)!), 95)),
  /** The engine's first chunk ready (TTFA before the playout start's wait), and what the wait added. */
  firstChunkReadyP50Ms: round1(p('readyMs', 50)),
  firstChunkReadyP95Ms: round1(p('readyMs', 95)),
  startWaitP50Ms: round1(percentile(ok.map((r) => r.ttfaMs - r.readyMs), 50)),
  startWaitP95Ms: round1(percentile(ok.map((r) => r.ttfaMs - r.readyMs), 95)),
  /** Answers whose playout ran dry, played at real time from their first chunk (the aim: none). */
  underruns: ok.reduce((n, r) => n + r.underruns, 0),
  underrunMs: Math.round(ok.reduce((n, r) => n + r.lateMs, 0)),
  offlineTtfaP50Ms: round1(p('offlineTtfaMs', 50)),
  offlineTtfaP95Ms: round1(p('offlineTtfaMs', 95)),
  streamingOverOffline: ratio(p('ttfaMs', 95), p('offlineTtfaMs', 95)),
  /** The same question's TTFA over its own floor, median over questions: the pipeline's overhead. */
  perTurnOverFloorP50: ratio(percentile(ok.map((r) => r.ttfaMs / r.floorMs), 50), 1),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
