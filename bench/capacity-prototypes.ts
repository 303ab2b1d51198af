// A prototype for the capacity bench's A/B runs (`bench/capacity.ts --second-chunk-units N`): `voxgate serve` with
// VOXGATE_BENCH_SECOND_CHUNK_UNITS=N, a second vocoder chunk of N units between the first and the regular ones,
// so the next audio is ready before the first chunk has played out. Not the fix itself (that would belong in
// server/src/runtimes/vocoder-stream.ts): a measurement of what it buys. (Vocoding in a worker thread, this
// file's other prototype, became server/src/runtimes/vocoder-thread.ts; `--vocoder-inline` is its A/B.)
//   VOXGATE_BENCH_SECOND_CHUNK_UNITS=N node --import tsx bench/capacity-prototypes.ts serve [serve flags]
import { VocoderStream } from '../server/src/runtimes/vocoder-stream.ts';

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

const second = Number(process.env['VOXGATE_BENCH_SECOND_CHUNK_UNITS'] ?? 0);
if (second > 0) addSecondChunk(second);

// Run the CLI as bin/voxgate.js does, with this process's arguments.
await import('../server/src/cli/main.ts');
