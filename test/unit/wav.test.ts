// WAV reading and writing for the CLI: 16-bit PCM, channel downmix, chunk walking, whole-file resampling.
import { describe, expect, it } from 'vitest';
import { encodeWav, parseWav, resampleTo, WavError } from '../../client-sdk/src/node/wav.ts';

function header(opts: { channels: number; rateHz: number; bits: number; format?: number; extra?: Uint8Array }, data: Uint8Array): Uint8Array {
  const fmtSize = 16;
  const extra = opts.extra ?? new Uint8Array(0);
  const out = new Uint8Array(12 + 8 + fmtSize + extra.length + 8 + data.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  // An unknown chunk first (LIST), odd-sized, to exercise padding.
  let at = 12;
  if (extra.length > 0) {
    ascii(at, 'LIST');
    v.setUint32(at + 4, extra.length - 8, true);
    at += extra.length;
  }
  ascii(at, 'fmt ');
  v.setUint32(at + 4, fmtSize, true);
  v.setUint16(at + 8, opts.format ?? 1, true);
  v.setUint16(at + 10, opts.channels, true);
  v.setUint32(at + 12, opts.rateHz, true);
  v.setUint32(at + 16, opts.rateHz * opts.channels * 2, true);
  v.setUint16(at + 20, opts.channels * 2, true);
  v.setUint16(at + 22, opts.bits, true);
  at += 8 + fmtSize;
  ascii(at, 'data');
  v.setUint32(at + 4, data.length, true);
  out.set(data, at + 8);
  return out;
}

describe('wav', () => {
  it('round-trips mono 16-bit PCM', () => {
    const pcm = new Float32Array([0, 0.5, -0.5, -1, 32767 / 32768]);
    const bytes = encodeWav(pcm, 16000);
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('RIFF');
    expect(bytes.length).toBe(44 + 10);
    const back = parseWav(bytes);
    expect(back.sampleRateHz).toBe(16000);
    expect([...back.pcm]).toEqual([...pcm]);
  });

  it('downmixes stereo and skips unknown chunks (with odd-size padding)', () => {
    const data = new Uint8Array(8);
    const v = new DataView(data.buffer);
    v.setInt16(0, 16384, true);
    v.setInt16(2, 0, true);
    v.setInt16(4, -32768, true);
    v.setInt16(6, -32768, true);
    const list = new Uint8Array(8 + 3 + 1); // 3-byte body + 1 pad byte
    const bytes = header({ channels: 2, rateHz: 44100, bits: 16, extra: list }, data);
    const wav = parseWav(bytes);
    expect(wav.sampleRateHz).toBe(44100);
    expect([...wav.pcm]).toEqual([0.25, -1]);
  });

  it('rejects what it cannot read with a clear message', () => {
    expect(() => parseWav(new Uint8Array(10))).toThrow(WavError);
    expect(() => parseWav(header({ channels: 1, rateHz: 16000, bits: 24 }, new Uint8Array(6)))).toThrow(/16-bit PCM/);
    expect(() => parseWav(header({ channels: 1, rateHz: 16000, bits: 32, format: 3 }, new Uint8Array(8)))).toThrow(/16-bit PCM/);
  });

  it('resamples whole files to the exact length, delay removed', () => {
    const pcm = Float32Array.from({ length: 44100 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 300 * i) / 44100));
    const out = resampleTo({ sampleRateHz: 44100, pcm }, 16000);
    expect(out.sampleRateHz).toBe(16000);
    expect(out.pcm.length).toBe(16000);
    // In phase with the source: compare a sample mid-file with the ideal tone at 16 kHz.
    const i = 8000;
    expect(out.pcm[i]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 300 * i) / 16000), 1);
  });
});
