// What a model folder hears, through the gateway's own path: each dev utterance is pushed into an engine
// session (units.onnx run incrementally, the GGUF in node-llama-cpp), per listening condition, with the spoken
// answers also counted per skill; then typed answers and the vocoder round trip (the answer spoken by the model, heard back by the model).
// The dev set is the recipe's (models/recipe/voxgate_recipe/render_dev.py renders it). Several --model
// flags are measured in one run, on the same utterances. Last line: one JSON object.
//   npx tsx bench/hearing.ts --set /tmp/dev-set --model models/voxgate-tiny-en [--model DIR2] [--round-trip 20] [--per-condition N] [--misses]
//     [--turns-per-session N] [--mode speech-to-text|speech-to-speech]
// --misses: one line per spoken answer judged wrong (what was said, heard, answered, expected), to tell hearing
// errors (a wrong transcript) from answering errors (a right transcript, a wrong answer); one per failed turn
// (its error code and message); and one per typed miss.
// --per-condition N: the first N utterances of each condition in the set's index (a random sample: render_dev
// draws each condition's items at random), so a shorter run hears a subset of the same set.
// --turns-per-session N: N utterances in a row (index order) are asked in one session, as a caller asks
// several questions in one call: each question's prompt follows the earlier turns the model reads (lm.earlierTurns).
// Answers right are also counted by the question's place in its session. --mode: the spoken turns' mode
// (speech-to-text by default; speech-to-speech also keeps each answer's units in memory, as on the demo page).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readWav } from '../client-sdk/src/node/wav.ts';
import { createEngine } from '../server/src/engine/create-engine.ts';
import { runOneTurn, runTurnIn } from '../server/src/engine/one-turn.ts';
import { GatewayError } from '../server/src/errors.ts';
import type { Engine, EngineSession, Mode, Playout } from '../server/src/engine/types.ts';
import { wordErrors } from '../server/src/loadtest/word-errors.ts';
import { DEFAULT_MODEL_DIR, loadManifest } from '../server/src/runtimes/manifest.ts';

interface DevUtterance {
  file: string;
  condition: string;
  skill: string;
  said: string;
  answer: string | null;
}

interface Tally {
  errors: number;
  words: number;
  right: number;
  asked: number;
  utterances: number;
  failed: number;
  /** Failed turns by error code. */
  failures: Record<string, number>;
}

const { values } = parseArgs({
  options: { set: { type: 'string' }, model: { type: 'string', multiple: true }, 'round-trip': { type: 'string' }, 'per-condition': { type: 'string' }, misses: { type: 'boolean' }, 'turns-per-session': { type: 'string' }, mode: { type: 'string' } },
});
if (!values.set) {
  throw new Error('--set DIR is required: render it with (cd models/recipe && /usr/bin/python3 -m voxgate_recipe.render_dev --plan long --out DIR), or run npm run bench:paths, which renders one');
}
const setDir = values.set;
const models = values.model ?? [DEFAULT_MODEL_DIR];
const roundTrip = Number(values['round-trip'] ?? 20);
const perCondition = values['per-condition'] === undefined ? Infinity : Number(values['per-condition']);
if (!(perCondition > 0)) throw new Error('--per-condition must be a positive number');
const turnsPerSession = Number(values['turns-per-session'] ?? 1);
if (!Number.isInteger(turnsPerSession) || turnsPerSession < 1) throw new Error('--turns-per-session must be a positive integer');
const spokenMode = (values.mode ?? 'speech-to-text') as Mode;
if (spokenMode !== 'speech-to-text' && spokenMode !== 'speech-to-speech') throw new Error('--mode must be speech-to-text or speech-to-speech');
const utterances = firstPerCondition((JSON.parse(readFileSync(join(setDir, 'index.json'), 'utf8')) as { utterances: DevUtterance[] }).utterances, perCondition);

function firstPerCondition(all: DevUtterance[], n: number): DevUtterance[] {
  const taken = new Map<string, number>();
  return all.filter((u) => {
    const k = taken.get(u.condition) ?? 0;
    taken.set(u.condition, k + 1);
    return k < n;
  });
}

/** An answer is right when its words are the expected ones: spaces at the ends or doubled are not heard. */
function sameText(answer: string, expected: string | null): boolean {
  const words = (s: string) => s.trim().split(/\s+/).join(' ');
  return expected !== null && words(answer) === words(expected);
}

