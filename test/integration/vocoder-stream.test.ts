// Chunked vocoding must sound like whole-utterance vocoding: same samples count, spectra within
// 1 dB, no clicks where one call's audio hands over to the next. Runs a real onnxruntime session
// on a real vocoder.onnx: the shipped one when present, and a smoke one built by the recipe.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { concat } from '../helpers/pcm.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openVocoder, type UnitVocoder, type VocodeResult, type VocoderRuntime } from '../../server/src/runtimes/vocoder.ts';
import { VocoderStream, DEFAULT_CROSSFADE_SAMPLES, chunkUnitsAt, type VocoderStreamOptions } from '../../server/src/runtimes/vocoder-stream.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3';
// VOXGATE_VOCODER_ONNX points the shipped-model suite at another build (e.g. a recipe work folder).
const SHIPPED = process.env['VOXGATE_VOCODER_ONNX'] ?? join(REPO, 'models/voxgate-tiny-en/vocoder.onnx');
const SMOKE_SCRIPT = join(REPO, 'models/recipe/voxgate_recipe/make_smoke_vocoder.py');
const HOP_SAMPLES = 160;
const UNIT_COUNT = 128;
const CHUNKING: VocoderStreamOptions = { firstChunkUnits: 10, chunkUnits: 40, leftContextUnits: 8, lookaheadUnits: 2 };

// Tolerances for streamed vs whole. Measured with the phase-head vocoders (smoke and shipped): LSD ≤ 0.003 dB,
// SNR 62–77 dB, as each chunk sees the context its samples depend on (the Griffin-Lim vocoders before them
// gave LSD 0.32–0.41 dB, SNR 12–27 dB: their phase depended on where a call began).
const MAX_LOG_SPECTRAL_DISTANCE_DB = 0.2;
const MIN_SNR_DB = 40;
const MAX_JOIN_SLOPE_RATIO = 1.5;

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.warn(`vocoder-stream: ${PYTHON} lacks torch/onnx, so the smoke vocoder cannot be built; its tests are skipped`);

/** Pushes units in uneven slices, as an LM's output arrives, then flushes. */
async function streamAll(
  vocoder: UnitVocoder,
  units: readonly number[],
  chunking: VocoderStreamOptions,
  slices = [1, 3, 7, 2, 11, 5],
): Promise<Float32Array[]> {
  const stream = new VocoderStream(vocoder, chunking);
  const parts: Float32Array[] = [];
  for (let at = 0, i = 0; at < units.length; i++) {
    const n = slices[i % slices.length] ?? 1;
    parts.push(...(await stream.push(units.slice(at, at + n))));
    at += n;
  }
  parts.push(await stream.flush());
  return parts;
}

function snrDb(reference: Float32Array, test: Float32Array): number {
  let signal = 0;
  let error = 0;
  reference.forEach((r, i) => {
    signal += r * r;
    error += (r - (test[i] ?? 0)) ** 2;
  });
  return 10 * Math.log10(signal / Math.max(error, 1e-20));
}

const FFT_SAMPLES = 512;
const BINS = FFT_SAMPLES / 2 + 1;
const COS = Float64Array.from({ length: BINS * FFT_SAMPLES }, (_, i) => Math.cos((2 * Math.PI * Math.floor(i / FFT_SAMPLES) * (i % FFT_SAMPLES)) / FFT_SAMPLES));
const SIN = Float64Array.from({ length: BINS * FFT_SAMPLES }, (_, i) => Math.sin((2 * Math.PI * Math.floor(i / FFT_SAMPLES) * (i % FFT_SAMPLES)) / FFT_SAMPLES));
const HANN = Float64Array.from({ length: FFT_SAMPLES }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / FFT_SAMPLES));

/** Power spectrogram in dB, Hann 512, hop 160: a plain DFT is fast enough for a few seconds. */
function powerDb(signal: Float32Array): Float64Array[] {
  const frames: Float64Array[] = [];
  const x = new Float64Array(FFT_SAMPLES);
  for (let start = 0; start + FFT_SAMPLES <= signal.length; start += HOP_SAMPLES) {
    for (let n = 0; n < FFT_SAMPLES; n++) x[n] = (signal[start + n] ?? 0) * (HANN[n] ?? 0);
    const frame = new Float64Array(BINS);
    for (let k = 0; k < BINS; k++) {
      let re = 0;
      let im = 0;
      const row = k * FFT_SAMPLES;
      for (let n = 0; n < FFT_SAMPLES; n++) {
        re += (x[n] ?? 0) * (COS[row + n] ?? 0);
        im -= (x[n] ?? 0) * (SIN[row + n] ?? 0);
      }
      frame[k] = 10 * Math.log10(re * re + im * im + 1e-10);
    }
    frames.push(frame);
  }
  return frames;
}

