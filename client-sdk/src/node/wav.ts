// WAV files for the CLI and tests: 16-bit PCM in (mono or multi-channel, any rate: downmixed, optionally
// resampled), 16-bit mono PCM out. parseWav/encodeWav are pure; the read/write helpers add the file system.
import { readFile, writeFile } from 'node:fs/promises';
import { Resampler } from '../audio/resample.ts';
import { float32ToPcm16Bytes } from '../protocol/pcm16.ts';

export interface WavAudio {
  sampleRateHz: number;
  /** Mono, in [-1, 1]. */
  pcm: Float32Array;
}

export class WavError extends Error {
  override name = 'WavError';
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export function parseWav(bytes: Uint8Array): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavError('not a RIFF/WAVE file');
  let fmt: { channels: number; sampleRateHz: number; bits: number; format: number } | undefined;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    // Streaming writers leave the size at 0xffffffff: clamp to what the file holds.
    const size = Math.min(view.getUint32(at + 4, true), bytes.byteLength - at - 8);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavError('fmt chunk too short');
      let format = view.getUint16(body, true);
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 26) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), sampleRateHz: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (fmt === undefined) throw new WavError('data chunk before fmt chunk');
      if (fmt.format !== WAVE_FORMAT_PCM || fmt.bits !== 16) {
        throw new WavError(`only 16-bit PCM is supported (format ${fmt.format}, ${fmt.bits} bits)`);
      }
      if (fmt.channels < 1 || fmt.sampleRateHz < 1) throw new WavError('fmt chunk has no channels or no sample rate');
      return { sampleRateHz: fmt.sampleRateHz, pcm: downmix(view, body, size, fmt.channels) };
    }
    at = body + size + (size % 2); // chunks are padded to even sizes
  }
  throw new WavError('no data chunk');
}

function downmix(view: DataView, offset: number, size: number, channels: number): Float32Array {
  const frames = Math.floor(size / (2 * channels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16(offset + (i * channels + c) * 2, true);
    out[i] = sum / channels / 32768;
  }
  return out;
}

export function encodeWav(pcm: Float32Array, sampleRateHz: number): Uint8Array {
  const data = float32ToPcm16Bytes(pcm);
  const out = new Uint8Array(44 + data.byteLength);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + data.byteLength, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, data.byteLength, true);
  out.set(data, 44);
  return out;
}

/** Resamples whole audio (not a stream): the filter's tail is flushed and its delay trimmed. */
export function resampleTo(audio: WavAudio, sampleRateHz: number): WavAudio {
  if (audio.sampleRateHz === sampleRateHz) return audio;
  const r = new Resampler(audio.sampleRateHz, sampleRateHz);
  const head = r.push(audio.pcm);
  const tail = r.flush();
  const all = new Float32Array(head.length + tail.length);
  all.set(head);
  all.set(tail, head.length);
  const delay = Math.round(r.delaySamples);
  const length = Math.round((audio.pcm.length * sampleRateHz) / audio.sampleRateHz);
  return { sampleRateHz, pcm: all.slice(delay, delay + length) };
}

export async function readWav(path: string, sampleRateHz?: number): Promise<WavAudio> {
  let audio: WavAudio;
  try {
    audio = parseWav(await readFile(path));
  } catch (err) {
    throw new WavError(`${path}: ${(err as Error).message}`);
  }
  return sampleRateHz === undefined ? audio : resampleTo(audio, sampleRateHz);
}

export async function writeWav(path: string, pcm: Float32Array, sampleRateHz: number): Promise<void> {
  await writeFile(path, encodeWav(pcm, sampleRateHz));
}
