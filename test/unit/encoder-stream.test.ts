import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_EVERY_MS, runEveryMsFor, UnitEncoderStream, type WindowEncoder } from '../../server/src/runtimes/unit-encoder.ts';

/** A fake encoder whose unit i depends on exactly the samples a real one sees: left context + hop i. */
class FakeCausalEncoder implements WindowEncoder {
  readonly hopSamples = 4;
  readonly leftContextSamples = 6;
  calls = 0;
  async encodeWindow(pcm: Float32Array): Promise<number[]> {
    this.calls++;
    const hops = Math.floor((pcm.length - this.leftContextSamples) / this.hopSamples);
    const out: number[] = [];
    for (let i = 0; i < hops; i++) {
      let h = 17;
      const end = this.leftContextSamples + (i + 1) * this.hopSamples;
      for (let j = end - this.hopSamples - this.leftContextSamples; j < end; j++) h = (h * 31 + Math.round((pcm[j] ?? 0) * 1000)) % 997;
      out.push(h % 8);
    }
    // Finish out of order sometimes, to prove the stream keeps windows in order.
    await new Promise((r) => setTimeout(r, (pcm.length * 7) % 3));
    return out;
  }
}

function audio(n: number, seed = 3): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) a[i] = ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  return a;
}

async function whole(enc: WindowEncoder, pcm: Float32Array): Promise<number[]> {
  const padded = new Float32Array(enc.leftContextSamples + pcm.length);
  padded.set(pcm, enc.leftContextSamples);
  return enc.encodeWindow(padded);
}

describe('UnitEncoderStream', () => {
  it('gives the whole-utterance units for any way of slicing the audio', async () => {
    const pcm = audio(203);
    const enc = new FakeCausalEncoder();
    const expected = await whole(enc, pcm);
    expect(expected).toHaveLength(50);
    for (const slice of [1, 3, 4, 7, 16, 50, 203]) {
      for (const runEveryMs of [0.25, 1, 2.5]) {
        const stream = new UnitEncoderStream(enc, { runEveryMs, sampleRateHz: 16000 });
        const pushes: Promise<number[]>[] = [];
        for (let at = 0; at < pcm.length; at += slice) pushes.push(stream.push(pcm.subarray(at, at + slice)));
        pushes.push(stream.flush());
        expect((await Promise.all(pushes)).flat(), `slice ${slice}, run every ${runEveryMs} ms`).toEqual(expected);
      }
    }
  });

  it('runNow encodes the whole hops waiting without a full run; the units stay the whole utterance\'s', async () => {
    const pcm = audio(203);
    const enc = new FakeCausalEncoder();
    const expected = await whole(enc, pcm);
    const stream = new UnitEncoderStream(enc, { runEveryMs: 2.5, sampleRateHz: 16000 });
    const got: number[] = [];
    got.push(...(await stream.push(pcm.subarray(0, 11))));
    expect(got).toEqual([]);
    // 11 samples waiting: two whole hops go now, the part hop stays for later.
    got.push(...(await stream.runNow()));
    expect(got).toEqual(expected.slice(0, 2));
    expect(stream.encodedSamples).toBe(8);
    expect(await stream.runNow()).toEqual([]);
    got.push(...(await stream.push(pcm.subarray(11))), ...(await stream.flush()));
    expect(got).toEqual(expected);
  });

  it('flush(usefulSamples) encodes no audio past what is useful', async () => {
    const pcm = audio(203);
    const enc = new FakeCausalEncoder();
    const expected = await whole(enc, pcm);
    for (const useful of [0, 3, 4, 41, 120, 500]) {
      // Runs of 40 samples: the first 40 are encoded, 39 wait; flush encodes up to `useful`, in whole hops.
      const stream = new UnitEncoderStream(enc, { runEveryMs: 2.5, sampleRateHz: 16000 });
      const got = [...(await stream.push(pcm.subarray(0, 40))), ...(await stream.push(pcm.subarray(40, 79)))];
      expect(got).toEqual(expected.slice(0, 10));
      const before = enc.calls;
      got.push(...(await stream.flush(useful)));
      const wanted = Math.max(40, Math.min(76, Math.floor(useful / 4) * 4));
      expect(got, `useful ${useful}`).toEqual(expected.slice(0, wanted / 4));
      expect(enc.calls - before, `useful ${useful}`).toBe(wanted > 40 ? 1 : 0);
    }
  });

  it('waits for runEveryMs of audio before running the model', async () => {
    const enc = new FakeCausalEncoder();
    // 0.5 ms at 16 kHz = 8 samples = 2 hops.
    const stream = new UnitEncoderStream(enc, { runEveryMs: 0.5, sampleRateHz: 16000 });
    expect(await stream.push(audio(5))).toEqual([]);
    expect(enc.calls).toBe(0);
    expect(await stream.push(audio(5))).toHaveLength(2);
    expect(enc.calls).toBe(1);
    expect(stream.encodedSamples).toBe(8);
    expect(await stream.flush()).toEqual([]);
  });

  it('by default waits longer the longer the left context every window re-encodes', async () => {
    expect(runEveryMsFor(0)).toBe(DEFAULT_RUN_EVERY_MS);
    expect(runEveryMsFor(320 * 6)).toBe(DEFAULT_RUN_EVERY_MS);
    // The speech encoder's 25,200 samples (1,575 ms) of context: a quarter of that in new audio per window.
    expect(runEveryMsFor(25_200, 16_000)).toBe(394);
    expect(runEveryMsFor(25_200, 8_000)).toBe(788);
    // A fake encoder with a long context: no window until 394 ms (6,304 samples, 1,576 hops of 4) have come.
    const long = Object.assign(new FakeCausalEncoder(), { leftContextSamples: 25_200 });
    const stream = new UnitEncoderStream(long, { sampleRateHz: 16000 });
    expect(await stream.push(audio(6300))).toEqual([]);
    expect(long.calls).toBe(0);
    expect(await stream.push(audio(4))).toHaveLength(1576);
    expect(long.calls).toBe(1);
  });
});
