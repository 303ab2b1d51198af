// The engine serving an embedding-input model (manifest lm.inputKind "embeddings", the LLaSM path): the caller's
// speech goes through speech.onnx and reaches the ONNX LM as adapted embeddings, through the same session path as
// units (trim, prefill while speaking, turn bookkeeping). On the smoke model, whose adaptor is smoke-trained, the
// answer's content means nothing; what is checked is that streamed speech gives what speech sent at once gives, and
// that no row is left waiting.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeIf } from '../helpers/requires.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import type { VoxEngine } from '../../server/src/engine/engine.ts';
import { OnnxLmRuntime } from '../../server/src/runtimes/onnx-lm.ts';

const SMOKE_ONNX = new URL('../../test-output/voxgate-smoke-onnx', import.meta.url).pathname;
const ready = ['manifest.json', 'speech.onnx', 'speech-parity.f32'].every((f) => existsSync(join(SMOKE_ONNX, f)));

describeIf(ready, 'the smoke ONNX LM with its adaptor (npm run model:smoke writes test-output/voxgate-smoke-onnx)')('engine on an embedding-input LM (LLaSM path)', () => {
  let engine: VoxEngine;
  let pcm: Float32Array;
  beforeAll(async () => {
    const bytes = readFileSync(join(SMOKE_ONNX, 'speech-parity.f32'));
    pcm = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    engine = (await createEngine({ modelDir: SMOKE_ONNX, maxSessions: 2, vad: 'off' })) as VoxEngine;
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** What a speech-to-text turn left: its texts and input positions, or the error code that ended it. */
  async function turn(chunkSamples: number) {
    try {
      const r = await runOneTurn(engine, { mode: 'speech-to-text', pcm, chunkSamples });
      return { transcript: r.transcript, answer: r.answer, inputUnits: r.timings.inputUnits };
    } catch (err) {
      return { error: (err as { code?: string }).code };
    }
  }

  it('hears speech as speech.onnx\'s embeddings, one position per 40 ms hop', () => {
    expect(engine.model.lm).toBeInstanceOf(OnnxLmRuntime);
    expect(engine.model.hopSamples).toBe(640);
    expect(engine.model.mergeRepeats).toBe(false);
  });

  it('speech streamed in 20 ms chunks gives what the same speech sent at once gives, and leaves no row waiting', async () => {
    const lm = engine.model.lm as OnnxLmRuntime;
    const rows0 = lm.slots.registered;
    const streamed = await turn(320);
    const rows1 = lm.slots.registered;
    const whole = await turn(pcm.length);
    const rows2 = lm.slots.registered;
    expect(streamed).toEqual(whole);
    // The trimmer keeps the speech's hops (most of the utterance, never more than it holds), the same both ways.
    const hops = Math.floor(pcm.length / 640);
    expect(rows1 - rows0).toBeGreaterThan(hops / 2);
    expect(rows1 - rows0).toBeLessThanOrEqual(hops);
    expect(rows2 - rows1).toBe(rows1 - rows0);
    if ('inputUnits' in streamed) expect(streamed.inputUnits).toBe(rows1 - rows0);
    expect(lm.slots.size).toBe(0);
    expect(lm.freeSequences).toBe(2);
  });
});
