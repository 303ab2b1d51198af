// Prototypes for the capacity bench's A/B runs (`bench/capacity.ts --vocoder-worker --second-chunk-units N`):
// `voxgate serve` with
// - VOXGATE_BENCH_VOCODER_WORKER=1: VocoderRuntime.vocode() in one worker thread holding its own onnxruntime
//   session (onnxruntime-node runs `run()` on the calling thread, so inline vocoding blocks the event loop that
//   paces every caller's audio);
// - VOXGATE_BENCH_SECOND_CHUNK_UNITS=N: a second vocoder chunk of N units between the first and the regular ones,
//   so the next audio is ready before the first chunk has played out.
// Not the fixes themselves (they belong in server/src/runtimes/vocoder.ts and vocoder-stream.ts): measurements
// of what they buy.
//   VOXGATE_BENCH_VOCODER_WORKER=1 node --import tsx bench/capacity-prototypes.ts serve [serve flags]
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { GatewayError } from '../server/src/errors.ts';
import { DEFAULT_MODEL_DIR, loadManifest } from '../server/src/runtimes/manifest.ts';
import { VocoderRuntime, type VocodeResult } from '../server/src/runtimes/vocoder.ts';
import { VocoderStream } from '../server/src/runtimes/vocoder-stream.ts';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
const session = ort.InferenceSession.create(workerData.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
parentPort.on('message', async ({ id, units }) => {
  try {
    const out = await (await session).run({ units: new ort.Tensor('int64', BigInt64Array.from(units, (u) => BigInt(u)), [1, units.length]) });
    const audio = out.audio.data;
    parentPort.postMessage({ id, audio, durations: Array.from(out.durations.data, Number) }, [audio.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});`;

interface Reply {
  id: number;
  audio?: Float32Array;
  durations?: number[];
  error?: string;
}

/** The served model's vocoder file: --model, else VOXGATE_MODEL_DIR, else the shipped model (as serve decides). */
function vocoderPath(): string {
  const i = process.argv.indexOf('--model');
  const dir = (i >= 0 ? process.argv[i + 1] : undefined) ?? (process.env['VOXGATE_MODEL_DIR'] || DEFAULT_MODEL_DIR);
  return loadManifest(dir).paths.vocoder;
}

function moveVocodingToWorker(): void {
  const ort = createRequire(import.meta.url).resolve('onnxruntime-node');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ort, path: vocoderPath() } });
  worker.unref();
  const waiting = new Map<number, (r: Reply) => void>();
  let nextId = 0;
  worker.on('message', (r: Reply) => {
    waiting.get(r.id)?.(r);
    waiting.delete(r.id);
  });
  VocoderRuntime.prototype.vocode = async function vocode(this: VocoderRuntime, units: readonly number[]): Promise<VocodeResult> {
    if (units.length === 0) return { audio: new Float32Array(0), durationsFrames: [] };
    for (const [i, unit] of units.entries()) {
      if (!Number.isInteger(unit) || unit < 0 || unit >= this.unitCount) {
        throw new GatewayError('MODEL_OUTPUT_MALFORMED', `vocoder: unit ${unit} at ${i} is not an id in [0, ${this.unitCount})`);
      }
    }
    const id = nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      waiting.set(id, resolve);
      worker.postMessage({ id, units: [...units] });
    });
    if (reply.error !== undefined || reply.audio === undefined || reply.durations === undefined) {
      throw new GatewayError('INTERNAL', `vocoder worker: ${reply.error ?? 'no output'}`);
    }
    return { audio: reply.audio, durationsFrames: reply.durations };
  };
}

interface StreamInternals {
  pending: number[];
  chunksVocoded: number;
  opts: { firstChunkUnits: number; chunkUnits: number };
  vocodeChunk(units: number[], final: boolean): Promise<Float32Array>;
}

/** VocoderStream.push with the chunk schedule first, `second`, then regular. */
function addSecondChunk(second: number): void {
  VocoderStream.prototype.push = async function push(this: VocoderStream, units: readonly number[]): Promise<Float32Array[]> {
    const self = this as unknown as StreamInternals;
    self.pending.push(...units);
    const out: Float32Array[] = [];
    for (;;) {
      const n = self.chunksVocoded;
      const size = n === 0 ? self.opts.firstChunkUnits : n === 1 ? second : self.opts.chunkUnits;
      if (self.pending.length < size) return out;
      const audio = await self.vocodeChunk(self.pending.splice(0, size), false);
      if (audio.length > 0) out.push(audio);
    }
  };
}

if (process.env['VOXGATE_BENCH_VOCODER_WORKER'] === '1') moveVocodingToWorker();
const second = Number(process.env['VOXGATE_BENCH_SECOND_CHUNK_UNITS'] ?? 0);
if (second > 0) addSecondChunk(second);

// Run the CLI as bin/voxgate.js does, with this process's arguments.
await import('../server/src/cli/main.ts');
