// Per-frame cost of the gateway's audio path (one 20 ms frame per operation), to size callers per core.
// Run: npx tsx bench/codec-frame-cost.ts
import { FrameChunker, Resampler, float32ToPcm16Bytes, pcm16BytesToFloat32 } from '../server/src/codec/audio.ts';
import { OpusPacketDecoder } from '../server/src/codec/opus-decode.ts';
import { OpusFrameEncoder } from '../server/src/codec/opus-encode.ts';
import { Pacer } from '../server/src/codec/pacer.ts';

const FRAMES = 2000;

function speechLike(rateHz: number, samples: number): Float32Array {
  // A few harmonics with a slow envelope: closer to voiced speech than a pure tone for the encoder.
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / rateHz;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    return 0.3 * env * (Math.sin(2 * Math.PI * 140 * t) + 0.5 * Math.sin(2 * Math.PI * 280 * t) + 0.25 * Math.sin(2 * Math.PI * 1120 * t));
  });
}

function frames(rateHz: number): Float32Array[] {
  return new FrameChunker((rateHz * 20) / 1000).push(speechLike(rateHz, (rateHz * 20 * FRAMES) / 1000));
}

function bench(name: string, run: (i: number) => void): void {
  for (let i = 0; i < 200; i++) run(i % FRAMES); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) run(i);
  const perFrameMs = (performance.now() - t0) / FRAMES;
  // One caller produces 50 frames per second in each direction that uses this step.
  const streamsPerCore = Math.floor(1000 / (perFrameMs * 50));
  console.log(`${name.padEnd(44)} ${perFrameMs.toFixed(4).padStart(8)} ms/frame  ~${String(streamsPerCore).padStart(6)} streams/core`);
}

const f48 = frames(48000);
const f16 = frames(16000);
const enc48 = new OpusFrameEncoder({ sampleRateHz: 48000 });
const enc16 = new OpusFrameEncoder({ sampleRateHz: 16000 });
const packets48 = f48.map((f) => enc48.encode(f));
const packets16 = f16.map((f) => enc16.encode(f));
const dec = OpusPacketDecoder.create(16000);
const pcmBytes = f16.map((f) => float32ToPcm16Bytes(f));

console.log(`voxgate codec bench, ${FRAMES} frames of 20 ms, Node ${process.version}`);
bench('opus encode 48 kHz (@evan/opus)', (i) => enc48.encode(f48[i] as Float32Array));
bench('opus encode 16 kHz (@evan/opus)', (i) => enc16.encode(f16[i] as Float32Array));
bench('opus decode 48k packet → 16 kHz (@evan/opus)', (i) => dec.decode(packets48[i] as Uint8Array));
bench('opus decode 16k packet → 16 kHz (@evan/opus)', (i) => dec.decode(packets16[i] as Uint8Array));
const up = new Resampler(16000, 48000);
bench('resample 16 → 48 kHz (320 → 960 samples)', (i) => up.push(f16[i] as Float32Array));
const down = new Resampler(48000, 16000);
bench('resample 48 → 16 kHz (960 → 320 samples)', (i) => down.push(f48[i] as Float32Array));
bench('pcm16 bytes → float32 (320 samples)', (i) => pcm16BytesToFloat32(pcmBytes[i] as Uint8Array));
bench('float32 → pcm16 bytes (320 samples)', (i) => float32ToPcm16Bytes(f16[i] as Float32Array));
const pacer = new Pacer<number>({ leadMs: 150, capacity: 4096 });
bench('pacer push + take', (i) => {
  pacer.push(i, 20);
  pacer.take(i * 20);
});
const out = new Resampler(16000, 48000);
const chunk = new FrameChunker(960);
const enc = new OpusFrameEncoder({ sampleRateHz: 48000 });
bench('output path: 16k → 48k → Opus (one frame)', (i) => {
  for (const f of chunk.push(out.push(f16[i] as Float32Array))) enc.encode(f);
});
