// The answer grammar on a small fake vocabulary, driven through the real ComParser: what it rules out at each
// position, and greedy decoding under it against plain greedy decoding on random logits.
import { describe, expect, it } from 'vitest';
import { AnswerGrammar } from '../../server/src/pipeline/answer-grammar.ts';
import { ComParser, partsForMode } from '../../server/src/pipeline/com-parser.ts';

const MARKERS = { transcript: '[tq]', answer: '[ta]', answerUnits: '[ua]', endOfAnswer: '<eoa>', separator: ';' };
// A fake vocabulary laid out as the shipped one: control tokens, text characters, 4 spoken units, 4 heard units.
const TEXTS = ['<s>', '[Human]:', '[tq]', '[ta]', '[ua]', '<eoa>', ' ', ';', 'a', 'b', 'c', '<0>', '<1>', '<2>', '<3>', '<4>', '<5>', '<6>', '<7>'];
const EOS = 5;
const FOREIGN = new Set([0, 1, 15, 16, 17, 18]);
const unitOf = (id: number): number | undefined => {
  const m = /^<(\d+)>$/.exec(TEXTS[id] ?? '');
  return m ? Number(m[1]) : undefined;
};
const fakeGrammar = new AnswerGrammar({
  size: TEXTS.length,
  textOf: (id) => TEXTS[id] ?? '',
  isUnit: (id) => unitOf(id) !== undefined,
  spokenUnitOf: (id) => (FOREIGN.has(id) ? undefined : unitOf(id)),
  isForeign: (id) => FOREIGN.has(id),
  eosId: EOS,
  markers: MARKERS,
});

function parser(mode: string): ComParser {
  return new ComParser({
    parts: partsForMode(mode),
    markers: MARKERS,
    maxTokens: { transcript: 40, answer: 40, answerUnits: 40 },
    unitOf,
    isEndOfAnswer: (id) => id === EOS,
    isForeign: (id) => FOREIGN.has(id),
    grammar: fakeGrammar,
  });
}

const ids = (s: ReadonlySet<number> | undefined): number[] => [...(s ?? [])].sort((a, b) => a - b);

describe('AnswerGrammar', () => {
  it('allows at each position exactly what the parser accepts there', () => {
    const p = parser('speech-to-speech');
    // Before the first marker: whitespace, separators and the transcript marker.
    expect(p.position).toEqual({ part: undefined, next: 'transcript' });
    expect(ids(p.forbiddenNext())).toEqual([0, 1, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    p.push({ id: 2, text: '[tq]' });
    // In the transcript: text and the answer marker; no unit, no end of answer, no later marker.
    expect(p.position).toEqual({ part: 'transcript', next: 'answer' });
    expect(ids(p.forbiddenNext())).toEqual([0, 1, 2, 4, 5, 11, 12, 13, 14, 15, 16, 17, 18]);
    for (const id of [8, 3, 9, 4]) p.push({ id, text: TEXTS[id]! });
    // Among the units: spoken units, whitespace and the end of answer; no text, no heard unit.
    expect(p.position).toEqual({ part: 'answerUnits', next: 'endOfAnswer' });
    expect(ids(p.forbiddenNext())).toEqual([0, 1, 2, 3, 4, 8, 9, 10, 15, 16, 17, 18]);
    p.push({ id: EOS, text: '<eoa>' });
    expect(p.position).toBeUndefined();
    expect(p.forbiddenNext()).toBeUndefined();
  });

  it('lets the answer end in a text mode, and hands out one set object per position', () => {
    const p = parser('text-to-text');
    p.push({ id: 3, text: '[ta]' });
    expect(p.position).toEqual({ part: 'answer', next: 'endOfAnswer' });
    expect(p.forbiddenNext()?.has(EOS)).toBe(false);
    expect(p.forbiddenNext()).toBe(fakeGrammar.forbiddenAt({ part: 'answer', next: 'endOfAnswer' }));
  });

  it('on random logits: never malformed, and every step whose best token was acceptable picks it', () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let stepsKept = 0;
    let stepsRedirected = 0;
    for (let run = 0; run < 300; run++) {
      const mode = ['speech-to-speech', 'speech-to-text', 'text-to-speech', 'text-to-text'][run % 4]!;
      const p = parser(mode);
      for (let step = 0; step < 60 && !p.done; step++) {
        const logits = TEXTS.map(() => rand());
        const best = logits.indexOf(Math.max(...logits));
        const forbidden = p.forbiddenNext() ?? new Set<number>();
        const allowed = logits.map((x, id) => (forbidden.has(id) ? -Infinity : x));
        const pick = allowed.indexOf(Math.max(...allowed));
        if (forbidden.has(best)) stepsRedirected++;
        else {
          expect(pick).toBe(best);
          stepsKept++;
        }
        const events = p.push({ id: pick, text: TEXTS[pick]! });
        expect(events.filter((e) => e.type === 'error' && e.code === 'MODEL_OUTPUT_MALFORMED')).toEqual([]);
      }
    }
    // Random logits pick a forbidden token often: both branches ran many times.
    expect(stepsKept).toBeGreaterThan(500);
    expect(stepsRedirected).toBeGreaterThan(500);
  });
});

describe('AnswerGrammar with markers of several tokens', () => {
  it('leaves the text that spells the marker due next allowed, and the rest of its rules in force', () => {
    // A fake vocabulary without marker tokens: "[ta]" and "[ua]" are spelled by characters.
    const texts = ['<eoa>', ' ', ';', '[', ']', 't', 'a', 'u', 'x', '<0>', '<1>'];
    const grammar = new AnswerGrammar({
      size: texts.length,
      textOf: (id) => texts[id] ?? '',
      isUnit: (id) => id >= 9,
      spokenUnitOf: (id) => (id >= 9 ? id - 9 : undefined),
      isForeign: () => false,
      eosId: 0,
      markers: MARKERS,
    });
    const p = new ComParser({
      parts: partsForMode('text-to-speech'),
      markers: MARKERS,
      maxTokens: { transcript: 40, answer: 40, answerUnits: 40 },
      unitOf: (id) => (id >= 9 ? id - 9 : undefined),
      isEndOfAnswer: (id) => id === 0,
      grammar,
    });
    // Before "[ta]": its characters may come; units and the end of answer may not.
    expect(ids(p.forbiddenNext())).toEqual([0, 9, 10]);
    for (const ch of '[ta]x;[ua]') p.push({ id: texts.indexOf(ch), text: ch });
    // Among the units, the end of answer is one token: text is ruled out again.
    expect(p.position).toEqual({ part: 'answerUnits', next: 'endOfAnswer' });
    expect(ids(p.forbiddenNext())).toEqual([3, 4, 5, 6, 7, 8]);
  });
});
