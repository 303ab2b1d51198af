// The unit encoder's windows in a worker thread (server/src/runtimes/unit-encoder-thread.ts) on the shipped
// units.onnx: the same units as the inline encoder, streamed or whole; the event loop left free while a window
// runs; a worker that dies turns into INTERNAL for the windows it held, then inline encoding: never a crash.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compareLoopGaps, medianOf3 } from '../helpers/loop-gap.ts';
import { describeIf } from '../helpers/requires.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { runOneTurn } from '../../server/src/engine/one-turn.ts';
import { DEFAULT_MODEL_DIR, loadManifest } from '../../server/src/runtimes/manifest.ts';
import { UnitEncoder, withLeftContext } from '../../server/src/runtimes/unit-encoder.ts';
import { UnitEncoderThread } from '../../server/src/runtimes/unit-encoder-thread.ts';
import { hasEspeak, speak } from './engine-speech.ts';

const modelDir = process.env['VOXGATE_MODEL_DIR'] ?? DEFAULT_MODEL_DIR;
const READY = existsSync(join(modelDir, 'manifest.json')) && hasEspeak();

describeIf(READY, 'the shipped units.onnx and espeak-ng')('UnitEncoderThread on the shipped units.onnx', () => {
  const m = READY ? loadManifest(modelDir) : undefined;
  let inline: UnitEncoder;
  let threaded: UnitEncoderThread;

  beforeAll(async () => {
    inline = await UnitEncoder.load(m!.paths.units, m!.units);
    threaded = await UnitEncoderThread.open(m!.paths.units, inline, m!.sampleRateHz);
  });
  afterAll(async () => {
    await threaded?.close();
    await inline?.close();
  });

  it('streams the same units as the inline encoder does whole, for callers speaking at once', async () => {
    const speech = [speak('what is two plus three', 'en-gb', 150), speak('spell house', 'en-us', 170), speak('count to five', 'en-us', 140, 70)];
    const want = await Promise.all(speech.map((pcm) => inline.encodeUtterance(pcm)));
    const got = await Promise.all(
      speech.map(async (pcm) => {
        const stream = threaded.openStream({ sampleRateHz: m!.sampleRateHz, runEveryMs: 100 });
        const units: number[] = [];
        for (let at = 0; at < pcm.length; at += 320) units.push(...(await stream.push(pcm.subarray(at, at + 320))));
        units.push(...(await stream.flush()));
        return units;
      }),
    );
    expect(threaded.threaded).toBe(true);
    for (const [i, units] of got.entries()) {
      expect(units.length).toBeGreaterThan(50);
      expect(units).toEqual(want[i]);
    }
    expect(await threaded.encodeWindow(new Float32Array(m!.units.leftContextSamples))).toEqual([]);
  });

  it('leaves the event loop free while a window runs (inline holds it for the whole run)', async () => {
    // A long window (5 s after its context), so one run is tens of ms: well above a 1 ms tick's own jitter.
    const window = withLeftContext(speak('one two three four five six seven eight nine ten', 'en-us', 120), m!.units.leftContextSamples);
    await inline.encodeWindow(window);
    await threaded.encodeWindow(window);
    const g = await compareLoopGaps(() => inline.encodeWindow(window), () => threaded.encodeWindow(window));
    console.info(
      `unit-encoder-thread: event-loop max delay inline ${g.inlineGapMs.map((x) => x.toFixed(1)).join('/')} ms ` +
        `(share of its run ${g.inlineShare.map((x) => x.toFixed(2)).join('/')}), worker ${g.workerGapMs.map((x) => x.toFixed(1)).join('/')} ms; ` +
        `loop turns during the call inline ${g.inlineTurns.join('/')}, worker ${g.workerTurns.join('/')}`,
    );
    expect(medianOf3(g.inlineShare)).toBeGreaterThan(0.5);
    // The worker's call lets the loop turn while it waits; the longest gap alone is at the mercy of other test files
    // sharing the two cores (one descheduling of this process is a gap in either arm).
    expect(medianOf3(g.workerTurns)).toBeGreaterThan(10 * Math.max(1, medianOf3(g.inlineTurns)));
  });
});

describeIf(READY, 'the shipped units.onnx and espeak-ng')('UnitEncoderThread when its worker dies', () => {
  it('fails the windows in flight with INTERNAL, then encodes inline', async () => {
    const m = loadManifest(modelDir);
    const inline = await UnitEncoder.load(m.paths.units, m.units);
    const threaded = await UnitEncoderThread.open(m.paths.units, inline, m.sampleRateHz);
    try {
      const pcm = withLeftContext(speak('what day comes after monday'), m.units.leftContextSamples);
      const inFlight = threaded.encodeWindow(pcm);
      // The worker reports a crash (the test reaches the private field on purpose); terminating it would race its
      // native run, which aborts the process.
      const worker = (threaded as unknown as { thread: { worker: { emit(event: 'error', err: Error): boolean } } }).thread.worker;
      worker.emit('error', new Error('simulated crash'));
      await expect(inFlight).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(threaded.threaded).toBe(false);
      expect(await threaded.encodeWindow(pcm)).toEqual(await inline.encodeWindow(pcm));
    } finally {
      await threaded.close();
      await inline.close();
    }
  });

  it('names the file when the worker cannot load it', async () => {
    const m = loadManifest(modelDir);
    const inline = await UnitEncoder.load(m.paths.units, m.units);
    try {
      await expect(UnitEncoderThread.open(join(modelDir, 'does-not-exist.onnx'), inline, m.sampleRateHz)).rejects.toMatchObject({
        code: 'MODEL_INVALID',
        message: expect.stringContaining('does-not-exist.onnx'),
      });
    } finally {
      await inline.close();
    }
  });
});

describeIf(READY, 'the shipped model and espeak-ng')('the engine with its unit encoder in a worker thread', () => {
  it('hears a spoken question as the inline encoder makes it hear it, and answers the same', async () => {
    const pcm = speak('what is two plus three', 'en-gb', 150);
    const answers = [];
    for (const encoderThread of ['inline', 'worker'] as const) {
      const engine = await createEngine({ modelDir, maxSessions: 1, vad: 'off', encoderThread, vocoderThread: 'inline' });
      try {
        const r = await runOneTurn(engine, { mode: 'speech-to-text', pcm, chunkSamples: 320 });
        answers.push({ transcript: r.transcript, answer: r.answer, inputUnits: r.timings.inputUnits });
      } finally {
        await engine.close();
      }
    }
    expect(answers[0]!.transcript).toMatch(/plus/);
    expect(answers[0]!.inputUnits).toBeGreaterThan(10);
    expect(answers[1]).toEqual(answers[0]);
  });
});
