// EngineModel.encodeUtterance on the shipped LLaSM folder: the whole utterance's speech as the LM hears it, its
// adapted rows under slot ids (what bench/ttfa-paths.ts prefills for the compute floor and the offline path). The
// ids must carry the rows torch fed (its answer after them), and a second encoding must give fresh ids, since a row
// is spent once the LM has evaluated it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { divergence } from '../helpers/parity.ts';
import { readSpeechParity, type SpeechParity } from '../helpers/speech-parity.ts';
import { EngineModel } from '../../server/src/engine/model.ts';
import { OnnxLmRuntime } from '../../server/src/runtimes/onnx-lm.ts';

const LLASM = new URL('../../models/voxgate-llasm-tiny-en', import.meta.url).pathname;

describe('EngineModel.encodeUtterance on an embedding-input model', () => {
  let model: EngineModel;
  let parity: SpeechParity;
  let pcm: Float32Array;
  beforeAll(async () => {
    ({ parity, pcm } = readSpeechParity(LLASM));
    model = await EngineModel.load(LLASM, { sequences: 1, vad: 'off' });
  });
  afterAll(async () => {
    await model?.close();
  });

  async function answerAfter(ids: number[]): Promise<number[]> {
    const seq = model.lm.acquireSequence();
    try {
      await model.lm.prefill(seq, [...parity.before, ...model.unitTokens(ids)]);
      const out: number[] = [];
      for await (const t of model.lm.greedy(seq, parity.after, parity.maxNew)) out.push(t);
      return out;
    } finally {
      await seq.release();
    }
  }

  it('gives one slot id per hop, holding the rows torch answered after; encoded again, fresh ids that answer the same', async () => {
    const lm = model.lm;
    expect(lm).toBeInstanceOf(OnnxLmRuntime);
    const slots = (lm as OnnxLmRuntime).slots;
    const ids = await model.encodeUtterance(pcm);
    expect(ids.length).toBe(parity.embeddings.length);
    expect(ids.every((id) => slots.isSlot(id))).toBe(true);
    const first = await answerAfter(ids);
    // onnxruntime's embeddings are within 1e-4 of torch's: only a near tie may be decided otherwise.
    expect(divergence(first, { name: 'speech', expected: parity.expected, margins: parity.margins }, 1e-3)).toBeNull();
    expect(ids.every((id) => slots.take(id) === undefined)).toBe(true);

    const again = await model.encodeUtterance(pcm);
    expect(again.some((id) => ids.includes(id))).toBe(false);
    expect(await answerAfter(again)).toEqual(first);
  });
});
