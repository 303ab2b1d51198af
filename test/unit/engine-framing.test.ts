import { describe, expect, it } from 'vitest';
import { Framer } from '../../server/src/pipeline/framer.ts';
import { AudioRing } from '../../server/src/pipeline/audio-ring.ts';

const ramp = (n: number, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);

describe('Framer', () => {
  it('cuts any chunking into the same fixed frames and keeps the remainder', () => {
    const pcm = ramp(1300);
    for (const chunk of [1, 7, 512, 1300]) {
      const f = new Framer(512);
      const frames: Float32Array[] = [];
      for (let at = 0; at < pcm.length; at += chunk) frames.push(...f.push(pcm.subarray(at, at + chunk)));
      expect(frames.map((x) => x.length)).toEqual([512, 512]);
      expect(frames[1]?.[0]).toBe(512);
      expect(f.pending).toBe(276);
      expect(f.flush()[0]).toEqual(ramp(276, 1024));
      expect(f.flush()).toEqual([]);
    }
  });
});

describe('AudioRing', () => {
  it('returns the stream samples it still holds', () => {
    const r = new AudioRing(10);
    r.push(ramp(4));
    expect(r.since(1)).toEqual(ramp(3, 1));
    r.push(ramp(9, 4));
    expect(r.totalSamples).toBe(13);
    expect(r.since(0)).toEqual(ramp(10, 3));
    expect(r.since(11)).toEqual(ramp(2, 11));
    r.push(ramp(25, 13));
    expect(r.since(30)).toEqual(ramp(8, 30));
    expect(r.since(38)).toEqual(new Float32Array(0));
  });
});
