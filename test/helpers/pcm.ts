// Mono float32 PCM for tests: silence and joins.

export function silence(ms: number, sampleRateHz = 16000): Float32Array {
  return new Float32Array(Math.round((ms * sampleRateHz) / 1000));
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