function tally(): Tally {
  return { errors: 0, words: 0, right: 0, asked: 0, utterances: 0, failed: 0, failures: {} };
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)} %`;
}

/** The bench's caller hears each answer to its end before asking the next question (no barge-in). */
const listenedInFull: Playout = { heardMs: () => Infinity, playing: () => false };

async function measure(engine: Engine, sampleRateHz: number) {
  const byCondition = new Map<string, Tally>();
  // Spoken answers per skill, over every condition (transcription-only items and human clips have none).
  const spoken = new Map<string, Tally>();
  const spokenOf = (skill: string): Tally => {
    const t = spoken.get(skill) ?? tally();
    spoken.set(skill, t);
    return t;
  };
  // Answers right by the question's place in its session (1 = first question of the call).
  const byPlace = new Map<number, Tally>();
  let session: EngineSession | undefined;
  for (const [index, u] of utterances.entries()) {
    const place = (index % turnsPerSession) + 1;
    if (place === 1) {
      await session?.close();
      session = await engine.openSession({ mode: spokenMode, vad: false, playout: listenedInFull });
    }
    const p = byPlace.get(place) ?? tally();
    byPlace.set(place, p);
    const t = byCondition.get(u.condition) ?? tally();
    byCondition.set(u.condition, t);
    t.utterances++;
    const { pcm } = await readWav(join(setDir, u.file), sampleRateHz);
    try {
      if (!session) throw new Error('no session');
      const r = await runTurnIn(session, { mode: spokenMode, pcm });
      const w = wordErrors(u.said, r.transcript ?? '');
      t.errors += w.errors;
      t.words += w.words;
      if (u.answer !== null) {
        const right = sameText(r.answer, u.answer);
        if (!right && values.misses) console.log(`miss ${u.file}: said "${u.said}", heard "${r.transcript ?? ''}", answered "${r.answer.trim()}", expected "${u.answer}"`);
        t.asked++;
        p.asked++;
        spokenOf(u.skill).asked++;
        if (right) {
          t.right++;
          p.right++;
          spokenOf(u.skill).right++;
        }
      }
    } catch (err) {
      // A turn that ends in an error (e.g. MODEL_OUTPUT_MALFORMED) hears nothing right.
      const code = err instanceof GatewayError ? err.code : 'EXCEPTION';
      t.failed++;
      t.failures[code] = (t.failures[code] ?? 0) + 1;
      if (values.misses) console.log(`failed ${u.file}: said "${u.said}", ${code}: ${err instanceof Error ? err.message : String(err)}`);
      t.errors += wordErrors(u.said, '').errors;
      t.words += wordErrors(u.said, '').words;
      if (u.answer !== null) {
        t.asked++;
        p.asked++;
        spokenOf(u.skill).asked++;
      }
    }
  }
  await session?.close();
  // Typed: every distinct question with an answer, once.
  const typed = new Map<string, Tally>();
  const questions = new Map<string, DevUtterance>();
  for (const u of utterances) if (u.answer !== null) questions.set(u.said, u);
  for (const u of questions.values()) {
    const t = typed.get(u.skill) ?? tally();
    typed.set(u.skill, t);
    t.asked++;
    const r = await runOneTurn(engine, { mode: 'text-to-text', text: u.said }).catch(() => undefined);
    if (r && sameText(r.answer, u.answer)) t.right++;
    else if (values.misses) console.log(`typed miss: "${u.said}" answered "${r?.answer.trim() ?? '(failed)'}", expected "${u.answer}"`);
  }
  // Round trip: the model speaks the answer (text-to-speech), then hears its own audio (speech-to-text).
  const trip = tally();
  for (const u of [...questions.values()].slice(0, roundTrip)) {
    if (u.answer === null) continue;
    trip.utterances++;
    const spoken = await runOneTurn(engine, { mode: 'text-to-speech', text: u.said }).catch(() => undefined);
    const heard = spoken && spoken.audio.length > 0 ? await runOneTurn(engine, { mode: 'speech-to-text', pcm: spoken.audio }).catch(() => undefined) : undefined;
    const w = wordErrors(spoken?.answer ?? u.answer, heard?.transcript ?? '');
    trip.errors += w.errors;
    trip.words += w.words;
  }
  return { byCondition, typed, spoken, trip, byPlace };
}

const report: Record<string, unknown> = {};
for (const modelDir of models) {
  const manifest = loadManifest(modelDir);
  const engine = await createEngine({ modelDir, maxSessions: 1, vad: 'off' });
  const started = performance.now();
  try {
    const { byCondition, typed, spoken, trip, byPlace } = await measure(engine, manifest.sampleRateHz);
    console.log(`\n${modelDir} (${manifest.name}), ${utterances.length} utterances, ${turnsPerSession} a session, ${spokenMode}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log('| condition | utterances | transcript WER | answers right | turns failed |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, t] of byCondition) {
      console.log(`| ${name} | ${t.utterances} | ${pct(t.errors, t.words)} | ${t.asked ? `${t.right}/${t.asked} (${pct(t.right, t.asked)})` : 'n/a'} | ${t.failed} |`);
    }
    console.log(`typed (text-to-text): ${[...typed].map(([s, t]) => `${s} ${t.right}/${t.asked}`).join(', ')}`);
    console.log(`spoken (${spokenMode}): ${[...spoken].map(([s, t]) => `${s} ${t.right}/${t.asked}`).join(', ')}`);
    if (turnsPerSession > 1) console.log(`spoken answers right by place in the session: ${[...byPlace].map(([k, t]) => `${k}: ${t.right}/${t.asked}`).join(', ')}`);
    console.log(`round trip (the answer spoken, then heard by the model): WER ${pct(trip.errors, trip.words)} over ${trip.utterances} answers`);
    report[modelDir] = {
      conditions: Object.fromEntries([...byCondition].map(([k, t]) => [k, { wer: t.errors / Math.max(1, t.words), wordErrors: t.errors, words: t.words, answersRight: t.right, answersAsked: t.asked, utterances: t.utterances, failed: t.failed, failures: t.failures }])),
      typed: Object.fromEntries([...typed].map(([k, t]) => [k, { right: t.right, asked: t.asked }])),
      spoken: Object.fromEntries([...spoken].map(([k, t]) => [k, { right: t.right, asked: t.asked }])),
      roundTripWer: trip.errors / Math.max(1, trip.words),
      roundTripAnswers: trip.utterances,
      turnsPerSession,
      mode: spokenMode,
      byPlace: Object.fromEntries([...byPlace].map(([k, t]) => [k, { right: t.right, asked: t.asked }])),
    };
  } finally {
    await engine.close();
  }
}
console.log(JSON.stringify(report));
