// Minimal RIFF/WAVE reading and writing for the CLI and tests: PCM 16-bit or float 32-bit, any channel count
// (mixed down to mono). Decoding other formats is the codec layer's job.
import { readFile, writeFile } from 'node:fs/promises';

export interface WavAudio {
  sampleRateHz: number;
  /** Mono float32 in [-1, 1]. */
  pcm: Float32Array;
}

export function decodeWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const declared = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    // Streams piped from tools (sox, espeak --stdout) declare 0 or 0xffffffff as the data size.
    const size = Math.min(declared, buf.length - body);
    if (id === 'fmt ') {
      let format = buf.readUInt16LE(body);
      if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
      fmt = { format, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before its fmt chunk');
      const end = declared === 0 || declared === 0xffffffff ? buf.length : body + size;
      return { sampleRateHz: fmt.rate, pcm: toMono(buf.subarray(body, end), fmt) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV file has no data chunk');
}

function toMono(data: Buffer, fmt: { format: number; channels: number; bits: number }): Float32Array {
  const pcm16 = fmt.format === 1 && fmt.bits === 16;
  const float32 = fmt.format === 3 && fmt.bits === 32;
  if (!pcm16 && !float32) throw new Error(`unsupported WAV encoding (format ${fmt.format}, ${fmt.bits} bits): use 16-bit PCM or 32-bit float`);
  if (fmt.channels < 1) throw new Error('WAV declares no channels');
  const bytes = fmt.bits / 8;
  const frames = Math.floor(data.length / (bytes * fmt.channels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let ch = 0; ch < fmt.channels; ch++) {
      const at = (i * fmt.channels + ch) * bytes;
      sum += pcm16 ? data.readInt16LE(at) / 32768 : data.readFloatLE(at);
    }
    out[i] = sum / fmt.channels;
  }
  return out;
}

/** Linear-interpolation resampling: adequate for speech going into a 16 kHz model, not for music. */
export function resampleLinear(pcm: Float32Array, fromHz: number, toHz: number): Float32Array {
  if (fromHz === toHz) return pcm;
  const n = Math.floor((pcm.length * toHz) / fromHz);
  const out = new Float32Array(n);
  const step = fromHz / toHz;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const a = pcm[j] ?? 0;
    const b = pcm[j + 1] ?? a;
    out[i] = a + (b - a) * (x - j);
  }
  return out;
}

export function encodeWav16(pcm: Float32Array, sampleRateHz: number): Buffer {
  const buf = Buffer.alloc(44 + pcm.length * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + pcm.length * 2, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRateHz, 24);
  buf.writeUInt32LE(sampleRateHz * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(pcm.length * 2, 40);
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.max(-1, Math.min(1, pcm[i] ?? 0));
    buf.writeInt16LE(Math.round(s * 32767), 44 + i * 2);
  }
  return buf;
}

/** Reads a WAV file as mono float32 at `sampleRateHz`, resampling when needed. */
export async function readWavFile(path: string, sampleRateHz: number): Promise<Float32Array> {
  const wav = decodeWav(await readFile(path));
  return resampleLinear(wav.pcm, wav.sampleRateHz, sampleRateHz);
}

export async function writeWavFile(path: string, pcm: Float32Array, sampleRateHz: number): Promise<void> {
  await writeFile(path, encodeWav16(pcm, sampleRateHz));
}