/** RMS dB difference per frame, averaged over frames within 40 dB of the loudest; floors 80 dB under the peak. */
function logSpectralDistanceDb(reference: Float32Array, test: Float32Array): number {
  const ref = powerDb(reference);
  const tst = powerDb(test);
  const peak = Math.max(...ref.map((f) => Math.max(...f)));
  const floor = peak - 80;
  const energies = ref.map((f) => 10 * Math.log10(f.reduce((s, db) => s + 10 ** (Math.max(db, floor) / 10), 0) / BINS));
  const loudest = Math.max(...energies);
  let sum = 0;
  let count = 0;
  ref.forEach((f, t) => {
    if ((energies[t] ?? -Infinity) <= loudest - 40) return;
    let sq = 0;
    f.forEach((db, k) => (sq += (Math.max(db, floor) - Math.max(tst[t]?.[k] ?? floor, floor)) ** 2));
    sum += Math.sqrt(sq / BINS);
    count += 1;
  });
  return sum / count;
}

/** Largest sample-to-sample step in [from, to): a click is a step far above the signal's own. */
function maxSlope(signal: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = Math.max(1, from); i < Math.min(signal.length, to); i++) max = Math.max(max, Math.abs((signal[i] ?? 0) - (signal[i - 1] ?? 0)));
  return max;
}

/** Where each call after the first takes over: the start of the units the previous one held back. */
function handoverSamples(durationsFrames: number[], chunking: VocoderStreamOptions): number[] {
  const out: number[] = [];
  let units = chunkUnitsAt(chunking, 0);
  for (let k = 1; units < durationsFrames.length; k++) {
    const held = units - (chunking.lookaheadUnits ?? 0);
    out.push(durationsFrames.slice(0, held).reduce((a, b) => a + b, 0) * HOP_SAMPLES);
    units += chunkUnitsAt(chunking, k);
  }
  return out;
}

/** Deterministic unit sequences without repeats, for a model whose own unit data is not at hand. */
function pseudoUnits(count: number, seed: number): number[] {
  let state = seed;
  const units: number[] = [];
  while (units.length < count) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const unit = Math.floor((state / 2147483648) * UNIT_COUNT);
    if (unit !== units[units.length - 1]) units.push(unit);
  }
  return units;
}

interface Loaded {
  vocoder: VocoderRuntime;
  sequences: number[][];
  chunking: VocoderStreamOptions;
}

