// Small statistics for the report: nearest-rank percentiles and fixed-width histograms.

/** Nearest-rank percentile (p in [0, 100]); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export interface Bin {
  fromMs: number;
  toMs: number;
  count: number;
}

/** Bins of `widthMs` from 0 to past the largest value (at most maxBins; the last bin takes the rest). */
export function histogram(values: readonly number[], widthMs: number, maxBins = 60): Bin[] {
  if (values.length === 0 || widthMs <= 0) return [];
  const top = Math.max(...values);
  const n = Math.min(maxBins, Math.floor(top / widthMs) + 1);
  const bins: Bin[] = Array.from({ length: n }, (_, i) => ({ fromMs: i * widthMs, toMs: (i + 1) * widthMs, count: 0 }));
  for (const v of values) {
    const bin = bins[Math.min(n - 1, Math.max(0, Math.floor(v / widthMs)))];
    if (bin) bin.count++;
  }
  const last = bins[n - 1];
  if (last && top >= last.toMs) last.toMs = top;
  return bins;
}

/** A bin width giving about `target` bins over the values, rounded to 1, 2 or 5 × a power of ten. */
export function niceBinWidth(values: readonly number[], target = 30): number {
  const top = values.length === 0 ? 1 : Math.max(1, ...values);
  const raw = top / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10;
  return step * pow;
}

export function round1(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}

export function round2(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}
