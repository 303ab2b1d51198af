import { describe, expect, it } from 'vitest';
import { Resampler } from '../../server/src/codec/audio.ts';
import { decodeALawSample, decodeG711, decodeMuLawSample, encodeALawSample, encodeG711, encodeMuLawSample, type G711Law } from '../../server/src/codec/g711.ts';

function snrDb(ref: Float32Array, got: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += (ref[i] ?? 0) ** 2;
    noise += ((ref[i] ?? 0) - (got[i] ?? 0)) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('G.711', () => {
  it('μ-law matches the standard code points', () => {
    expect(encodeMuLawSample(0)).toBe(0xff);
    expect(encodeMuLawSample(32767)).toBe(0x80);
    expect(encodeMuLawSample(-32768)).toBe(0x00);
    expect(decodeMuLawSample(0xff)).toBe(0);
    expect(decodeMuLawSample(0x80)).toBe(32124);
    expect(decodeMuLawSample(0x00)).toBe(-32124);
  });

  it('A-law matches the standard code points (even bits inverted on the line)', () => {
    expect(encodeALawSample(0)).toBe(0xd5);
    expect(encodeALawSample(32767)).toBe(0xaa);
    expect(encodeALawSample(-32768)).toBe(0x2a);
    expect(decodeALawSample(0xd5)).toBe(8);
    expect(decodeALawSample(0x55)).toBe(-8);
    expect(decodeALawSample(0xaa)).toBe(32256);
    expect(decodeALawSample(0x2a)).toBe(-32256);
  });

  it.each(['pcmu', 'pcma'] as G711Law[])('%s: every code decodes to a value that encodes back to it', (law) => {
    const encode = law === 'pcmu' ? encodeMuLawSample : encodeALawSample;
    const decode = law === 'pcmu' ? decodeMuLawSample : decodeALawSample;
    for (let b = 0; b < 256; b++) {
      if (law === 'pcmu' && b === 0x7f) continue; // μ-law's negative zero encodes as positive zero
      expect(encode(decode(b))).toBe(b);
    }
  });

  it.each(['pcmu', 'pcma'] as G711Law[])('%s: speech-level audio survives 16 kHz → 8 kHz → G.711 → 16 kHz with telephone quality', (law) => {
    // A 300–3000 Hz mix at speech levels: the telephone band, which 8 kHz keeps.
    const n = 16000;
    const pcm = Float32Array.from({ length: n }, (_, i) => 0.2 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.1 * Math.sin((2 * Math.PI * 1800 * i) / 16000));
    const narrow = new Resampler(16000, 8000).push(pcm);
    const coded = encodeG711(law, narrow);
    expect(coded.length).toBe(narrow.length);
    const decoded = decodeG711(law, coded);
    // G.711 is ~38 dB for a full-scale sine; at these levels better than 30 dB.
    expect(snrDb(narrow, decoded)).toBeGreaterThan(30);
    const wide = new Resampler(8000, 16000).push(decoded);
    expect(wide.length).toBeGreaterThan(n - 200);
  });
});
