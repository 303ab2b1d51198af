// The recipe's examples heard from text alone (models/recipe/voxgate_recipe/heard_channel.py, heard_text.py;
// build.py --heard-text): the encoder's phoneme channel fitted on aligned questions, then drawn for new texts, and
// never a held-out text among them. Real espeak-ng phonemizes; the "encoder" outputs are written by the test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;
const hasEspeak = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;

function runPython(script: string): unknown {
  const run = spawnSync(PYTHON, ['-c', script], { cwd: RECIPE, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

itIf(hasPython, `${PYTHON}`)('splits what the encoder emitted into what it emitted for each target phoneme', () => {
  const got = runPython(`
import json
from voxgate_recipe.heard_channel import segments
print(json.dumps({
  "substituted": segments([5, 6, 7], [0, 5, 0, 9, 3, 0]),
  "deleted": segments([5, 6, 7], [0, 5, 0, 7, 0]),
  "inserted": segments([5, 7], [0, 5, 8, 0, 7]),
  "leadingInsert": segments([5], [4, 0, 5, 0]),
}))`) as Record<string, [number[], number[][]]>;
  expect(got['substituted']).toEqual([[0], [[5, 0], [9], [3, 0]]]);
  expect(got['deleted']).toEqual([[0], [[5, 0], [], [7, 0]]]);
  expect(got['inserted']).toEqual([[0], [[5, 8, 0], [7]]]);
  expect(got['leadingInsert']).toEqual([[4, 0], [[5, 0]]]);
});

// A channel written by the test: every phoneme heard as itself then a blank, except /s/, always heard as /z/.
// Fitted on one sentence's "renders", it must hear a new sentence the same way, with the same error rate.
const CHANNEL = `
import json, random
from voxgate_recipe import phonemes
from voxgate_recipe.heard_channel import HeardChannel
train = ["the cat sat on the mat", "a small dog ran past us", "she sells sea shells"]
seqs = phonemes.phonemize(train + ["the cats sat"])
inventory = phonemes.inventory(seqs)
ids = {p: i for i, p in enumerate(inventory)}
def encoder(phones):
    out = [0]
    for p in phones:
        out += [ids["z"] if p == "s" else ids[p], 0]
    merged = []
    for u in out:
        if not merged or merged[-1] != u:
            merged.append(u)
    return merged
channel = HeardChannel.fit(train, [encoder(s) for s in seqs[:3]], inventory)
new = seqs[3]
s_share = sum(p == "s" for s in seqs[:3] for p in s) / sum(len(s) for s in seqs[:3])
print(json.dumps({"heard": channel.sample(["the cats sat"], random.Random(1), offset=100)[0],
                  "expected": [100 + u for u in encoder(new)], "errorRate": channel.error_rate(), "sShare": s_share}))
`;

itIf(hasPython && hasEspeak, `${PYTHON} and espeak-ng`)('hears a new text as the fitted channel hears its phonemes', () => {
  const got = runPython(CHANNEL) as { heard: number[]; expected: number[]; errorRate: number; sShare: number };
  expect(got.heard).toEqual(got.expected);
  expect(got.sShare).toBeGreaterThan(0.05);
  expect(got.errorRate).toBeCloseTo(got.sShare, 6);
});

// Widening: /d/ heard as itself 90 times and as /t/ 10 times; at temperature 2 the weights are their square roots.
itIf(hasPython, `${PYTHON}`)('widens the channel: rare mistakes drawn more often, the channel unchanged at temperature 1', () => {
  const got = runPython(`
import json, random
from collections import Counter
from voxgate_recipe.heard_channel import HeardChannel
c = HeardChannel(["<blank>", "d", "t"], {1: Counter({(1, 0): 90, (2, 0): 10})}, Counter({(0,): 1}))
rng = random.Random(3)
drawn = [c.widened(2).sample_classes(["d"], rng) for _ in range(4000)]
try:
    c.widened(0)
    refused = False
except ValueError:
    refused = True
print(json.dumps({"fitted": c.error_rate(), "same": c.widened(1).error_rate(), "widened": c.widened(2).error_rate(),
                  "drawnWrong": sum(d == [0, 2, 0] for d in drawn) / len(drawn), "refused": refused}))`) as
    { fitted: number; same: number; widened: number; drawnWrong: number; refused: boolean };
  expect(got.fitted).toBeCloseTo(0.1, 9);
  expect(got.same).toBeCloseTo(0.1, 9);
  const expected = Math.sqrt(10) / (Math.sqrt(10) + Math.sqrt(90)); // 0.25
  expect(got.widened).toBeCloseTo(expected, 9);
  expect(Math.abs(got.drawnWrong - expected)).toBeLessThan(0.03);
  expect(got.refused).toBe(true);
});

// Closed skills (sums, next, count, small talk): a finite set of questions, all in the rendered training data too,
// so they are drawn as they are; only the open skills' texts are new and must avoid the held-out ones.
const CLOSED = new Set(['arithmetic', 'next', 'count', 'greeting', 'name', 'abilities']);

// Held out: a dev repeat sentence, a dev spelling word, and voxgate's own demo questions ("spell house").
const DRAWS = `
import json, random
from collections import Counter
from voxgate_recipe import copy_drill, corpus, heard_text, skills
from voxgate_recipe.heard_channel import HeardChannel
items = [{"skill": "repeat", "question": "repeat this the day the earth stood still", "answer": "the day the earth stood still", "dev": True},
         {"skill": "spell", "question": "spell zebra", "answer": "z e b r a", "dev": True},
         {"skill": "spell", "question": "spell dog", "answer": "d o g", "dev": False}]
data = {"items": items}
channel = HeardChannel(["<blank>", "d", "|"], {1: Counter({(1, 0): 1})}, Counter({(0,): 1}))
h = heard_text.HeardText(channel, data, offset=50)
rng = random.Random(5)
triples = h.triples(600, rng)
print(json.dumps({"triples": triples, "held": copy_drill.held_out_texts(data),
                  "clauses": len(h.clauses), "heldInCorpus": "the day the earth stood still" in corpus.fortune_clauses(),
                  "heldDrawable": "the day the earth stood still" in h.clauses,
                  "greetingInCorpus": "good morning" in corpus.fortune_clauses(), "greetingDrawable": "good morning" in h.clauses,
                  "smallTalk": [q for _s, q, _a in skills.small_talk()], "closedCount": len(h.closed), "openings": list(heard_text.SKILL_OPENINGS), "transcriptions": len(h.transcriptions(20, rng)), "turns": len(h.turns(20, rng)),
                  "other": skills.OTHER_ANSWER}))
`;

itIf(hasPython && hasEspeak, `${PYTHON} and espeak-ng`)('draws open-skill questions on new texts, none sharing three words with a held-out text', () => {
  const got = runPython(DRAWS) as { triples: [string, string, string][]; held: string[]; clauses: number; heldInCorpus: boolean; heldDrawable: boolean;
    greetingInCorpus: boolean; greetingDrawable: boolean; smallTalk: string[]; closedCount: number; openings: string[]; transcriptions: number; turns: number; other: string };
  expect(got.clauses).toBeGreaterThan(10_000);
  // The held-out sentence is a fortune clause: the filter, not the corpus, keeps it out.
  expect(got.heldInCorpus).toBe(true);
  expect(got.heldDrawable).toBe(false);
  // A skill's question in the fortunes ("good morning") is never heard as out of scope: that taught refusing greetings.
  expect(got.greetingInCorpus).toBe(true);
  expect(got.greetingDrawable).toBe(false);
  expect(got.transcriptions).toBe(20);
  expect(got.turns).toBe(20);
  expect(got.held).toEqual(expect.arrayContaining(['the day the earth stood still', 'spell house']));
  const heldGrams = new Set(got.held.flatMap((t) => trigrams(t)));
  const skillsSeen = new Set<string>();
  const counts = new Map<string, number>();
  for (const [skill, q, a] of got.triples) {
    skillsSeen.add(skill);
    counts.set(skill, (counts.get(skill) ?? 0) + 1);
    if (CLOSED.has(skill)) continue;
    const text = skill === 'spell' ? a.replaceAll(' ', '') : skill === 'repeat' ? a : q;
    expect(['zebra', 'house']).not.toContain(text);
    for (const g of trigrams(text)) expect(heldGrams.has(g), `${text} shares "${g}"`).toBe(false);
    if (skill === 'other') {
      expect(a).toBe(got.other);
      // Two-word refusals look like a misheard greeting: out-of-scope clauses have three words or more.
      expect(q.split(' ').length).toBeGreaterThanOrEqual(3);
      expect(got.smallTalk).not.toContain(q);
      for (const o of got.openings) expect(q === o || q.startsWith(`${o} `), `${q} begins like a skill's question`).toBe(false);
    }
  }
  expect([...skillsSeen].sort()).toEqual(['abilities', 'arithmetic', 'count', 'greeting', 'name', 'next', 'other', 'repeat', 'spell']);
  // Greetings and small talk heard about as often as refusals (600 draws: 17.5 % each side, half of the closed).
  const smallTalk = (counts.get('greeting') ?? 0) + (counts.get('name') ?? 0) + (counts.get('abilities') ?? 0);
  const closed = [...CLOSED].reduce((n, s) => n + (counts.get(s) ?? 0), 0);
  expect(closed).toBeGreaterThan(0.5 * (counts.get('other') ?? 0));
  expect(closed).toBeLessThan(2 * (counts.get('other') ?? 0));
  expect(smallTalk).toBeGreaterThan(0.25 * closed);
  // Three phrasings of each sum, count and next question: more than the 1,323 + 140 + 155 of one draw.
  expect(got.closedCount).toBeGreaterThan(1_700);
});

function trigrams(text: string): string[] {
  const w = text.split(' ');
  const out: string[] = [];
  for (let k = 0; k + 3 <= w.length; k++) out.push(w.slice(k, k + 3).join(' '));
  return out;
}
