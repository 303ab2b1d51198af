import { describe, expect, it } from 'vitest';
import { SpeechTrimmer } from '../../server/src/pipeline/speech-trim.ts';

/** The recipe's trim_silence, for reference. */
function trimReference(pcm: Float32Array, threshold = 0.003, pad = 800): Float32Array {
  let first = -1;
  let last = -1;
  pcm.forEach((x, i) => {
    if (Math.abs(x) > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return pcm.slice(0, pad);
  return pcm.slice(Math.max(0, first - pad), Math.min(pcm.length, last + pad));
}

function utterance(): Float32Array {
  const parts: [number, number][] = [[3000, 0], [5000, 0.3], [300, 0], [1000, 0.2], [4000, 0.001]];
  const out = new Float32Array(parts.reduce((n, [len]) => n + len, 0));
  let at = 0;
  for (const [len, amp] of parts) {
    for (let i = 0; i < len; i++) out[at + i] = amp * Math.sin(i * 0.3);
    at += len;
  }
  return out;
}

describe('SpeechTrimmer', () => {
  const hop = 160;
  const pcm = utterance();
  const reference = trimReference(pcm);
  const referenceUnits = Math.floor(reference.length / hop);

  for (const chunk of [1, 100, 160, 512, 4000, pcm.length]) {
    it(`keeps the recipe's trimmed utterance when fed ${chunk} samples at a time`, () => {
      const t = new SpeechTrimmer({ hopSamples: hop });
      const passed: number[] = [];
      const units: number[] = [];
      let hops = 0;
      let pending = 0;
      for (let at = 0; at < pcm.length; at += chunk) {
        const out = t.pushAudio(pcm.subarray(at, at + chunk));
        passed.push(...out);
        pending += out.length;
        // Stand-in encoder: one unit per whole hop, numbered.
        const ids: number[] = [];
        while (pending >= hop) {
          ids.push(hops++);
          pending -= hop;
        }
        units.push(...t.pushUnits(ids));
      }
      units.push(...t.end());
      expect(Float32Array.from(passed.slice(0, reference.length))).toEqual(reference);
      expect(units).toEqual(Array.from({ length: referenceUnits }, (_, i) => i));
    });
  }

  it('holds units during a pause and releases them when speech resumes', () => {
    const t = new SpeechTrimmer({ hopSamples: 10, padSamples: 20, threshold: 0.1 });
    t.pushAudio(Float32Array.from({ length: 50 }, () => 0.5));
    expect(t.pushUnits([0, 1, 2, 3, 4])).toEqual([0, 1, 2, 3, 4]);
    t.pushAudio(new Float32Array(100));
    // Speech ends at sample 49: the recipe keeps floor((49 + 20) / 10) = 6 units; 6.. are held.
    expect(t.pushUnits([5, 6, 7, 8, 9, 10, 11, 12, 13, 14])).toEqual([5]);
    t.pushAudio(Float32Array.from({ length: 10 }, () => 0.5));
    expect(t.pushUnits([15])).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    t.pushAudio(new Float32Array(100));
    expect(t.pushUnits([16, 17, 18, 19, 20])).toEqual([16]);
    expect(t.end()).toEqual([]);
  });

  it('says how much of the audio so far its kept units cover (speech and pad, whole hops)', () => {
    const t = new SpeechTrimmer({ hopSamples: 10, padSamples: 20, threshold: 0.1 });
    expect(t.pushAudio(new Float32Array(100))).toHaveLength(0);
    expect(t.keptSamples).toBe(0);
    t.pushAudio(Float32Array.from({ length: 50 }, () => 0.5));
    // 20 samples of lead-in pad, then speech to sample 69: units ending by 69 + 20 are kept, 8 whole hops.
    expect(t.passedSamples).toBe(70);
    expect(t.keptSamples).toBe(80);
    t.pushAudio(new Float32Array(300));
    expect(t.passedSamples).toBe(370);
    expect(t.keptSamples).toBe(80);
    expect(t.pushUnits(Array.from({ length: 37 }, (_, i) => i))).toHaveLength(8);
    expect(t.end()).toEqual([]);
  });

  it('passes nothing before speech and keeps only padSamples of lead-in', () => {
    const t = new SpeechTrimmer({ hopSamples: 10, padSamples: 20 });
    expect(t.pushAudio(new Float32Array(1000))).toHaveLength(0);
    expect(t.hasSpeech).toBe(false);
    expect(t.pushUnits([1, 2])).toEqual([]);
    const out = t.pushAudio(Float32Array.from([0, 0, 0.5, 0.5]));
    expect(out).toHaveLength(22);
    expect(t.hasSpeech).toBe(true);
  });
});
