// Comparing an LM runtime's greedy output with torch's (parity files written by the recipe).

export interface ParityExpectation {
  name: string;
  expected: number[];
  /** Per generated step, torch's gap between the two best logits. */
  margins: number[];
}

/**
 * Where `got` leaves torch's continuation: null when equal. A divergence at a step whose torch
 * margin is below `tieMargin` is a near tie decided by rounding, not a different model.
 */
export function divergence(got: number[], c: ParityExpectation, tieMargin: number): string | null {
  const i = got.findIndex((t, k) => t !== c.expected[k]);
  const at = i >= 0 ? i : got.length === c.expected.length ? -1 : Math.min(got.length, c.expected.length);
  if (at < 0) return null;
  const margin = c.margins[at] ?? Infinity;
  if (margin < tieMargin) return null;
  return `case ${c.name}: step ${at} gave ${got[at]} where torch gave ${c.expected[at]} (torch margin ${margin})`;
}