function suite(name: string, load: () => Promise<Loaded>): void {
  describe(name, () => {
    let vocoder: VocoderRuntime;
    let sequences: number[][];
    let chunking: VocoderStreamOptions;
    beforeAll(async () => ({ vocoder, sequences, chunking } = await load()));

    it('vocodes a whole utterance into sum(durations) * hop samples, deterministically', async () => {
      const units = sequences[0] ?? [];
      const a = await vocoder.vocode(units);
      const b = await vocoder.vocode(units);
      expect(a.durationsFrames).toHaveLength(units.length);
      expect(Math.min(...a.durationsFrames)).toBeGreaterThanOrEqual(1);
      expect(a.audio.length).toBe(a.durationsFrames.reduce((s, d) => s + d, 0) * HOP_SAMPLES);
      expect(b.audio).toEqual(a.audio);
      expect(await vocoder.vocodeAll(units)).toEqual(a.audio);
    });

    it('rejects ids that are not units', async () => {
      await expect(vocoder.vocode([1, UNIT_COUNT])).rejects.toMatchObject({ code: 'MODEL_OUTPUT_MALFORMED' });
      await expect(vocoder.vocode([1, -1])).rejects.toMatchObject({ code: 'MODEL_OUTPUT_MALFORMED' });
      expect((await vocoder.vocode([])).audio).toHaveLength(0);
    });

    it('streams audio equal to whole-utterance vocoding within tolerance, without clicks at hand-overs', async () => {
      for (const units of sequences) {
        const whole = await vocoder.vocode(units);
        const streamed = concat(...(await streamAll(vocoder, units, chunking)));
        expect(streamed.length).toBe(whole.audio.length);
        const lsd = logSpectralDistanceDb(whole.audio, streamed);
        const snr = snrDb(whole.audio, streamed);
        if (process.env['VOXGATE_PRINT_FIGURES']) {
          console.log(`${name}: ${units.length} units, ${(streamed.length / 16000).toFixed(2)} s: LSD ${lsd.toFixed(3)} dB, SNR ${snr.toFixed(1)} dB`);
        }
        expect(lsd).toBeLessThan(MAX_LOG_SPECTRAL_DISTANCE_DB);
        expect(snr).toBeGreaterThan(MIN_SNR_DB);
        for (const at of handoverSamples(whole.durationsFrames, chunking)) {
          const from = at - DEFAULT_CROSSFADE_SAMPLES - HOP_SAMPLES;
          const to = at + HOP_SAMPLES;
          expect(maxSlope(streamed, from, to)).toBeLessThanOrEqual(MAX_JOIN_SLOPE_RATIO * maxSlope(whole.audio, from, to) + 1e-4);
        }
      }
    });

    it('stays within tolerance of whole-utterance vocoding when chunks are cut early', async () => {
      for (const units of sequences) {
        const whole = await vocoder.vocode(units);
        const stream = new VocoderStream(vocoder, chunking);
        const parts: Float32Array[] = [];
        // Cut after every 7th unit, as an answer whose playout runs low would: chunks far smaller than the ramp's.
        for (let at = 0; at < units.length; at += 7) {
          parts.push(...(await stream.push(units.slice(at, at + 7))));
          parts.push(await stream.cut());
        }
        parts.push(await stream.flush());
        const streamed = concat(...parts);
        expect(streamed.length).toBe(whole.audio.length);
        expect(logSpectralDistanceDb(whole.audio, streamed)).toBeLessThan(MAX_LOG_SPECTRAL_DISTANCE_DB);
        expect(snrDb(whole.audio, streamed)).toBeGreaterThan(MIN_SNR_DB);
      }
    });

    it('serves two streams at once from the one shared session', async () => {
      const [a, b] = [sequences[0] ?? [], sequences[1] ?? sequences[0] ?? []];
      const alone = concat(...(await streamAll(vocoder, a, chunking)));
      const [together] = await Promise.all([streamAll(vocoder, a, chunking).then((parts) => concat(...parts)), streamAll(vocoder, b, chunking)]);
      expect(together).toEqual(alone);
    });
  });
}

describeIf(hasTorch, 'python3-torch (the recipe builds a smoke vocoder)')('vocoder stream on a smoke vocoder built by the recipe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-vocoder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  suite('smoke vocoder', async () => {
    const run = spawnSync(PYTHON, [SMOKE_SCRIPT, dir], { encoding: 'utf8', timeout: 110_000 });
    if (run.status !== 0) throw new Error(`make_smoke_vocoder.py failed (${run.status}):\n${run.stderr}`);
    const held = JSON.parse(readFileSync(join(dir, 'heldout-units.json'), 'utf8')) as {
      sequences: number[][];
      vocoder: VocoderStreamOptions;
    };
    const vocoder = await openVocoder(join(dir, 'vocoder.onnx'), { hopSamples: HOP_SAMPLES, unitCount: UNIT_COUNT });
    // Long enough for several hand-overs: the held-out sentences one after another.
    return { vocoder, sequences: [...held.sequences, held.sequences.flat()], chunking: held.vocoder };
  });
});

describeIf(existsSync(SHIPPED), 'the shipped vocoder')('vocoder stream on the shipped vocoder', () => {
  suite('shipped vocoder', async () => {
    // Chunk as the gateway would: from the model's manifest where it has one.
    const manifestFile = join(dirname(SHIPPED), 'manifest.json');
    const manifest = existsSync(manifestFile)
      ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { vocoder?: Partial<VocoderStreamOptions> })
      : {};
    return {
      vocoder: await openVocoder(SHIPPED, { hopSamples: HOP_SAMPLES, unitCount: UNIT_COUNT }),
      sequences: [pseudoUnits(120, 1), pseudoUnits(200, 2)],
      chunking: { ...CHUNKING, ...manifest.vocoder },
    };
  });
});

