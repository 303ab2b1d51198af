import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { DEFAULT_MODEL_DIR, loadManifest } from '../../server/src/runtimes/manifest.ts';
import { UnitEncoder } from '../../server/src/runtimes/unit-encoder.ts';
import { UnitMerger } from '../../server/src/pipeline/unit-merger.ts';
import { hasEspeak, speak } from './engine-speech.ts';

const modelDir = process.env['VOXGATE_MODEL_DIR'] ?? DEFAULT_MODEL_DIR;
const ready = existsSync(`${modelDir}/manifest.json`) && hasEspeak();

describeIf(ready, 'the shipped units.onnx')('unit encoder on the real units.onnx', () => {
  it('sliding windows give the whole-utterance units, before and after merging', async () => {
    const m = loadManifest(modelDir);
    const enc = await UnitEncoder.load(m.paths.units, m.units);
    const pcm = speak('what is two plus three', 'en-gb', 150);
    const whole = await enc.encodeUtterance(pcm);
    expect(whole).toHaveLength(Math.floor(pcm.length / m.units.hopSamples));
    expect(whole.every((u) => Number.isInteger(u) && u >= 0 && u < m.units.count)).toBe(true);
    for (const [slice, runEveryMs] of [[320, 100], [512, 200], [1000, 10], [333, 150]] as const) {
      const stream = enc.openStream({ runEveryMs, sampleRateHz: m.sampleRateHz });
      const merger = new UnitMerger(m.units.mergeRepeats);
      const raw: number[] = [];
      const merged: number[] = [];
      for (let at = 0; at < pcm.length; at += slice) {
        const u = await stream.push(pcm.subarray(at, at + slice));
        raw.push(...u);
        merged.push(...merger.push(u));
      }
      const tail = await stream.flush();
      raw.push(...tail);
      merged.push(...merger.push(tail));
      expect(raw, `slices of ${slice}, every ${runEveryMs} ms`).toEqual(whole);
      expect(merged).toEqual(new UnitMerger(m.units.mergeRepeats).push(whole));
    }
    await enc.close();
  });

  it('windows run early (a pause) and an end that encodes only the useful part keep the whole-utterance units', async () => {
    const m = loadManifest(modelDir);
    const enc = await UnitEncoder.load(m.paths.units, m.units);
    const pcm = speak('spell house', 'en-us', 160);
    const hop = m.units.hopSamples;
    const whole = await enc.encodeUtterance(pcm);
    const useful = Math.floor((pcm.length * 0.8) / hop) * hop;
    // Runs of 10 s: only runNow (twice, a pause's early window) and the flush run the model.
    const stream = enc.openStream({ runEveryMs: 10_000, sampleRateHz: m.sampleRateHz });
    const raw: number[] = [];
    const pauses = [Math.floor(pcm.length / 4), Math.floor(pcm.length / 2)];
    for (let at = 0; at < pcm.length; at += 320) {
      raw.push(...(await stream.push(pcm.subarray(at, at + 320))));
      if (pauses.some((p) => p >= at && p < at + 320)) {
        raw.push(...(await stream.runNow()));
        expect(stream.encodedSamples).toBe(Math.floor(Math.min(pcm.length, at + 320) / hop) * hop);
      }
    }
    raw.push(...(await stream.flush(useful)));
    expect(stream.encodedSamples).toBe(useful);
    expect(raw).toEqual(whole.slice(0, useful / hop));
    await enc.close();
  });
});
