// Vocoding in a worker thread (server/src/runtimes/vocoder-thread.ts) on the shipped vocoder.onnx: the same
// samples as inline vocoding, the same errors for bad units, the event loop left free while it runs, and a
// worker that dies turns into errors for the requests it held, then inline vocoding: never a crash.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareLoopGaps, medianOf3 } from '../helpers/loop-gap.ts';
import { describeIf } from '../helpers/requires.ts';
import { openVocoder, type VocoderRuntime } from '../../server/src/runtimes/vocoder.ts';
import { VocoderThread } from '../../server/src/runtimes/vocoder-thread.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VOCODER = join(REPO, 'models/voxgate-tiny-en/vocoder.onnx');
const PRESENT = existsSync(VOCODER);
if (!PRESENT) console.warn(`vocoder-thread: skipped, ${VOCODER} is absent`);

/** A deterministic unit string of `n` merged units (no two neighbours equal). */
function units(n: number, seed: number): number[] {
  const out: number[] = [];
  let x = seed;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const u = x % 128;
    if (u !== out[out.length - 1]) out.push(u);
  }
  return out;
}

describeIf(PRESENT, 'the shipped vocoder')('VocoderThread on the shipped vocoder', () => {
  let inline: VocoderRuntime;
  let threaded: VocoderThread;

  beforeAll(async () => {
    inline = await openVocoder(VOCODER, { hopSamples: 160, unitCount: 128 });
    threaded = await VocoderThread.open(VOCODER, inline);
  });
  afterAll(async () => {
    await threaded?.close();
  });

  it('gives the same samples and durations as inline vocoding, for requests in flight together', async () => {
    const inputs = [units(12, 1), units(40, 2), units(57, 3)];
    const [a, b, c] = await Promise.all(inputs.map((u) => threaded.vocode(u)));
    const want = await Promise.all(inputs.map((u) => inline.vocode(u)));
    expect(threaded.threaded).toBe(true);
    for (const [got, exp] of [[a, want[0]], [b, want[1]], [c, want[2]]] as const) {
      expect(got!.durationsFrames).toEqual(exp!.durationsFrames);
      expect(got!.audio.length).toBe(exp!.audio.length);
      expect(Array.from(got!.audio)).toEqual(Array.from(exp!.audio));
    }
    expect((await threaded.vocode([])).audio.length).toBe(0);
  });

  it('serves waiting requests earliest deadline first, and predicts the wait from its learned cost', async () => {
    const busy = threaded.vocode(units(200, 5), { deadlineMs: 0 });
    const order: number[] = [];
    const idle = threaded.readyInMs(48, 150);
    const queued = [300, 100, 200].map((deadlineMs) => threaded.vocode(units(30, deadlineMs), { deadlineMs }).then(() => order.push(deadlineMs)));
    // A request due at 150 waits behind the one due at 100 (and the running one), not behind those due later.
    const behind = threaded.readyInMs(48, 150);
    expect(behind).toBeGreaterThan(idle);
    expect(behind).toBeLessThan(threaded.readyInMs(48, 1_000));
    await Promise.all([busy, ...queued]);
    expect(order).toEqual([100, 200, 300]);
    expect(threaded.cost.observations).toBeGreaterThanOrEqual(4);
    expect(threaded.cost.runMs(48)).toBeGreaterThan(threaded.cost.runMs(16));
  });

  it('refuses unit ids outside the model with MODEL_OUTPUT_MALFORMED, as inline does', async () => {
    await expect(threaded.vocode([1, 2, 128])).rejects.toMatchObject({ code: 'MODEL_OUTPUT_MALFORMED' });
    await expect(threaded.vocode([1, -1])).rejects.toMatchObject({ code: 'MODEL_OUTPUT_MALFORMED' });
    expect(threaded.threaded).toBe(true);
  });

  it('leaves the event loop free while it vocodes (inline blocks it for the whole call)', async () => {
    const long = units(300, 7);
    await inline.vocode(long);
    await threaded.vocode(long);
    const g = await compareLoopGaps(() => inline.vocode(long), () => threaded.vocode(long));
    console.info(
      `vocoder-thread: event-loop max delay inline ${g.inlineGapMs.map((x) => x.toFixed(1)).join('/')} ms ` +
        `(share of its call ${g.inlineShare.map((x) => x.toFixed(2)).join('/')}), worker ${g.workerGapMs.map((x) => x.toFixed(1)).join('/')} ms; ` +
        `loop turns during the call inline ${g.inlineTurns.join('/')}, worker ${g.workerTurns.join('/')}`,
    );
    // The inline call holds the loop for about its whole duration; the worker's call does not.
    expect(medianOf3(g.inlineShare)).toBeGreaterThan(0.5);
    // The worker's call lets the loop turn while it waits; the longest gap alone is at the mercy of other test files
    // sharing the two cores (one descheduling of this process is a gap in either arm).
    expect(medianOf3(g.workerTurns)).toBeGreaterThan(10 * Math.max(1, medianOf3(g.inlineTurns)));
  });
});

describeIf(PRESENT, 'the shipped vocoder')('VocoderThread when its worker dies', () => {
  it('fails the requests in flight with INTERNAL, then vocodes inline', async () => {
    const inline = await openVocoder(VOCODER, { hopSamples: 160, unitCount: 128 });
    const threaded = await VocoderThread.open(VOCODER, inline);
    try {
      const inFlight = threaded.vocode(units(200, 9));
      // The worker reports a crash (the test reaches the private field on purpose). Terminating it here instead
      // would race its native run, which aborts the process; close() below waits for that run to end.
      const worker = (threaded as unknown as { thread: { worker: { emit(event: 'error', err: Error): boolean } } }).thread.worker;
      worker.emit('error', new Error('simulated crash'));
      await expect(inFlight).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(threaded.threaded).toBe(false);
      const after = await threaded.vocode(units(20, 4));
      const want = await inline.vocode(units(20, 4));
      expect(Array.from(after.audio)).toEqual(Array.from(want.audio));
    } finally {
      await threaded.close();
    }
  });

  it('names the file when the worker cannot load it', async () => {
    const inline = await openVocoder(VOCODER, { hopSamples: 160, unitCount: 128 });
    await expect(VocoderThread.open(join(REPO, 'models/does-not-exist.onnx'), inline)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('does-not-exist.onnx'),
    });
  });
});
