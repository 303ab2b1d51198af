// Codec cores: a real Opus encode → decode round trip, decoder error paths, the resampler and the frame chunker.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { FrameChunker, Resampler } from '../../server/src/codec/audio.ts';
import { OpusPacketDecoder } from '../../server/src/codec/opus-decode.ts';
import { OpusFrameEncoder } from '../../server/src/codec/opus-encode.ts';
import { GatewayError } from '../../server/src/errors.ts';
import { isNarrowband } from '../../server/src/gateway/audio-in.ts';
import { nodeCodecs } from '../../client-sdk/src/node/opus.ts';
import { concat } from '../helpers/pcm.ts';

function tone(hz: number, rateHz: number, samples: number, amplitude = 0.5, phase = 0): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rateHz + phase));
}

/** Best normalised correlation of `got` against `want` over lags 0..maxLag (codec delay is not known exactly). */
function bestCorrelation(want: Float32Array, got: Float32Array, maxLag: number): { lag: number; r: number } {
  let best = { lag: 0, r: -1 };
  const n = Math.min(want.length, got.length) - maxLag;
  for (let lag = 0; lag <= maxLag; lag++) {
    let xy = 0, xx = 0, yy = 0;
    for (let i = 0; i < n; i++) {
      const x = want[i] as number;
      const y = got[i + lag] as number;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const r = xy / Math.sqrt(xx * yy);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('opus', () => {
  it.each([48000, 16000] as const)('round-trips a tone encoded at %i Hz, decoded straight to 16 kHz', (rateHz) => {
    const encoder = new OpusFrameEncoder({ sampleRateHz: rateHz });
    const decoder = OpusPacketDecoder.create(16000);
    const input = tone(440, rateHz, rateHz); // 1 s
    const chunker = FrameChunker.forDuration(rateHz, 20);
    const packets = chunker.push(input).map((f) => encoder.encode(f));
    expect(packets).toHaveLength(50);
    expect(Math.max(...packets.map((p) => p.length))).toBeLessThan(200); // ~24 kb/s
    const decoded = concat(...packets.map((p) => decoder.decode(p)));
    expect(decoded.length).toBe(16000);
    const reference = tone(440, 16000, 16000);
    const { r, lag } = bestCorrelation(reference.subarray(1600), decoded.subarray(1600), 400);
    expect(r).toBeGreaterThan(0.98);
    expect(lag).toBeLessThan(400); // Opus look-ahead is a few ms
  });

  it('reports a corrupt packet as CODEC_DECODE_FAILED without printing, and an empty one as INVALID_AUDIO', () => {
    const decoder = OpusPacketDecoder.create(16000);
    const printed = vi.spyOn(console, 'error');
    const fail = (p: Uint8Array) => {
      try {
        decoder.decode(p);
      } catch (err) {
        return err instanceof GatewayError ? err.code : 'other';
      }
      return 'none';
    };
    expect(fail(new Uint8Array([0xff, 0xff, 0xff, 1, 2, 3]))).toBe('CODEC_DECODE_FAILED');
    expect(fail(new Uint8Array(0))).toBe('INVALID_AUDIO');
    expect(printed).not.toHaveBeenCalled();
    printed.mockRestore();
    // The decoder still works after a bad packet.
    const good = new OpusFrameEncoder({ sampleRateHz: 16000 }).encode(tone(300, 16000, 320));
    expect(decoder.decode(good).length).toBe(320);
  });

  // A call makes one decoder on each side. opus-decoder's WASM decoders, a memory each, ran a full garbage collection
  // about once per three created (95 in 300); a pause of the event loop every caller shares.
  it('makes a decoder per call, on the gateway and in the Node SDK, without full garbage collections', async () => {
    const packet = new OpusFrameEncoder({ sampleRateHz: 48000 }).encode(tone(300, 48000, 960));
    const major: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major.push(e.duration);
    });
    observer.observe({ entryTypes: ['gc'] });
    let samples = 0;
    for (let i = 0; i < 300; i++) {
      samples += OpusPacketDecoder.create(16000).decode(packet).length;
      samples += (await nodeCodecs.createOpusDecoder(16000)).decode(packet).length;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries are delivered asynchronously
    observer.disconnect();
    expect(samples).toBe(600 * 320);
    expect(major.length).toBeLessThan(10);
  });

  it('refuses frames of the wrong length', () => {
    expect(() => new OpusFrameEncoder({ sampleRateHz: 48000 }).encode(new Float32Array(100))).toThrow(RangeError);
  });
});

describe('resampler', () => {
  it.each([
    [16000, 48000],
    [48000, 16000],
    [44100, 16000],
    [22050, 48000],
  ])('%i → %i Hz keeps a 1 kHz tone within 1%% after the filter delay', (fromHz, toHz) => {
    const r = new Resampler(fromHz, toHz);
    const out = concat(r.push(tone(1000, fromHz, fromHz / 2)), r.flush());
    const expected = Math.round(toHz / 2);
    const delay = Math.ceil(r.delaySamples);
    expect(out.length).toBeGreaterThanOrEqual(expected);
    expect(out.length - expected).toBeLessThanOrEqual(delay + 2);
    // Compare the steady part with the ideal tone at the output rate, delayed by the filter's (fractional) delay.
    let maxErr = 0;
    for (let i = Math.round(toHz * 0.05); i < expected - Math.round(toHz * 0.05); i++) {
      const ideal = 0.5 * Math.sin((2 * Math.PI * 1000 * (i - r.delaySamples)) / toHz);
      maxErr = Math.max(maxErr, Math.abs((out[i] as number) - ideal));
    }
    expect(maxErr).toBeLessThan(0.005); // 1 % of the 0.5 amplitude
  });

  it('gives the same output in blocks of any size as in one piece (streaming == offline)', () => {
    const input = tone(523, 16000, 4000);
    const whole = new Resampler(16000, 48000).push(input);
    const streaming = new Resampler(16000, 48000);
    const parts: Float32Array[] = [];
    for (let at = 0, step = 1; at < input.length; at += step, step = (step * 7) % 333 + 1) {
      parts.push(streaming.push(input.subarray(at, Math.min(input.length, at + step))));
    }
    const joined = concat(...parts);
    expect(joined.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(joined[i]).toBeCloseTo(whole[i] as number, 6);
  });

  it('removes content above the new Nyquist frequency when downsampling', () => {
    const out = new Resampler(48000, 16000).push(tone(12000, 48000, 48000));
    expect(rms(out.subarray(200))).toBeLessThan(0.005);
  });

  it('passes audio through untouched at equal rates', () => {
    const input = tone(440, 16000, 320);
    expect(new Resampler(16000, 16000).push(input)).toBe(input);
  });
});

describe('frame chunker', () => {
  it('cuts any block sizes into whole frames and pads the last on flush', () => {
    const chunker = FrameChunker.forDuration(16000, 20);
    expect(chunker.frameSamples).toBe(320);
    const input = Float32Array.from({ length: 1000 }, (_, i) => i + 1);
    const frames = [...chunker.push(input.subarray(0, 100)), ...chunker.push(input.subarray(100, 700)), ...chunker.push(input.subarray(700))];
    expect(frames).toHaveLength(3);
    expect(chunker.pendingSamples).toBe(40);
    const last = chunker.flush();
    expect(last).toHaveLength(1);
    expect(last[0]?.[39]).toBe(1000);
    expect(last[0]?.[40]).toBe(0);
    expect(concat(...frames, ...last).subarray(0, 1000)).toEqual(input);
    expect(chunker.flush()).toEqual([]);
  });

  it('forgets a partial frame on reset', () => {
    const chunker = new FrameChunker(4);
    chunker.push(new Float32Array([1, 2]));
    chunker.reset();
    expect(chunker.push(new Float32Array([3, 4, 5, 6]))).toEqual([new Float32Array([3, 4, 5, 6])]);
  });
});

describe('telephone-band input', () => {
  it('is G.711 and PCM at 8 kHz or below, never Opus or wideband PCM', () => {
    expect(isNarrowband({ codec: 'pcmu', sampleRateHz: 8000 })).toBe(true);
    expect(isNarrowband({ codec: 'pcma', sampleRateHz: 8000 })).toBe(true);
    expect(isNarrowband({ codec: 'pcm16', sampleRateHz: 8000 })).toBe(true);
    expect(isNarrowband({ codec: 'pcm16', sampleRateHz: 16000 })).toBe(false);
    expect(isNarrowband({ codec: 'pcm16', sampleRateHz: 24000 })).toBe(false);
    expect(isNarrowband({ codec: 'opus', sampleRateHz: 48000 })).toBe(false);
  });
});
