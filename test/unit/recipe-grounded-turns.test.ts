// The recipe's grounded speech turns (models/recipe/voxgate_recipe/sequences.py, build.py --grounded-share): they
// hear another question's units, give the transcript untrained, and train the answer that follows it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;

// Two questions with their own unit strings; each turn is read back into what it heard, what it was given
// untrained, and what it trains.
const SCRIPT = `
import json, random
from voxgate_recipe import sequences, vocab as V
items = [{"question": "what is two plus three", "answer": "five", "q_units": 0, "a_units": 1},
         {"question": "spell cat", "answer": "c a t", "q_units": 2, "a_units": 3}]
units = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]]
vocab = V.build_vocab(16)
out = []
for ids, mask in sequences.grounded_turns(items, units, random.Random(1), 24):
    first = mask.index(1)
    eosp = ids.index(V.EOSP_ID)
    out.append({"heard": [V.unit_of_token(i) for i in ids[:eosp] if i >= V.FIRST_UNIT_ID],
                "given": V.decode(ids[eosp:first], vocab), "trained": V.decode(ids[first:], vocab),
                "untrainedBefore": sum(mask[:first]) == 0, "allTrainedAfter": all(mask[first:])})
print(json.dumps(out))
`;

interface Turn {
  heard: number[];
  given: string;
  trained: string;
  untrainedBefore: boolean;
  allTrainedAfter: boolean;
}

itIf(hasPython, `${PYTHON}`)('hears the other question, is given its own transcript and trains only the answer', () => {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const turns = JSON.parse(run.stdout) as Turn[];
  expect(turns).toHaveLength(24);
  for (const t of turns) {
    const isSum = t.given.includes('[tq] what is two plus three;');
    expect(isSum || t.given.includes('[tq] spell cat;')).toBe(true);
    // The units heard are always the other question's.
    expect(t.heard).toEqual(isSum ? [6, 7, 8, 9] : [1, 2, 3]);
    expect(t.trained.startsWith(isSum ? '[ta] five' : '[ta] c a t')).toBe(true);
    expect(t.trained.endsWith('<eoa>')).toBe(true);
    expect(t.untrainedBefore && t.allTrainedAfter).toBe(true);
  }
  // Both speech modes occur: answers with their spoken units ([ua]) and without.
  expect(turns.some((t) => t.trained.includes('[ua]'))).toBe(true);
  expect(turns.some((t) => !t.trained.includes('[ua]'))).toBe(true);
});
