// The LLaSM path's speech input on the real onnxruntime sessions: speech.onnx's adapted embeddings streamed window
// by window equal the whole utterance's (and torch's), and prefilling them into an ONNX LM sequence while the
// caller speaks gives the same answer as prefilling the whole utterance's, which is torch's. The smoke build writes
// the model (a smoke-sized adaptor stage 1) and torch's reference.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeIf } from '../helpers/requires.ts';
import { divergence } from '../helpers/parity.ts';
import { readSpeechParity, type SpeechParity } from '../helpers/speech-parity.ts';
import { OnnxLmRuntime } from '../../server/src/runtimes/onnx-lm.ts';
import { joinRows, SpeechEmbedder } from '../../server/src/runtimes/speech-embedder.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';

const SMOKE_ONNX = new URL('../../test-output/voxgate-smoke-onnx', import.meta.url).pathname;
const ready = ['speech.onnx', 'speech-parity.json', 'speech-parity.f32', 'manifest.json'].every((f) => existsSync(join(SMOKE_ONNX, f)));

/** Largest |a - b| over the largest |b|: onnxruntime and torch sum in different orders. */
function relativeGap(a: Float32Array, b: ArrayLike<number>): number {
  let gap = 0;
  let scale = 1e-9;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(b[i] ?? 0));
  }
  return gap / scale;
}

/** Deterministic chunk sizes between 1 and 1,000 samples: windows fall at every offset. */
function* chunks(pcm: Float32Array): Generator<Float32Array> {
  let seed = 7;
  for (let at = 0; at < pcm.length; ) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (seed % 1000);
    yield pcm.subarray(at, at + n);
    at += n;
  }
}

describeIf(ready, 'the smoke ONNX LM with its adaptor (npm run model:smoke writes test-output/voxgate-smoke-onnx)')('LLaSM speech input: adapted embeddings into the ONNX LM', () => {
  let parity: SpeechParity;
  let pcm: Float32Array;
  let embedder: SpeechEmbedder;
  let lm: OnnxLmRuntime;
  beforeAll(async () => {
    ({ parity, pcm } = readSpeechParity(SMOKE_ONNX));
    embedder = await SpeechEmbedder.load(join(SMOKE_ONNX, 'speech.onnx'), parity);
    const m = loadManifest(SMOKE_ONNX);
    lm = await OnnxLmRuntime.open(m.paths.lm, {
      sequences: 2,
      contextTokens: 512,
      embeddingsPath: m.paths.lmEmbeddings!,
      tokensPath: m.paths.lmTokens!,
      eosToken: m.lm.markers.endOfAnswer,
    });
  });
  afterAll(async () => {
    await Promise.allSettled([embedder?.close(), lm?.close()]);
  });

  it('whole-utterance embeddings equal torch\'s, one row of the LM\'s dim per hop', async () => {
    const rows = await embedder.encodeUtterance(pcm);
    expect(rows.length).toBe(Math.floor(pcm.length / parity.hopSamples));
    expect(rows.length).toBe(parity.embeddings.length);
    expect(embedder.dim).toBe(lm.dim);
    expect(relativeGap(joinRows(rows, embedder.dim), parity.embeddings.flat())).toBeLessThan(1e-4);
  });

  it('prefilled while the caller speaks: the same embeddings and the same answer as the whole utterance', async () => {
    const whole = await embedder.encodeUtterance(pcm);
    const streamed: Float32Array[] = [];
    const live = lm.acquireSequence();
    const offline = lm.acquireSequence();
    try {
      await lm.prefill(live, parity.before);
      const stream = embedder.openStream({ runEveryMs: 60 });
      let prefills = 0;
      for (const chunk of chunks(pcm)) {
        const rows = await stream.push(chunk);
        if (rows.length === 0) continue;
        streamed.push(...rows);
        await lm.prefillEmbeddings(live, joinRows(rows, embedder.dim));
        prefills++;
      }
      const tail = await stream.flush();
      streamed.push(...tail);
      if (tail.length > 0) await lm.prefillEmbeddings(live, joinRows(tail, embedder.dim));
      expect(prefills).toBeGreaterThan(3);
      expect(streamed.length).toBe(whole.length);
      expect(relativeGap(joinRows(streamed, embedder.dim), joinRows(whole, embedder.dim))).toBeLessThan(1e-5);

      await lm.prefill(offline, parity.before);
      await lm.prefillEmbeddings(offline, joinRows(whole, embedder.dim));
      const answer = async (seq: typeof live) => {
        const out: number[] = [];
        for await (const t of lm.greedy(seq, parity.after, parity.maxNew)) out.push(t);
        return out;
      };
      const [liveAnswer, offlineAnswer] = [await answer(live), await answer(offline)];
      expect(liveAnswer).toEqual(offlineAnswer);
      // onnxruntime's embeddings are within 1e-4 of torch's: only a near tie may be decided otherwise.
      expect(divergence(offlineAnswer, { name: 'speech', expected: parity.expected, margins: parity.margins }, 1e-3)).toBeNull();
    } finally {
      await Promise.all([live.release(), offline.release()]);
    }
  });
});
