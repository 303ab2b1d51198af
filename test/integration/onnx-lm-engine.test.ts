// The engine serves a model whose LM runs in onnxruntime (manifest lm.runtime "onnx") as it serves the GGUF one:
// the same weights in both runtimes (f32 in both) must give the same answers, turn after turn, through the engine
// and the CLI.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeIf, itIf } from '../helpers/requires.ts';
import { deriveOnnxLmFolder } from '../helpers/onnx-lm-folder.ts';
import { modelVariant, requantize } from '../helpers/model-variant.ts';
import { pythonHasTorch } from '../helpers/random-lm.ts';
import { voxgate } from '../helpers/cli.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import type { Engine, Mode } from '../../server/src/engine/types.ts';
import type { VoxEngine } from '../../server/src/engine/engine.ts';
import { OnnxLmRuntime } from '../../server/src/runtimes/onnx-lm.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';
import { record } from './engine-model.ts';
import { hasEspeak, speak } from './engine-speech.ts';

const ready = existsSync(`${DEFAULT_MODEL_DIR}/lm.gguf`) && pythonHasTorch();

/** What a turn left for the caller: its texts, how much audio, or the error that ended it. */
async function outcome(engine: Engine, mode: Mode, input: { text?: string; pcm?: Float32Array }) {
  try {
    const r = await runOneTurn(engine, { mode, ...input });
    return { transcript: r.transcript, answer: r.answer, outputUnits: r.timings.outputUnits, hasAudio: r.audio.length > 0 };
  } catch (err) {
    return { error: (err as { code?: string }).code };
  }
}

/** Answers of a session's consecutive text turns (multi-turn memory lives in the LM sequence's cache). */
async function conversation(engine: Engine, questions: string[]): Promise<string[]> {
  const session = await engine.openSession({ mode: 'text-to-text', vad: false });
  const rec = record(session);
  const answers: string[] = [];
  try {
    for (const [i, q] of questions.entries()) {
      session.pushText(q);
      await rec.next((e) => e.type === 'turn.done' && rec.events.filter((x) => x.type === 'turn.done').length === i + 1);
      answers.push(rec.events.filter((e) => e.type === 'answer.final').map((e) => ('text' in e ? e.text : ''))[i] ?? '');
    }
  } finally {
    await session.close();
  }
  return answers;
}

describeIf(ready, 'the shipped model and python3-torch')('engine on an ONNX LM: the shipped weights in onnxruntime', () => {
  let onnxDir = '';
  let ggufDir = '';
  let onnx: Engine;
  let gguf: Engine;
  beforeAll(async () => {
    // Earlier turns kept (the shipped manifest reads none): a later turn then runs on the runtime's cache of them.
    ggufDir = modelVariant(DEFAULT_MODEL_DIR, (m) => delete m['lm']!['earlierTurns'], ['lm.gguf', 'parity.json']);
    // Both runtimes in f32 on the shipped LM's values: llama.cpp multiplying its q8_0 blocks also rounds
    // activations to 8 bits, which decides some near ties otherwise ("spell dog" spoken: "d o g" against "g o d").
    requantize(DEFAULT_MODEL_DIR, 'f32', ggufDir);
    onnxDir = deriveOnnxLmFolder(ggufDir);
    [onnx, gguf] = await Promise.all([
      createEngine({ modelDir: onnxDir, maxSessions: 2, vad: 'off' }),
      createEngine({ modelDir: ggufDir, maxSessions: 2, vad: 'off' }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.allSettled([onnx?.close(), gguf?.close()]);
    if (onnxDir) rmSync(dirname(onnxDir), { recursive: true, force: true });
    if (ggufDir) rmSync(ggufDir, { recursive: true, force: true });
  });

  it('loads the runtime the manifest names', () => {
    expect((onnx as VoxEngine).model.lm).toBeInstanceOf(OnnxLmRuntime);
    expect((gguf as VoxEngine).model.lm).not.toBeInstanceOf(OnnxLmRuntime);
    expect((onnx as VoxEngine).model.tokenMsNow()).toBeGreaterThan(0);
  });

  it('text-to-text and text-to-speech: the same answers (and spoken units) as the GGUF runtime', async () => {
    for (const mode of ['text-to-text', 'text-to-speech'] as const) {
      for (const text of ['hello', 'what is your name?', 'spell dog']) {
        const [a, b] = [await outcome(onnx, mode, { text }), await outcome(gguf, mode, { text })];
        expect(a, `${mode}: ${text}`).toEqual(b);
        if (mode === 'text-to-speech' && !('error' in a)) expect(a.hasAudio).toBe(true);
      }
    }
  });

  it('keeps a conversation across turns as the GGUF runtime does', async () => {
    const questions = ['hello', 'what can you do?', 'count from three to six'];
    const [a, b] = [await conversation(onnx, questions), await conversation(gguf, questions)];
    expect(a).toEqual(b);
    expect(a.filter((x) => x.length > 0).length).toBe(questions.length);
    expect(onnx.activeSessions).toBe(0);
  });

  itIf(hasEspeak(), 'espeak-ng and sox')('speech-to-text: heard units go through the same cache', async () => {
    const pcm = speak('what is two plus three', 'en-us', 170);
    const [a, b] = [await outcome(onnx, 'speech-to-text', { pcm }), await outcome(gguf, 'speech-to-text', { pcm })];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ transcript: expect.stringMatching(/plus/) });
  });

  it('voxgate ask --model <ONNX-LM folder> --text … --json answers as the engine does', async () => {
    const expected = await outcome(gguf, 'text-to-text', { text: 'hello' });
    const r = await voxgate(['ask', '--model', onnxDir, '--text', 'hello', '--mode', 'text-to-text', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { answer: string };
    expect(out.answer).toBe('answer' in expected ? expected.answer : undefined);
  });
});