describe('VocoderStream bookkeeping (exact fake vocoder)', () => {
  // A phase-free fake with one unit of look-back and one of lookahead: each unit's samples depend
  // on it and its neighbours, so the stream must reproduce whole-utterance output exactly.
  const fake: UnitVocoder = {
    hopSamples: 4,
    async vocode(units: readonly number[]): Promise<VocodeResult> {
      const durationsFrames = units.map((u) => 1 + (u % 3));
      const audio: number[] = [];
      units.forEach((u, i) => {
        const neighbours = (units[i - 1] ?? -1) * 0.1 + (units[i + 1] ?? -1) * 0.01;
        for (let f = 0; f < (durationsFrames[i] ?? 1) * 4; f++) audio.push(Math.sin(u + neighbours + f * 0.001));
      });
      return { audio: Float32Array.from(audio), durationsFrames };
    },
  };

  it('emits the first chunk after firstChunkUnits, then chunks doubling up to chunkUnits, and equals whole vocoding', async () => {
    const units = pseudoUnits(95, 3);
    const chunking = { ...CHUNKING, lookaheadUnits: 1, crossfadeSamples: 6 };
    const stream = new VocoderStream(fake, chunking);
    const counts: number[] = [];
    const parts: Float32Array[] = [];
    for (const [from, to] of [[0, 9], [9, 10], [10, 49], [49, 50], [50, 95]] as const) {
      const chunks = await stream.push(units.slice(from, to));
      counts.push(chunks.length);
      parts.push(...chunks);
    }
    parts.push(await stream.flush());
    // Chunks of 10, 20, then 40 units: the second ready soon after the first's short audio.
    expect(counts).toEqual([0, 1, 1, 0, 1]);
    const streamed = concat(...parts);
    const whole = (await fake.vocode(units)).audio;
    expect(streamed.length).toBe(whole.length);
    streamed.forEach((s, i) => expect(s).toBeCloseTo(whole[i] ?? NaN, 6));
    expect(concat(...(await streamAll(fake, units, chunking, [2, 13, 1])))).toEqual(streamed);
  });

  it('says what its coming chunks wait for and how large their calls are', async () => {
    const stream = new VocoderStream(fake, CHUNKING);
    expect(stream.nextChunks(3)).toEqual([
      { missingUnits: 10, units: 10, callUnits: 10 },
      { missingUnits: 30, units: 20, callUnits: 28 },
      { missingUnits: 70, units: 40, callUnits: 48 },
    ]);
    await stream.push(pseudoUnits(14, 5));
    // The first chunk went (10 units, its history is context now); 4 of the second's 20 are in.
    expect(stream.nextChunks(2)).toEqual([
      { missingUnits: 16, units: 20, callUnits: 28 },
      { missingUnits: 56, units: 40, callUnits: 48 },
    ]);
    expect(stream.readyInMs(48)).toBe(0); // the fake cannot say
  });

  it('cuts a chunk early from the pending units, holding back the lookahead, and still equals whole vocoding', async () => {
    const units = pseudoUnits(60, 6);
    const chunking = { ...CHUNKING, lookaheadUnits: 2, crossfadeSamples: 6 };
    const stream = new VocoderStream(fake, chunking);
    const parts = [...(await stream.push(units.slice(0, 12)))]; // the first chunk (10 units) goes; 2 pending
    expect(stream.pendingUnits).toBe(2);
    // Two pending units are all lookahead: nothing of theirs could be emitted, so nothing is vocoded.
    expect(await stream.cut()).toHaveLength(0);
    expect(stream.pendingUnits).toBe(2);
    parts.push(...(await stream.push(units.slice(12, 17))));
    expect(stream.pendingUnits).toBe(7);
    const cut = await stream.cut();
    expect(cut.length).toBeGreaterThan(0);
    expect(stream.pendingUnits).toBe(0);
    parts.push(cut);
    // The ramp goes on after the cut chunk: the next (third) chunk is chunkUnits.
    expect(stream.nextChunks(1)).toEqual([{ missingUnits: 40, units: 40, callUnits: 48 }]);
    parts.push(...(await stream.push(units.slice(17))), await stream.flush());
    const whole = (await fake.vocode(units)).audio;
    const streamed = concat(...parts);
    expect(streamed.length).toBe(whole.length);
    streamed.forEach((x, i) => expect(x).toBeCloseTo(whole[i] ?? NaN, 6));
  });

  it('starts afresh after flush', async () => {
    const units = pseudoUnits(30, 4);
    const stream = new VocoderStream(fake, { ...CHUNKING, lookaheadUnits: 1 });
    const first = concat(...(await stream.push(units)), await stream.flush());
    const second = concat(...(await stream.push(units)), await stream.flush());
    expect(second).toEqual(first);
    expect(await stream.flush()).toHaveLength(0);
  });
});
