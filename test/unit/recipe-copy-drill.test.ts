// The recipe's copy drill (models/recipe/voxgate_recipe/copy_drill.py, build.py --copy-share): repeat and spell on
// fresh dictionary words, typed or spoken with the transcript given, never with a held-out word; an LM with word
// pieces also copies and spells its pieces.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;

// Two training questions with their own units and a dev question; each drill turn is read back into what it
// heard, what it was given untrained, and what it trains.
const SCRIPT = `
import json, random, sys
from voxgate_recipe import copy_drill, skills, vocab as V
train = [{"skill": "repeat", "question": "say after me the cat sat on the mat", "answer": "the cat sat on the mat",
          "q_units": 0, "a_units": 1, "dev": False},
         {"skill": "spell", "question": "spell dog", "answer": "d o g", "q_units": 2, "a_units": 3, "dev": False}]
dev = [{"skill": "spell", "question": "spell zebra", "answer": "z e b r a", "q_units": 4, "a_units": 5, "dev": True},
       {"skill": "repeat", "question": "repeat this quiet ocean waves", "answer": "quiet ocean waves",
        "q_units": 6, "a_units": 7, "dev": True}]
units = [[1, 2, 3], [4], [5, 6], [7], [8], [9], [10], [11]]
held = copy_drill.held_out_words({"items": train + dev})
V.use_text_pieces(json.loads(sys.argv[1]), 16)
vocab = V.build_vocab(16)
out = []
for ids, mask in copy_drill.copy_turns(train, units, 400, held, random.Random(7)):
    first = mask.index(1)
    spoken = V.SOSP_ID in ids
    out.append({"spoken": spoken,
                "heard": [V.unit_of_token(i) for i in ids if V.unit_of_token(i) >= 0],
                "given": V.decode([i for i in ids[:first] if V.unit_of_token(i) < 0], vocab),
                "trained": V.decode(ids[first:], vocab),
                "allTrainedAfter": all(mask[first:])})
print(json.dumps({"turns": out, "held": sorted(held), "repeatPhrases": skills.REPEAT_PHRASES,
                  "spellPhrases": skills.SPELL_PHRASES}))
`;

interface Turn {
  spoken: boolean;
  heard: number[];
  given: string;
  trained: string;
  allTrainedAfter: boolean;
}

/** The question a turn carries: the typed prompt's input, or the transcript a spoken turn is given. */
function questionOf(t: Turn): string {
  const m = t.spoken ? /\[tq\] (.*);/.exec(t.given) : /\[Human\]:(.*)<2t>/.exec(t.given);
  if (!m?.[1]) throw new Error(`no question in ${t.given}`);
  return m[1];
}

interface Drill {
  turns: Turn[];
  held: string[];
  repeatPhrases: string[];
  spellPhrases: string[];
}

function drill(pieces: string[]): Drill {
  const run = spawnSync(PYTHON, ['-c', SCRIPT, JSON.stringify(pieces)], { cwd: RECIPE, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Drill;
}

itIf(hasPython, `${PYTHON}`)('drills repeat and spell on fresh words, never held-out ones, typed and with the transcript given', () => {
  const { turns, held, repeatPhrases, spellPhrases } = drill([]);
  expect(turns).toHaveLength(400);
  // Held out: the dev questions' words and the demo page's ("spell house").
  expect(held).toEqual(expect.arrayContaining(['zebra', 'ocean', 'waves', 'house']));
  const heldSet = new Set(held);
  const TRAINING_WORDS = new Set([...repeatPhrases, ...spellPhrases, 'say after me the cat sat on the mat', 'spell dog'].join(' ').split(' '));
  const drilled = new Set<string>();
  let spells = 0;
  for (const t of turns) {
    const q = questionOf(t);
    const answer = /^\[ta\] (.*)<eoa>$/.exec(t.trained)?.[1];
    expect(answer, t.trained).toBeDefined();
    const spell = spellPhrases.find((p) => q.startsWith(`${p} `) && q.split(' ').length === p.split(' ').length + 1);
    if (spell) {
      spells++;
      const word = q.slice(spell.length + 1);
      expect(answer).toBe(word.split('').join(' '));
      drilled.add(word);
    } else {
      const phrase = repeatPhrases.find((p) => q.startsWith(`${p} `));
      expect(phrase, q).toBeDefined();
      expect(answer).toBe(q.slice(phrase!.length + 1));
      for (const w of answer!.split(' ')) drilled.add(w);
    }
    // Every word is a training question's (those it starts from) or a fresh one, never held out.
    for (const w of q.split(' ')) if (!TRAINING_WORDS.has(w)) expect(heldSet.has(w), w).toBe(false);
    expect(t.allTrainedAfter).toBe(true);
    // A spoken turn hears one of the training questions' units; a typed one hears none.
    if (t.spoken) expect([[1, 2, 3], [5, 6]]).toContainEqual(t.heard);
    else expect(t.heard).toEqual([]);
  }
  // Both skills and both kinds of turn, and fresh words: far more than the two training questions hold.
  expect(spells).toBeGreaterThan(100);
  expect(spells).toBeLessThan(300);
  expect(turns.filter((t) => t.spoken).length).toBeGreaterThan(100);
  expect(turns.filter((t) => !t.spoken).length).toBeGreaterThan(100);
  expect(drilled.size).toBeGreaterThan(500);
});

itIf(hasPython, `${PYTHON}`)('with word pieces, also repeats runs of pieces and spells pieces, each as itself', () => {
  // The pieces are training words, as the recipe's always are (the training texts' most frequent words).
  const pieces = ['the', 'cat', 'sat', 'mat', 'dog'];
  const { turns, spellPhrases, repeatPhrases } = drill(pieces.map((p) => ` ${p}`));
  const isPiece = new Set(pieces);
  let pieceRuns = 0;
  let pieceSpells = 0;
  for (const t of turns) {
    const q = questionOf(t);
    const answer = /^\[ta\] (.*)<eoa>$/.exec(t.trained)?.[1] ?? '';
    const spell = spellPhrases.find((p) => q.startsWith(`${p} `) && q.split(' ').length === p.split(' ').length + 1);
    if (spell) {
      const word = q.slice(spell.length + 1);
      expect(answer).toBe(word.split('').join(' '));
      if (isPiece.has(word)) pieceSpells++;
      continue;
    }
    const phrase = repeatPhrases.find((p) => q.startsWith(`${p} `));
    expect(phrase, q).toBeDefined();
    expect(answer).toBe(q.slice(phrase!.length + 1));
    const words = answer.split(' ');
    // A run of pieces, not the training sentence "the cat sat on the mat" with a word or two replaced.
    if (!answer.includes(' on ') && words.filter((w) => isPiece.has(w)).length >= words.length / 2) pieceRuns++;
  }
  // A third of each skill's drill (about 67 of 200 each), with the spread of 400 draws.
  expect(pieceRuns).toBeGreaterThan(35);
  expect(pieceSpells).toBeGreaterThan(35);
  expect(pieceSpells).toBeLessThan(110);
});
