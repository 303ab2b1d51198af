// G.711 companding, the phone network's 8-bit audio: μ-law (North America, Japan; Twilio's default) and A-law
// (Europe and most of the rest). Pure functions on whole buffers; decoding goes through a 256-entry table.
import { float32ToInt16 } from '../../../client-sdk/src/protocol/pcm16.ts';

export type G711Law = 'pcmu' | 'pcma';

/** μ-law adds this bias so the segment boundaries fall on powers of two. */
const MULAW_BIAS = 0x84;
/** Largest magnitude μ-law encodes before the bias would overflow 15 bits. */
const MULAW_CLIP = 32635;

/** Index of the highest set bit of a positive integer. */
function topBit(x: number): number {
  return 31 - Math.clz32(x);
}

export function encodeMuLawSample(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  s += MULAW_BIAS;
  const exponent = topBit(s) - 7; // 0..7: s is at least 0x84
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function decodeMuLawSample(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

export function encodeALawSample(sample: number): number {
  let s = sample;
  // Even bits are inverted on the line (0x55); the sign bit set means positive.
  let mask = 0xd5;
  if (s < 0) {
    mask = 0x55;
    s = -s - 1;
  }
  if (s > 32767) s = 32767;
  let code: number;
  if (s < 256) code = s >> 4;
  else {
    const segment = topBit(s) - 7; // 1..7
    code = (segment << 4) | ((s >> (segment + 3)) & 0x0f);
  }
  return (code ^ mask) & 0xff;
}

export function decodeALawSample(byte: number): number {
  const a = byte ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

function decodeTable(decode: (byte: number) => number): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = decode(b) / 32768;
  return table;
}

const TABLES: Record<G711Law, Float32Array> = { pcmu: decodeTable(decodeMuLawSample), pcma: decodeTable(decodeALawSample) };
const ENCODERS: Record<G711Law, (sample: number) => number> = { pcmu: encodeMuLawSample, pcma: encodeALawSample };

/** G.711 bytes → float32 samples in [-1, 1), one per byte. */
export function decodeG711(law: G711Law, bytes: Uint8Array): Float32Array {
  const table = TABLES[law];
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}

/** Float32 samples → G.711 bytes, one per sample. */
export function encodeG711(law: G711Law, pcm: Float32Array): Uint8Array {
  const encode = ENCODERS[law];
  const samples = float32ToInt16(pcm);
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i] as number);
  return out;
}
