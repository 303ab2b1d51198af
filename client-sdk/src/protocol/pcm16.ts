// The pcm16 wire codec: little-endian signed 16-bit mono samples. Scale 32768 both ways so int16 → float → int16 is exact.
// DataView because payloads sliced after the kind byte sit at odd offsets, where an Int16Array view cannot start.

const SCALE = 32768;

export function int16ToFloat32(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] ?? 0) / SCALE;
  return out;
}

export function float32ToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = toInt16(samples[i] ?? 0);
  return out;
}

/** bytes.byteLength must be even; the caller rejects odd lengths as INVALID_AUDIO. */
export function pcm16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / SCALE;
  return out;
}

export function float32ToPcm16Bytes(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, toInt16(samples[i] ?? 0), true);
  return bytes;
}

function toInt16(x: number): number {
  // NaN from a broken producer becomes silence rather than a full-scale click.
  if (!(x === x)) return 0;
  const s = Math.round(x * SCALE);
  return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}
