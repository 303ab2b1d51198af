// Word error counts for transcript WER: Levenshtein distance over words, as the recipe's eval computes it
// (models/recipe/voxgate_recipe/evaluate.py), so gateway-path and torch figures are the same measure.

export interface WordErrors {
  errors: number;
  /** Words in the reference: WER = errors / words. */
  words: number;
}

export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = reference.split(/\s+/).filter(Boolean);
  const hyp = hypothesis.split(/\s+/).filter(Boolean);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const substitute = (prev[j - 1] ?? 0) + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, substitute));
    }
    prev = cur;
  }
  return { errors: prev[hyp.length] ?? 0, words: ref.length };
}
