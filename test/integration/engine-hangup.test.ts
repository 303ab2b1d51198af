// Hang-ups on the real model: a session closed mid-answer stops counting at once, its LLM sequence comes back
// within a decode step or so, and a new caller opened right after gets the slot and the same answer a quiet
// engine gives.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import type { VoxEngine } from '../../server/src/engine/engine.ts';
import type { EngineSession } from '../../server/src/engine/types.ts';
import { describeIf } from '../helpers/requires.ts';
import { MODEL_DIR, MODEL_FILES, record } from './engine-model.ts';

const SESSIONS = 2;

/** One spoken answer to a text question: its transcript and answer text. */
async function ask(session: EngineSession, text: string): Promise<{ transcript: string | undefined; answer: string | undefined }> {
  const r = record(session);
  session.pushText(text, 'text-to-speech');
  const done = await r.next((e) => e.type === 'turn.done' || e.type === 'error', 120_000);
  if (done.type !== 'turn.done') throw new Error(`no answer: ${JSON.stringify(done)}`);
  return { transcript: r.finalText('transcript.final', done.turnId), answer: r.finalText('answer.final', done.turnId) };
}

describeIf(MODEL_FILES, `the model in ${MODEL_DIR} (npm run model:build)`)('hang-ups mid-answer on the real model', () => {
  let engine: VoxEngine;
  beforeAll(async () => {
    engine = (await createEngine({ modelDir: MODEL_DIR, maxSessions: SESSIONS })) as VoxEngine;
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('frees the session and the LLM sequence at once; the next callers get them and the same answer', async () => {
    const quietSession = await engine.openSession({ mode: 'text-to-speech', vad: false });
    const quiet = await ask(quietSession, 'hello');
    await quietSession.close();
    expect(quiet.answer).toBeTruthy();

    for (let round = 0; round < 3; round++) {
      // Every slot busy answering; each caller hangs up as soon as its answer's audio starts.
      const talking = await Promise.all(Array.from({ length: SESSIONS }, () => engine.openSession({ mode: 'text-to-speech', vad: false })));
      await Promise.all(
        talking.map(async (s) => {
          const r = record(s);
          s.pushText('tell me about the sea', 'text-to-speech');
          await r.next((e) => e.type === 'audio.chunk', 120_000);
        }),
      );
      const closing = talking.map((s) => s.close());
      // Counted out the moment they close, though their generation may still be stopping.
      expect(engine.activeSessions).toBe(0);
      const next = await Promise.all(Array.from({ length: SESSIONS }, () => engine.openSession({ mode: 'text-to-speech', vad: false })));
      await Promise.all(closing);
      const answers = await Promise.all(next.map((s) => ask(s, 'hello')));
      for (const a of answers) expect(a).toEqual(quiet);
      await Promise.all(next.map((s) => s.close()));
    }
    expect(engine.activeSessions).toBe(0);
    expect(engine.releasingSessions).toBe(0);
    expect(engine.model.lm.freeSequences).toBe(SESSIONS);
  }, 300_000);
});
